"""Question bank import: every format with good and broken files, all or nothing, scope, safe XML."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from sqlalchemy import func
from sqlmodel import select

from app.errors import ImportFailed, NotFound
from app.models import AuditEntry, Question, QuestionOption, Topic
from app.services.bank import question_import as qi
from app.services.bank import question_rules
from app.services.bank import questions as bank
from app.services.bank.import_sheet import COLUMNS, template_csv, template_xlsx, workbook_bytes
from app.services.bank.schemas import TopicCreate
from app.services.org.access import Actor
from tests.factories import actor, make_member, make_tree

HEADER = [c.header for c in COLUMNS]


@dataclass(frozen=True)
class Ctx:
    org_a: Actor  # organiser of branch A, whose topic it is
    org_b: Actor  # organiser of branch B
    topic: Topic  # empty


@pytest.fixture
def ctx(session) -> Ctx:
    t = make_tree(session)
    org_a = actor(session, make_member(session, t.a, roles=(("organiser", t.a),)))
    org_b = actor(session, make_member(session, t.b, roles=(("organiser", t.b),)))
    topic = bank.create_topic(session=session, actor=org_a, data=TopicCreate(name="Đô thị văn minh"))
    session.commit()
    return Ctx(org_a=org_a, org_b=org_b, topic=topic)


def count(session) -> int:
    return session.exec(select(func.count()).select_from(Question)).one()


def run(session, ctx, content: bytes, filename: str):
    result = qi.commit(session=session, actor=ctx.org_a, topic_id=ctx.topic.id, content=content, filename=filename)
    session.commit()
    return result


def failed(session, ctx, content: bytes, filename: str) -> ImportFailed:
    before = count(session)
    with pytest.raises(ImportFailed) as info:
        qi.commit(session=session, actor=ctx.org_a, topic_id=ctx.topic.id, content=content, filename=filename)
    session.rollback()
    assert count(session) == before  # nothing written
    assert all(e["message"] for e in info.value.errors)
    return info.value


def stored(session) -> list[tuple[Question, list[QuestionOption]]]:
    questions = session.exec(select(Question).order_by(Question.id)).all()
    options = bank.options_of(session=session, question_ids=[q.id for q in questions])
    return [(q, options[q.id]) for q in questions]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


def row(kind="", text="Câu hỏi?", options=("Hai", "Ba"), answer="A", explanation="", difficulty="", source="", tags="") -> list[str]:
    opts = list(options) + [""] * (8 - len(options))
    return [kind, text, *opts, answer, explanation, difficulty, source, tags]


# --- spreadsheets ------------------------------------------------------------------------------------------------


def test_xlsx_good_file(session, ctx):
    content = workbook_bytes(
        [
            row(
                "Một lựa chọn",
                "Nghị quyết xác định mấy khâu đột phá?",
                ("Hai", "Ba", "Bốn"),
                "B",
                "Ba khâu đột phá chiến lược.",
                "Dễ",
                "Phần II, mục 3",
                "đột phá, nghị quyết",
            ),
            row("nhiều lựa chọn", "Việc nào thuộc chỉnh trang đô thị?", ("Vỉa hè", "Chiếu sáng", "Tăng thuế"), "A, C", difficulty="khó"),
            row("Đúng/Sai", "Thủ Dầu Một thuộc tỉnh Bình Dương.", (), "Đúng", difficulty="hard"),
            row("", "Số 2020 là năm nào?", ("2020", "=5"), "AB"),  # no kind + two answers: multiple
        ]
    )
    assert run(session, ctx, content, "ngan-hang.xlsx").created == 4
    (q1, o1), (q2, o2), (q3, o3), (q4, o4) = stored(session)
    assert (q1.kind, q1.difficulty, q1.source_ref, question_rules.tags_list(q1.tags)) == (
        "single",
        "easy",
        "Phần II, mục 3",
        ["đột phá", "nghị quyết"],
    )
    assert [(o.text, o.correct) for o in o1] == [("Hai", False), ("Ba", True), ("Bốn", False)]
    assert q1.explanation == "Ba khâu đột phá chiến lược." and q1.text_folded.startswith("nghi quyet")
    assert (q2.kind, q2.difficulty, [o.correct for o in o2]) == ("multiple", "hard", [True, False, True])
    assert (q3.kind, [(o.text, o.correct) for o in o3]) == ("true_false", [("Đúng", True), ("Sai", False)])
    assert (q4.kind, [o.text for o in o4]) == ("multiple", ["2020", "=5"])
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "question.import")).one()
    assert audit.detail["created"] == 4


def test_csv_good_file_with_aliases_and_semicolons(session, ctx):
    header = ["STT", "Loại câu hỏi", "Nội dung", "A", "B", "C", "Đáp án", "Mức độ"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(
        [
            header,
            ["1", "single", "Ca\u0301i gì?", "Một", "Hai", "", "b", "trung bình"],
            ["2", "đúng sai", "Đúng không?", "", "", "", "Sai", ""],
        ]
    )
    assert run(session, ctx, buffer.getvalue().encode("utf-8-sig"), "ds.csv").created == 2
    (q1, o1), (q2, o2) = stored(session)
    assert q1.text == "Cái gì?"  # NFC
    assert [o.correct for o in o1] == [False, True]
    assert [(o.text, o.correct) for o in o2] == [("Đúng", False), ("Sai", True)]


def test_templates_import_as_they_are(session, ctx):
    assert run(session, ctx, template_xlsx(), "mau.xlsx").created == 3
    assert run(session, ctx, template_csv(), "mau.csv").created == 3


def test_csv_bad_rows_reported_by_row_and_nothing_written(session, ctx):
    content = csv_bytes(
        [
            row(text="Câu đúng?"),
            row(text="", answer="A"),  # row 3: no text
            row(text="Câu 4?", answer="E"),  # E is empty
            row(kind="tự luận", text="Câu 5?"),
            row(text="Câu 6?", options=("Một", "một")),
            row(text="Câu 7?", answer=""),
            row(kind="Một lựa chọn", text="Câu 8?", answer="A,B"),  # single with two answers
            row(text="Câu 9?", difficulty="rất khó"),
            row(text="Câu 10?", answer="x?"),
        ]
    )
    error = failed(session, ctx, content, "ds.csv")
    assert [(e["row"], e["field"]) for e in error.errors] == [
        (3, "text"),
        (4, "answer"),
        (5, "kind"),
        (6, "options"),
        (7, "answer"),
        (8, "options"),
        (9, "difficulty"),
        (10, "answer"),
    ]


def test_csv_missing_and_unknown_columns(session, ctx):
    error = failed(session, ctx, csv_bytes([["Câu?", "x"]], header=["Câu hỏi", "Ghi chú"]), "ds.csv")
    assert [e["row"] for e in error.errors] == [0, 0]
    assert "Ghi chú" in error.errors[0]["message"] and "Đáp án đúng" in error.errors[1]["message"]


def test_legacy_encoded_csv_gets_a_clear_error(session, ctx):
    content = csv_bytes([row(text="Nghị quyết Đại hội Đảng bộ thành phố lần thứ XII có mấy đột phá?")], encoding="cp1258")
    error = failed(session, ctx, content, "ds.csv")
    assert error.errors[0]["row"] == 0 and "UTF-8" in error.errors[0]["message"]


def test_unknown_extension(session, ctx):
    error = failed(session, ctx, b"hello", "bank.docx")
    assert ".gift" in error.errors[0]["message"]


def test_topic_of_another_subtree_is_not_found(session, ctx):
    with pytest.raises(NotFound):
        qi.commit(session=session, actor=ctx.org_b, topic_id=ctx.topic.id, content=template_csv(), filename="mau.csv")
    session.rollback()
    assert count(session) == 0


# --- Aiken -------------------------------------------------------------------------------------------------------

AIKEN = """Nghị quyết Đại hội xác định mấy khâu đột phá?
A. Hai
B. Ba
C. Bốn
D. Năm
ANSWER: B

