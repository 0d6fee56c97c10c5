"""Essay pages: a member writes (plain form and htmx autosave), submits and reads the receipt; HTML typed into an
essay is shown as text; the organiser creates a campaign, reviews and returns, searches and downloads; a judge grades
from the queue; people of other units are kept out."""

from __future__ import annotations

import re

from sqlmodel import select

from app.models import Role
from app.models.essays import Essay, EssayCampaign
from tests.essays.helpers import WORDS
from tests.factories import local_time, make_member
from tests.pagehelpers import csrf_from, page_login

EVIL = "<script>alert('x')</script> <b>đậm</b>"


def _as(client, member) -> str:
    client.cookies.clear()
    assert page_login(client, member.phone).status_code == 303
    return csrf_from(client.get("/essays").text)


def test_a_member_writes_saves_submits_and_gets_a_receipt(client, essay_world):
    c = essay_world.campaign
    token = _as(client, essay_world.member)
    home = client.get("/")
    assert f"/essays/campaigns/{c.id}/write" in home.text and 'href="/essays"' in home.text
    page = client.get(f"/essays/campaigns/{c.id}/write")
    assert page.status_code == 200 and 'id="essay-text"' in page.text and "Xây dựng Đảng" in page.text
    text = WORDS.strip() + "\n\n" + EVIL
    saved = client.post(
        f"/essays/campaigns/{c.id}/write",
        data={"csrf_token": token, "topic": "Xây dựng Đảng", "text": text, "action": "save"},
        follow_redirects=True,
    )
    assert "Đã lưu bản nháp." in saved.text
    assert EVIL not in saved.text and "&lt;script&gt;" in saved.text  # the draft goes back into the textarea escaped
    # htmx autosave (CSRF header), then a reload shows the newer draft
    auto = client.post(
        f"/essays/campaigns/{c.id}/draft",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        data={"topic": "Xây dựng Đảng", "text": text + " Thêm một câu."},
    )
    assert auto.status_code == 200 and "Đã lưu nháp lúc" in auto.text and "22 chữ" in auto.text
    assert "Thêm một câu." in client.get(f"/essays/campaigns/{c.id}/write").text
    assert client.post(f"/essays/campaigns/{c.id}/draft", data={"text": "x"}).status_code == 403  # no CSRF token
    # too long on submit: refused with the reason, and what was typed is kept
    long = client.post(
        f"/essays/campaigns/{c.id}/write",
        data={"csrf_token": token, "topic": "Xây dựng Đảng", "text": " ".join(["chữ"] * 41), "action": "submit"},
    )
    assert long.status_code == 422 and "vượt giới hạn 40 chữ" in long.text
    assert essay_world.session.exec(select(Essay)).one().draft_words == 41
    done = client.post(
        f"/essays/campaigns/{c.id}/write",
        data={"csrf_token": token, "topic": "Xây dựng Đảng", "text": text, "action": "submit"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and 'id="receipt"' in done.text
    assert re.search(r'id="receipt-words">19<', done.text) and re.search(r'id="receipt-time">\d\d/\d\d/\d{4} \d\d:\d\d:\d\d<', done.text)
    assert EVIL not in done.text and "&lt;b&gt;đậm&lt;/b&gt;" in done.text
    assert "Bạn đã nộp bài lúc" in client.get(f"/essays/campaigns/{c.id}/write").text


def test_the_cell_reviews_returns_and_searches_and_a_judge_grades(client, essay_world):
    c = essay_world.campaign
    token = _as(client, essay_world.member)
    client.post(
        f"/essays/campaigns/{c.id}/write",
        data={"csrf_token": token, "topic": "Xây dựng Đảng", "text": WORDS.strip() + "\n\n" + EVIL, "action": "submit"},
    )
    essay = essay_world.session.exec(select(Essay)).one()
    make_member(essay_world.session, essay_world.tree.a1, full_name="Lê Thị Hoa", phone="0933000222")

    token = _as(client, essay_world.cell_org)
    review = client.get(f"/essays/campaigns/{c.id}/review")
    assert review.status_code == 200 and "Nguyễn Thị Ánh Tuyết" in review.text
    missing = review.text[review.text.index('id="missing-list"') :]
    assert "Lê Thị Hoa" in missing and 'href="tel:0933000222"' in missing
    assert "Nguyễn Thị Ánh Tuyết" in client.get(f"/essays/campaigns/{c.id}/review?q=nghi+quyet").text
    assert (
        "Nguyễn Thị Ánh Tuyết"
        not in client.get(f"/essays/campaigns/{c.id}/review?q=kinh+te").text.split('id="essays"')[1].split('id="missing"')[0]
    )
    read = client.get(f"/essays/{essay.id}")
    assert read.status_code == 200 and EVIL not in read.text and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in read.text
    empty = client.post(f"/essays/{essay.id}/review", data={"csrf_token": token, "action": "returned", "comment": ""})
    assert empty.status_code == 422 and "cần ghi nhận xét" in empty.text
    returned = client.post(
        f"/essays/{essay.id}/review",
        data={"csrf_token": token, "action": "returned", "comment": "Viết thêm giải pháp."},
        follow_redirects=True,
    )
    assert "Đã trả lại bài" in returned.text
    assert client.get(f"/essays/campaigns/{c.id}/export.xlsx").status_code == 200
    assert client.get(f"/essays/campaigns/{c.id}/export.pdf").content.startswith(b"%PDF")

    token = _as(client, essay_world.member)
    write = client.get(f"/essays/campaigns/{c.id}/write")
    assert "Viết thêm giải pháp." in write.text
    client.post(
        f"/essays/campaigns/{c.id}/write",
        data={"csrf_token": token, "topic": "Xây dựng Đảng", "text": WORDS + "Giải pháp: học tập mỗi tháng.", "action": "submit"},
    )

    judge = make_member(essay_world.session, essay_world.tree.a, roles=((Role.judge, essay_world.tree.a),))
    token = _as(client, judge)
    queue = client.get(f"/essays/campaigns/{c.id}/grading")
    assert queue.status_code == 200 and f"/essays/{essay.id}#grade" in queue.text
    form = client.get(f"/essays/{essay.id}")
    assert 'name="score_noi_dung"' in form.text and 'max="60"' in form.text
    bad = client.post(
        f"/essays/{essay.id}/grade", data={"csrf_token": token, "score_noi_dung": "70", "score_giai_phap": "20", "score_trinh_bay": "5"}
    )
    assert bad.status_code == 422 and "phải từ 0 đến 60" in bad.text
    ok = client.post(
        f"/essays/{essay.id}/grade",
        data={"csrf_token": token, "score_noi_dung": "50,5", "score_giai_phap": "20", "score_trinh_bay": "5", "comment": "Tốt"},
        follow_redirects=True,
    )
    assert "Đã lưu điểm của bạn." in ok.text and "75.5" in ok.text
    assert f"/essays/{essay.id}#grade" not in client.get(f"/essays/campaigns/{c.id}/grading").text


def test_organiser_creates_and_edits_a_campaign_and_outsiders_are_kept_out(client, essay_world):
    token = _as(client, essay_world.org)
    opens, closes = local_time(10, 7), local_time(30, 17)
    new = client.get("/essays/campaigns/new")
    assert new.status_code == 200 and "Nội dung, nhận thức về Nghị quyết | 50" in new.text
    bad = client.post(
        "/essays/campaigns",
        data={
            "csrf_token": token,
            "title": "Thu hoạch",
            "scope_unit_code": "DB-A",
            "opens_at": opens,
            "closes_at": closes,
            "min_words": "10",
            "max_words": "100",
            "rubric": "Nội dung 50",
        },
    )
    assert bad.status_code == 422 and "Tên tiêu chí | điểm tối đa" in bad.text
    made = client.post(
        "/essays/campaigns",
        data={
            "csrf_token": token,
            "title": "Thu hoạch chuyên đề",
            "scope_unit_code": "DB-A",
            "opens_at": opens,
            "closes_at": closes,
            "min_words": "10",
            "max_words": "100",
            "topics": "Một\nHai\n",
            "rubric": "Nội dung | 70\nHình thức | 30",
            "graders_per_essay": "2",
            "disagreement_pct": "15",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    campaign = essay_world.session.exec(select(EssayCampaign).where(EssayCampaign.title == "Thu hoạch chuyên đề")).one()
    assert campaign.topics == ["Một", "Hai"] and campaign.disagreement_share == 0.15
    edit = client.get(f"/essays/campaigns/{campaign.id}/edit")
    assert opens in edit.text and "Nội dung | 70" in edit.text
    saved = client.post(
        f"/essays/campaigns/{campaign.id}/edit",
        data={
            "csrf_token": token,
            "title": "Thu hoạch chuyên đề (sửa)",
            "opens_at": opens,
            "closes_at": local_time(31, 17),
            "min_words": "10",
            "max_words": "100",
            "topics": "Một\nHai",
            "rubric": "Nội dung | 70\nHình thức | 30",
            "graders_per_essay": "2",
            "disagreement_pct": "15",
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Thu hoạch chuyên đề (sửa)" in saved.text

    _as(client, essay_world.other_org)
    assert client.get(f"/essays/campaigns/{campaign.id}/edit").status_code == 404
    assert client.get(f"/essays/campaigns/{campaign.id}/review").status_code == 404
    _as(client, essay_world.member)
    assert client.get("/essays/campaigns/new").status_code == 403
    assert client.get(f"/essays/campaigns/{essay_world.campaign.id}/review").status_code == 403
    assert client.get("/essays/grading").status_code == 403


def test_the_essay_list_and_the_essay_page_say_the_same_state(client, essay_world):
    """Nothing written, a draft, handed in, returned by the cell, edited after handing in: one word on both."""
    from app.services.essays import essays
    from tests.factories import actor

    c, s = essay_world.campaign, essay_world.session
    _as(client, essay_world.member)
    me = actor(s, essay_world.member)

    def both() -> tuple[str, str]:
        listed = re.search(rf'id="my-state-{c.id}">([^<]*)<', client.get("/essays").text).group(1)
        shown = re.search(r'id="my-state">([^<]*)<', client.get(f"/essays/campaigns/{c.id}/write").text).group(1)
        return listed, shown

    assert both() == ("Chưa viết", "Chưa viết")
    essays.save_draft(session=s, actor=me, campaign_id=c.id, topic="Xây dựng Đảng", text=WORDS)
    s.commit()
    assert both() == ("Đang viết nháp", "Đang viết nháp")
    essay = essays.submit(session=s, actor=me, campaign_id=c.id)
    s.commit()
    assert both() == ("Đã nộp, chờ chi bộ xem", "Đã nộp, chờ chi bộ xem")
    essays.review(session=s, actor=actor(s, essay_world.cell_org), essay_id=essay.id, action="returned", comment="Cần thêm giải pháp.")
    s.commit()
    assert both() == ("Bị trả lại để sửa", "Bị trả lại để sửa")
    essays.submit(session=s, actor=me, campaign_id=c.id)
    essays.save_draft(session=s, actor=me, campaign_id=c.id, topic="Xây dựng Đảng", text=WORDS + " Thêm ý.")
    s.commit()
    assert both() == ("Đã nộp; có bản sửa chưa nộp", "Đã nộp; có bản sửa chưa nộp")
