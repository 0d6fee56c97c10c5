from __future__ import annotations

import unicodedata

import pytest

from app.services.kit.text import clean, fold, vn_name_sort_key


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


def vn_sorted(names: list[str]) -> list[str]:
    return sorted(names, key=vn_name_sort_key)


# --- fold -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Nguyễn Thị Đào", "nguyen thi dao"),
        ("ĐỖ ĐỨC ĐẠT", "do duc dat"),
        ("đặng Ưng Ơn Ấn", "dang ung on an"),
        ("Hoàng  Thị\tMỹ   Lệ ", "hoang thi my le"),
        ("Ngô Quyền", "ngo quyen"),
    ],
)
def test_fold_strips_vietnamese_diacritics_including_d_bar(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_of_decomposed_input_equals_fold_of_composed() -> None:
    name = "Đoàn Thị Thuỳ Dương"
    assert nfd(name) != name
    assert fold(nfd(name)) == fold(name) == "doan thi thuy duong"


def test_fold_leaves_no_combining_marks_and_no_d_bar() -> None:
    out = fold("ẮẰẲẴẶ ĐđƯư ỐỒỔỖỘ ỚỜỞỠỢ")
    assert out == "aaaaa dduu ooooo ooooo"
    assert not any(unicodedata.combining(ch) for ch in out)


# --- clean ----------------------------------------------------------------------------------------


def test_clean_normalises_decomposed_input_to_nfc() -> None:
    composed = "Nguyễn Thị Đào"
    decomposed = nfd(composed)
    assert len(decomposed) > len(composed)  # the test input really is decomposed
    out = clean(decomposed)
    assert out == composed
    assert unicodedata.is_normalized("NFC", out)


def test_clean_trims_and_folds_white_space() -> None:
    assert clean("  Trần \t Văn\n\nAn  ") == "Trần Văn An"
    assert clean(None) == ""
    assert clean("   ") == ""


# --- vn_name_sort_key -----------------------------------------------------------------------------


def test_given_name_first() -> None:
    assert vn_name_sort_key("Trần Văn An") < vn_name_sort_key("Nguyễn Thị Bình")
    assert vn_sorted(["Nguyễn Thị Bình", "Trần Văn An", "Lê Cường", "Phạm Thị Ánh"]) == [
        "Trần Văn An",
        "Phạm Thị Ánh",
        "Nguyễn Thị Bình",
        "Lê Cường",
    ]


def test_same_given_name_then_family_then_middle() -> None:
    names = ["Trần Văn An", "Nguyễn Văn An", "Nguyễn Thị An", "Lê Văn An"]
    # Given names tie; family names: Lê < Nguyễn < Trần; then middle names: Thị < Văn.
    assert vn_sorted(names) == ["Lê Văn An", "Nguyễn Thị An", "Nguyễn Văn An", "Trần Văn An"]


@pytest.mark.parametrize(
    "ordered",
    [
        ["An", "Ăn", "Ân", "Bắc"],
        ["Anh", "Ăn"],  # a < ă decides at the first letter, whatever follows
        ["Dy", "Đa", "Em"],  # d < đ < e
        ["Tôn", "Tơ"],  # ô < ơ
        ["Oanh", "Ôn", "Ơn"],  # o < ô < ơ
        ["Tuấn", "Từ"],  # u < ư
        ["Uyên", "Ưng", "Vân"],
    ],
)
def test_vietnamese_alphabet_order(ordered: list[str]) -> None:
    assert vn_sorted(list(reversed(ordered))) == ordered
    keys = [vn_name_sort_key(n) for n in ordered]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_tones_break_ties_in_dictionary_order() -> None:
    # level < huyền < hỏi < ngã < sắc < nặng (code-point order would be a, à, á, ã, ạ, ả)
    ordered = ["Ma", "Mà", "Mả", "Mã", "Má", "Mạ"]
    assert vn_sorted(["Mạ", "Má", "Mã", "Mả", "Mà", "Ma"]) == ordered
    assert vn_sorted(["Nguyễn Văn Mạ", "Nguyễn Văn Ma", "Nguyễn Văn Mã"]) == ["Nguyễn Văn Ma", "Nguyễn Văn Mã", "Nguyễn Văn Mạ"]


def test_tones_only_break_ties() -> None:
    # Letters of every word are compared before any tone: the higher tone of the given name in
    # "Nguyễn Án" does not put it after "Trần An", since Nguyễn < Trần.
    assert vn_sorted(["Trần An", "Nguyễn Án"]) == ["Nguyễn Án", "Trần An"]
    assert vn_sorted(["Ạnh", "Ba"]) == ["Ạnh", "Ba"]
    assert vn_sorted(["Bà", "Anh"]) == ["Anh", "Bà"]
    assert vn_sorted(["Ánh", "Anh"]) == ["Anh", "Ánh"]


def test_prefix_sorts_first() -> None:
    assert vn_name_sort_key("An") < vn_name_sort_key("Anh")
    assert vn_name_sort_key("Lê Văn An") < vn_name_sort_key("Lê Văn Anh")
    assert vn_name_sort_key("Trần An") < vn_name_sort_key("Nguyễn Anh")
    # "An" alone (no family name) comes before "An" with one
    assert vn_name_sort_key("An") < vn_name_sort_key("Lê An")


def test_sort_key_ignores_case_spacing_and_normalisation_form() -> None:
    key = vn_name_sort_key("Nguyễn Thị Đào")
    assert vn_name_sort_key(nfd("Nguyễn Thị Đào")) == key
    assert vn_name_sort_key("  NGUYỄN   thị đào ") == key


def test_sort_key_is_digits_only_so_any_collation_agrees() -> None:
    key = vn_name_sort_key("Đặng Thị Ngọc Ánh-Linh O'Neil")
    assert key and key.isdigit() and key.isascii()
    assert vn_name_sort_key("") == ""
    assert vn_name_sort_key("   ") == ""


def test_full_list_in_vietnamese_order() -> None:
    expected = [
        "Trần Văn An",
        "Lê Thị Ánh",
        "Nguyễn Văn Anh",
        "Vũ Thị Ánh",
        "Phạm Bình",
        "Đỗ Thị Dung",
        "Hoàng Văn Đức",
        "Ngô Thị Ôn",
        "Bùi Văn Ơn",
        "Mai Tú",
        "Lý Tuấn",
        "Đinh Thị Từ",
    ]
    # "Tú" is a prefix of "Tuấn" (u < ư keeps "Từ" last)
    shuffled = expected[::2] + expected[1::2][::-1]
    assert vn_sorted(shuffled) == expected