Dịch vụ công trực tuyến mức độ 4 cho phép làm gì?
A) Chỉ xem thông tin
B) Tải mẫu đơn
C) Nộp hồ sơ và nhận kết quả trực tuyến
ANSWER: C
Chương trình nào thuộc nhiệm vụ kép?
A. Phòng, chống dịch Covid-19
B. Phát triển kinh tế
C. Xây dựng sân golf
ANSWER: A, B
"""


def test_aiken_good_file(session, ctx):
    assert run(session, ctx, AIKEN.encode(), "aiken.txt").created == 3
    (q1, o1), (q2, o2), (q3, o3) = stored(session)
    assert (q1.kind, [o.correct for o in o1]) == ("single", [False, True, False, False])
    assert [o.text for o in o2][2] == "Nộp hồ sơ và nhận kết quả trực tuyến" and o2[2].correct
    assert (q3.kind, [o.correct for o in o3]) == ("multiple", [True, True, False])


def test_aiken_broken_lines_reported(session, ctx):
    content = (
        "Câu một?\nA. Có\nB. Không\nANSWER: C\n\n"  # line 4: C is no option
        "Câu hai?\nA. Có\nC. Không\nANSWER: A\n\n"  # line 8: C where B belongs
        "Câu ba?\nA. Có\nB. Có\nANSWER: A\n\n"  # line 11: two options the same (check_question)
        "Câu bốn?\nA. Có\nB. Không\n\n"  # line 16: no ANSWER
        "ANSWER: B\n"
    ).encode()  # line 20: ANSWER without a question
    error = failed(session, ctx, content, "aiken.txt")
    assert [(e["row"], e["field"]) for e in error.errors] == [
        (4, "answer"),
        (8, "options"),
        (11, "options"),
        (16, "answer"),
        (20, "answer"),
    ]


def test_aiken_in_a_legacy_code_page_gets_a_clear_error(session, ctx):
    error = failed(session, ctx, AIKEN.encode("cp1258", errors="replace"), "aiken.txt")
    assert "UTF-8" in error.errors[0]["message"]


# --- GIFT --------------------------------------------------------------------------------------------------------

GIFT = r"""// Ngân hàng câu hỏi tìm hiểu Nghị quyết (GIFT)
$CATEGORY: $course$/top/Nghị quyết

::Đột phá::Nghị quyết xác định mấy khâu đột phá?{
  ~Hai#Chưa đúng.
  =Ba#Đúng vậy.
  ~Bốn
  ####Nghị quyết nêu ba khâu đột phá chiến lược.
}

// đúng/sai, phản hồi khi sai rồi khi đúng
Thủ Dầu Một là thành phố trực thuộc tỉnh Bình Dương.{TRUE#Sai rồi.#Chính xác, từ năm 2012.}

Thủ Dầu Một là thành phố trực thuộc trung ương.{F}

Những việc nào thuộc chương trình chỉnh trang đô thị?{
  ~%50%Cải tạo vỉa hè
  ~%50%Chiếu sáng công cộng
  ~%-100%Tăng thuế đất
}

Nghị quyết có {~hai =ba ~bốn} khâu đột phá.

[html]Tỉ lệ <b>hộ gia đình</b> dùng dịch vụ công \{trực tuyến\} đạt 50\: bao nhiêu?{=Trên 50\% ~Dưới 10 \= ít}

Ai là người đứng đầu?{=Bí thư =Chủ tịch}

Năm thành lập thành phố?{#2012}

Ghép tên với chức danh.{=Nguyễn Văn A -> Bí thư =Trần Văn B -> Chủ tịch}

Hãy nêu cảm nghĩ về đô thị văn minh.{}

Phần sau là các câu hỏi về chuyển đổi số.
"""


def test_gift_good_file_and_skipped_kinds(session, ctx):
    result = run(session, ctx, GIFT.encode(), "bank.gift")
    assert result.created == 6
    assert [s["line"] for s in result.skipped] == [26, 28, 30, 32, 34]
    assert "short answer" in result.skipped[0]["reason"] and "numerical" in result.skipped[1]["reason"]
    assert "matching" in result.skipped[2]["reason"] and "essay" in result.skipped[3]["reason"]
    items = stored(session)
    q, o = items[0]
    assert (q.kind, q.text, q.explanation) == (
        "single",
        "Nghị quyết xác định mấy khâu đột phá?",
        "Nghị quyết nêu ba khâu đột phá chiến lược.",
    )
    assert [(x.text, x.correct) for x in o] == [("Hai", False), ("Ba", True), ("Bốn", False)]
    q, o = items[1]
    assert (q.kind, [x.correct for x in o], q.explanation) == ("true_false", [True, False], "Chính xác, từ năm 2012.")
    assert [x.correct for x in items[2][1]] == [False, True]
    assert (items[3][0].kind, [x.correct for x in items[3][1]]) == ("multiple", [True, True, False])
    assert items[4][0].text == "Nghị quyết có _____ khâu đột phá."
    q, o = items[5]
    assert q.text == "Tỉ lệ hộ gia đình dùng dịch vụ công {trực tuyến} đạt 50: bao nhiêu?"
    assert [x.text for x in o] == ["Trên 50\\%", "Dưới 10 = ít"]


def test_gift_gift_in_a_txt_file_is_read_as_gift(session, ctx):
    assert run(session, ctx, "Câu hỏi?{=Có ~Không}\n".encode(), "moodle-export.txt").created == 1


def test_gift_broken_questions_reported_by_line(session, ctx):
    content = (
        "Câu một?{=Có ~Không}\n\n"
        "Câu hai?{=Có =Cũng có ~Không}\n\n"  # line 3: two right answers in a single choice
        "Câu ba?{=Có ~Không\n\n"  # line 5: the brace never closes
        "Câu bốn?{Có ~Không}\n\n"  # line 7: an answer without = or ~
        "Câu năm?{=Có ~}\n"
    ).encode()  # line 9: an empty option
    error = failed(session, ctx, content, "bank.gift")
    assert [(e["row"], e["field"]) for e in error.errors] == [(3, "options"), (5, None), (7, "options"), (9, "options")]


# --- Moodle XML --------------------------------------------------------------------------------------------------

MOODLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<!-- question: 0  -->
  <question type="category">
    <category>
      <text>$course$/top/Nghị quyết Đại hội</text>
    </category>
  </question>
<!-- question: 101  -->
  <question type="multichoice">
    <name>
      <text>Khâu đột phá</text>
    </name>
    <questiontext format="html">
      <text><![CDATA[<p>Nghị quyết xác định <strong>mấy</strong> khâu đột phá?</p>]]></text>
    </questiontext>
    <generalfeedback format="html">
      <text><![CDATA[<p>Ba khâu đột phá &amp; sáu nhiệm vụ trọng tâm.</p>]]></text>
    </generalfeedback>
    <defaultgrade>1.0000000</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber></idnumber>
    <single>true</single>
    <shuffleanswers>true</shuffleanswers>
    <answernumbering>abc</answernumbering>
    <answer fraction="0" format="html"><text><![CDATA[<p>Hai</p>]]></text><feedback format="html"><text></text></feedback></answer>
    <answer fraction="100" format="html"><text><![CDATA[<p>Ba</p>]]></text><feedback format="html"><text></text></feedback></answer>
    <answer fraction="0" format="html"><text>Bốn &lt; năm</text><feedback format="html"><text></text></feedback></answer>
    <tags><tag><text>đột phá</text></tag><tag><text>Mức độ: Dễ</text></tag></tags>
  </question>
  <question type="multichoice">
    <name><text>Chỉnh trang</text></name>
    <questiontext format="moodle_auto_format"><text>Việc nào thuộc chỉnh trang đô thị?</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>Cải tạo vỉa hè</text></answer>
    <answer fraction="50"><text>Chiếu sáng công cộng</text></answer>
    <answer fraction="-100"><text>Tăng thuế đất</text></answer>
  </question>
  <question type="truefalse">
    <name><text>Thủ Dầu Một</text></name>
    <questiontext format="html"><text>Thủ Dầu Một là thành phố trực thuộc trung ương.</text></questiontext>
    <answer fraction="0" format="moodle_auto_format"><text>true</text></answer>
    <answer fraction="100" format="moodle_auto_format"><text>false</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>Tên</text></name>
    <questiontext format="html"><text>Tên thành phố?</text></questiontext>
    <answer fraction="100"><text>Thủ Dầu Một</text></answer>
  </question>
  <question type="essay">
    <name><text>Cảm nghĩ</text></name>
    <questiontext format="html"><text>Nêu cảm nghĩ.</text></questiontext>
  </question>
  <question type="multichoice">
    <name><text>Ảnh</text></name>
    <questiontext format="html"><text><![CDATA[<p>Đây là đâu? <img src="@@PLUGINFILE@@/a.png"></p>]]></text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>A</text></answer>
    <answer fraction="0"><text>B</text></answer>
  </question>
</quiz>
"""


def test_moodle_xml_good_file_and_skipped_kinds(session, ctx):
    result = run(session, ctx, MOODLE.encode(), "moodle.xml")
    assert result.created == 3
    assert [s["line"] for s in result.skipped] == [46, 51, 55]
    assert "shortanswer" in result.skipped[0]["reason"] and "essay" in result.skipped[1]["reason"]
    (q1, o1), (q2, o2), (q3, o3) = stored(session)
    assert (q1.kind, q1.text, q1.explanation, q1.difficulty, question_rules.tags_list(q1.tags)) == (
        "single",
        "Nghị quyết xác định mấy khâu đột phá?",
        "Ba khâu đột phá & sáu nhiệm vụ trọng tâm.",
        "easy",
        ["đột phá"],
    )
    assert [(o.text, o.correct) for o in o1] == [("Hai", False), ("Ba", True), ("Bốn < năm", False)]
    assert (q2.kind, [o.correct for o in o2]) == ("multiple", [True, True, False])
    assert (q3.kind, [(o.text, o.correct) for o in o3]) == ("true_false", [("Đúng", False), ("Sai", True)])


def test_moodle_xml_bad_question_reported_by_line(session, ctx):
    content = MOODLE.replace(
        '<answer fraction="100" format="html"><text><![CDATA[<p>Ba</p>]]>', '<answer fraction="0" format="html"><text><![CDATA[<p>Ba</p>]]>'
    ).encode()
    error = failed(session, ctx, content, "moodle.xml")
    assert [(e["row"], e["field"]) for e in error.errors] == [(10, "options")]


def test_malformed_xml_reports_the_line(session, ctx):
    error = failed(session, ctx, b'<?xml version="1.0"?>\n<quiz>\n<question type="truefalse">\n</quiz>\n', "q.xml")
    assert error.errors[0]["row"] == 0 and "4" in error.errors[0]["message"]


def test_not_a_moodle_file(session, ctx):
    error = failed(session, ctx, b"<html><body>hi</body></html>", "q.xml")
    assert "<quiz>" in error.errors[0]["message"]


@pytest.mark.parametrize(
    "content",
    [
        b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<quiz><question type="truefalse"><questiontext><text>&lol2;</text></questiontext></question></quiz>""",
        b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><questiontext><text>&xxe;</text></questiontext></question></quiz>""",
        b"""<?xml version="1.0"?><!DOCTYPE quiz SYSTEM "http://example.com/quiz.dtd"><quiz/>""",
    ],
)
def test_xml_with_doctype_or_entities_is_refused(session, ctx, content):
    error = failed(session, ctx, content, "q.xml")
    assert "DOCTYPE" in error.errors[0]["message"]


def test_moodle_gift_examples_partial_credit_markers_and_media():
    """Lines of Moodle's own question/format/gift/examples.txt: in GIFT "=" is the full credit and "~%50%" a
    partial credit (single choice), so only "=" is keyed and the report says the partial credit was dropped;
    with no "=" the positive weights are the right answers of a checkbox question. Format markers never stay
    in the text; a question with a picture is skipped with the reason, never imported without it."""
    from app.services.bank.import_base import Parsed
    from app.services.bank.import_text import parse_aiken, parse_gift

    gift = (
        "Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}\n\n"
        "::Jesus' hometown::Jesus Christ was from {\n    ~Jerusalem#This was an important city, but the wrong answer.\n"
        "    ~%25%Bethlehem#He was born here, but not raised here.\n    ~%50%Galilee#You need to be more specific.\n"
        "    =Nazareth#Yes! That's right!}.\n\n"
        "What two people are entombed in Grant's tomb? {\n    ~No one\n    ~%50%Grant\n    ~%50%Grant's wife\n"
        "    ~Grant's father }\n\n"
        "[markdown]Who's buried in **Grant's tomb**?{=[plain]no one ~[plain]Grant ~[plain]Jefferson}\n\n"
        '[html]Which flag is this? <img src="@@PLUGINFILE@@/flag.png">{=Viet Nam ~Laos}\n'
    )
    parsed = Parsed()
    parse_gift(gift, parsed)
    by_text = {d.text: d for d in parsed.drafts}
    hard = by_text["Difficult question."]
    assert hard.kind == "single" and [t.strip() for t, c in hard.options if c] == ["full credit answer"]
    town = by_text["Jesus Christ was from _____ ."]
    assert town.kind == "single" and [t.strip() for t, c in town.options if c] == ["Nazareth"]
    tomb = by_text["What two people are entombed in Grant's tomb?"]
    assert tomb.kind == "multiple" and [t.strip() for t, c in tomb.options if c] == ["Grant", "Grant's wife"]
    assert [n["line"] for n in parsed.notes] == [1, 3]  # both partial-credit questions are reported
    marked = [d for d in parsed.drafts if "Grant's tomb**" in d.text][0]
    assert not any("[plain]" in t or "[markdown]" in t for t, _c in marked.options) and "[markdown]" not in marked.text
    assert any("hình ảnh" in s["reason"] for s in parsed.skipped)
    aiken = Parsed()
    parse_aiken("Thủ đô của Việt Nam?\nA)Hà Nội\nB)Huế\nANSWER: A\n", aiken)  # no space after ")"
    assert aiken.errors == [] and aiken.drafts[0].options == [("Hà Nội", True), ("Huế", False)]


def test_moodle_xml_partial_credit_and_pictures_are_said():
    from app.services.bank.import_base import Parsed
    from app.services.bank.import_xml import parse_moodle_xml

    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice"><name><text>a</text></name>
    <questiontext format="html"><text>Jesus Christ was from</text></questiontext>
    <single>true</single>
    <answer fraction="0"><text>Jerusalem</text></answer>
    <answer fraction="50"><text>Galilee</text></answer>
    <answer fraction="100"><text>Nazareth</text></answer>
  </question>
  <question type="multichoice"><name><text>b</text></name>
    <questiontext format="html"><text>Which flag?</text></questiontext>
    <single>true</single>
    <answer fraction="100" format="html"><text>&lt;img src="@@PLUGINFILE@@/vn.png"&gt;</text></answer>
    <answer fraction="0"><text>Laos</text></answer>
  </question>
  <question type="truefalse"><name><text>c</text></name>
    <questiontext format="moodle_auto_format"><text>Old picture question</text></questiontext>
    <image>flags/vn.png</image>
    <answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>
  </question>
</quiz>"""
    parsed = Parsed()
    parse_moodle_xml(xml, parsed)
    assert [d.text for d in parsed.drafts] == ["Jesus Christ was from"]
    assert [t for t, c in parsed.drafts[0].options if c] == ["Nazareth"] and len(parsed.notes) == 1
    assert len(parsed.skipped) == 2 and all("hình ảnh" in s["reason"] for s in parsed.skipped)


def test_tables_and_preformatted_text_keep_their_lines(session, ctx):
    """A Moodle question quoting a table and a <pre> passage keeps one line per row (cells joined by " | ")
    and the passage's own lines, and the Moodle XML export brings the same text back."""
    from app.services.bank import question_export as qe

    xml = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice"><name><text>t</text></name>
    <questiontext format="html"><text><![CDATA[<p>Theo bảng
      dưới đây:</p><table><tr><th>Năm</th><th>Số đảng viên</th></tr>
      <tr><td>2020</td><td>5.200.000</td></tr><tr><td>2025</td><td>5.600.000</td></tr></table>
      <pre>Điều 1.
  Khoản a</pre><p>Số đảng viên tăng bao nhiêu?</p>]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>Tăng</p><p>400.000</p>]]></text></generalfeedback>
    <single>true</single>
    <answer fraction="100"><text>400.000</text></answer>
    <answer fraction="0"><text>200.000</text></answer>
  </question>
</quiz>""".encode()
    run(session, ctx, xml, "bang.xml")
    [(question, _options)] = stored(session)
    assert question.text == (
        "Theo bảng dưới đây:\nNăm | Số đảng viên\n2020 | 5.200.000\n2025 | 5.600.000\nĐiều 1.\nKhoản a\nSố đảng viên tăng bao nhiêu?"
    )
    assert question.explanation == "Tăng\n400.000"
    exported = qe.to_moodle_xml(session=session, actor=ctx.org_a, topic_id=ctx.topic.id).content
    again = bank.create_topic(session=session, actor=ctx.org_a, data=TopicCreate(name="Bản sao"))
    session.commit()
    qi.commit(session=session, actor=ctx.org_a, topic_id=again.id, content=exported, filename="lai.xml")
    session.commit()
    copy = session.exec(select(Question).where(Question.topic_id == again.id)).one()
    assert (copy.text, copy.explanation) == (question.text, question.explanation)


def test_a_typed_question_keeps_line_breaks_but_not_empty_lines():
    from app.services.bank.question_rules import check_question

    clean, errors = check_question(kind="single", text="  Câu  hỏi\r\n\r\n  dòng   hai \n", options=[("A", True), ("B", False)])
    assert errors == [] and clean.text == "Câu hỏi\ndòng hai"
