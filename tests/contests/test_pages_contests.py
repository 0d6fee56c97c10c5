"""Contest pages: create weekly rounds from one form, publish, share (public page, Open Graph, QR)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.models import Contest, Member, Round
from app.services.bank import questions as bank
from app.services.bank.schemas import OptionIn, QuestionCreate, TopicCreate
from tests.factories import actor, make_member, make_tree
from tests.fixtures.results import add
from tests.pagehelpers import csrf_from, page_login


@pytest.fixture
def topic(session, client):
    t = make_tree(session)
    org = actor(session, make_member(session, t.a, phone="0900000001", roles=(("organiser", t.a),)))
    topic = bank.create_topic(session=session, actor=org, data=TopicCreate(name="Đô thị văn minh", unit_code="DB-A"))
    for n in range(12):
        bank.create_question(
            session=session,
            actor=org,
            data=QuestionCreate(
                topic_id=topic.id, text=f"Câu hỏi số {n}?", options=[OptionIn(text="Có", correct=True), OptionIn(text="Không")]
            ),
        )
    session.commit()
    page_login(client, "0900000001")
    return topic


def _form(token: str, topic_id: int, **over) -> dict:
    monday = (datetime.now() + timedelta(days=7 - datetime.now().weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    form = {
        "csrf_token": token,
        "title": "Tìm hiểu Nghị quyết Đại hội XII",
        "scope_unit_code": "DB-A",
        "rules_text": "**Đối tượng:** đảng viên.",
        "tie_break": "default",
        "weeks": "3",
        "round_title": "Tuần",
        "opens_at": monday.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (monday + timedelta(days=6, hours=23)).strftime("%Y-%m-%dT%H:%M"),
        "source": "draw",
        "draw_topic_id": [str(topic_id), ""],
        "draw_difficulty": ["", ""],
        "draw_count": ["10", ""],
        "time_limit_min": "15",
        "points": "1",
        "attempts_allowed": "2",
        "counted_attempt": "best",
        "results_visibility": "after_close",
        "shuffle_questions": "1",
        "shuffle_options": "1",
        "prediction_kind": "perfect_scorers",
        "prediction_lock_first": "1",
    }
    form.update(over)
    return form


def test_create_publish_share(app, client, session, topic):
    token = csrf_from(client.get("/contests/new").text)
    r = client.post("/contests", data=_form(token, topic.id), follow_redirects=False)
    assert r.status_code == 303, r.text
    session.rollback()
    contest = session.exec(select(Contest)).one()
    rounds = session.exec(select(Round).where(Round.contest_id == contest.id).order_by(Round.position)).all()
    assert [r.title for r in rounds] == ["Tuần 1", "Tuần 2", "Tuần 3"]
    assert rounds[1].opens_at - rounds[0].opens_at == timedelta(days=7)
    assert rounds[0].attempts_allowed == 2 and rounds[0].draw[0]["count"] == 10
    assert client.get(f"/c/{contest.slug}").status_code == 404  # a draft is not public
    page = client.get(f"/contests/{contest.id}")
    r = client.post(f"/contests/{contest.id}/publish", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    with TestClient(app) as anonymous:  # the share link works for someone who is not logged in
        public = anonymous.get(f"/c/{contest.slug}")
    assert public.status_code == 200
    assert '<meta property="og:title" content="Tìm hiểu Nghị quyết Đại hội XII">' in public.text
    assert "<strong>Đối tượng:</strong>" in public.text
    assert client.get(f"/c/{contest.slug}/qr.png").content.startswith(b"\x89PNG")
    assert b"<svg" in client.get(f"/c/{contest.slug}/qr.svg").content


def test_bad_form_keeps_values_and_says_why(client, session, topic):
    token = csrf_from(client.get("/contests/new").text)
    r = client.post("/contests", data=_form(token, topic.id, draw_count=["50", ""]))
    assert r.status_code == 422
    assert "không đủ 50 câu" in r.text
    assert 'value="Tìm hiểu Nghị quyết Đại hội XII"' in r.text
    session.rollback()
    assert session.exec(select(Contest)).first() is None


def test_round_edit_and_lock(client, session, topic):
    token = csrf_from(client.get("/contests/new").text)
    now = datetime.now()
    client.post(
        "/contests",
        data=_form(
            token,
            topic.id,
            weeks="1",
            opens_at=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            closes_at=(now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        ),
    )
    session.rollback()
    contest = session.exec(select(Contest)).one()
    round_ = session.exec(select(Round)).one()
    page = client.get(f"/contests/rounds/{round_.id}")
    form = {
        "csrf_token": csrf_from(page.text),
        "title": "Tuần mở đầu",
        "opens_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "time_limit_min": "20",
        "attempts_allowed": "2",
        "cooldown_min": "0",
        "points": "1",
        "counted_attempt": "best",
        "results_visibility": "after_close",
        "shuffle_questions": "1",
        "shuffle_options": "1",
    }
    assert client.post(f"/contests/rounds/{round_.id}", data=form, follow_redirects=False).status_code == 303  # draft
    client.post(f"/contests/{contest.id}/publish", data={"csrf_token": form["csrf_token"]})
    r = client.post(f"/contests/rounds/{round_.id}", data={**form, "time_limit_min": "25"})
    assert r.status_code == 409 and "không thể đổi thời gian làm bài" in r.text
    r = client.post(f"/contests/rounds/{round_.id}", data={**form, "title": "Tuần 1 (đã mở)"}, follow_redirects=False)
    assert r.status_code == 303
    session.rollback()
    saved = session.get(Round, round_.id)
    assert saved.title == "Tuần 1 (đã mở)" and saved.time_limit_s == 20 * 60


def test_organiser_closes_a_round_by_hand(client, session, results_arena):
    r = results_arena.rounds[1]  # open now
    people = [make_member(session, results_arena.tree.a1) for _ in range(2)]
    add(session, r, people[0], score=5, prediction=1)
    add(session, r, people[1], score=3, prediction=4)
    org = session.get(Member, results_arena.org.id)
    org.phone = "0911000200"
    people[0].phone = "0911000201"
    session.add_all([org, people[0]])
    session.commit()
    page_login(client, "0911000201")
    member_page = client.get("/")
    denied = client.post(f"/contests/rounds/{r.id}/close", data={"csrf_token": csrf_from(member_page.text)})
    assert denied.status_code == 403
    client.cookies.clear()
    page_login(client, "0911000200")
    page = client.get(f"/contests/rounds/{r.id}")
    assert "Đóng vòng thi ngay" in page.text
    done = client.post(f"/contests/rounds/{r.id}/close", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "Vòng thi đã đóng lúc" in page.text and 'id="truth">1</b>' in page.text
    assert "Đóng vòng thi ngay" not in page.text and f'href="/rounds/{r.id}/board"' in page.text
    session.rollback()
    session.refresh(r)
    assert (r.status, r.totals["participants"]) == ("closed", 2)


def _second_topic(session, topic) -> object:
    """A second topic with 3 easy and 2 hard questions, in the organiser's unit."""
    from app.models import Unit

    org = actor(session, session.exec(select(Member).where(Member.phone == "0900000001")).one())
    other = bank.create_topic(
        session=session, actor=org, data=TopicCreate(name="Chuyển đổi số", unit_code=session.get(Unit, topic.unit_id).code)
    )
    for n, level in enumerate(("easy",) * 3 + ("hard",) * 2):
        bank.create_question(
            session=session,
            actor=org,
            data=QuestionCreate(
                topic_id=other.id,
                text=f"Chuyển đổi số {n}?",
                difficulty=level,
                options=[OptionIn(text="Có", correct=True), OptionIn(text="Không")],
            ),
        )
    session.commit()
    return other


def test_a_draw_over_several_topics_and_difficulties(client, session, topic):
    """Rows of topic × difficulty × count, with what the bank holds for each row checked as they change."""
    other = _second_topic(session, topic)
    page = client.get("/contests/new")
    assert 'name="draw_topic_id"' in page.text and "Chuyển đổi số (5)" in page.text
    token = csrf_from(page.text)
    check = client.post(
        "/contests/draw-check",
        data={
            "source": "draw",
            "draw_topic_id": [str(topic.id), str(other.id), str(other.id)],
            "draw_difficulty": ["", "easy", "hard"],
            "draw_count": ["8", "2", "3"],
        },
        headers={"X-CSRF-Token": token},
    )
    assert check.status_code == 200
    assert "có 12 câu" in check.text and "có 3 câu" in check.text and "không đủ: có 2 câu" in check.text
    assert "Mỗi lượt thi: 13 câu" in check.text
    r = client.post(
        "/contests",
        data=_form(
            token,
            topic.id,
            weeks="1",
            draw_topic_id=[str(topic.id), str(other.id), str(other.id), ""],
            draw_difficulty=["", "easy", "hard", ""],
            draw_count=["8", "2", "2", ""],
        ),
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    session.rollback()
    round_ = session.exec(select(Round)).one()
    assert round_.draw == [
        {"topic_id": topic.id, "difficulty": None, "count": 8},
        {"topic_id": other.id, "difficulty": "easy", "count": 2},
        {"topic_id": other.id, "difficulty": "hard", "count": 2},
    ]
    short = client.post("/contests", data=_form(token, topic.id, draw_topic_id=[str(other.id)], draw_difficulty=["hard"], draw_count=["3"]))
    assert short.status_code == 422 and "chỉ có 2 câu mức khó" in short.text


def test_a_round_takes_a_fixed_list_and_a_prediction_on_its_page(client, session, topic):
    from app.models import Question

    token = csrf_from(client.get("/contests/new").text)
    client.post("/contests", data=_form(token, topic.id, weeks="1"))
    session.rollback()
    round_ = session.exec(select(Round)).one()
    page = client.get(f"/contests/rounds/{round_.id}").text
    assert 'name="prediction_kind"' in page and 'value="draw" checked' in page
    picked = [str(q.id) for q in session.exec(select(Question).where(Question.topic_id == topic.id).order_by(Question.id)).all()[:3]]
    fixed = client.post("/contests/draw-check", data={"source": "fixed"}, headers={"X-CSRF-Token": token})
    assert fixed.text.count('name="question_ids"') == 12
    form = {
        "csrf_token": token,
        "title": "Tuần 1",
        "opens_at": page.split('id="f-opens_at"')[1].split('value="')[1][:16],
        "closes_at": page.split('id="f-closes_at"')[1].split('value="')[1][:16],
        "time_limit_min": "10",
        "attempts_allowed": "1",
        "cooldown_min": "0",
        "points": "1",
        "counted_attempt": "best",
        "results_visibility": "after_close",
        "shuffle_questions": "1",
        "shuffle_options": "1",
        "source": "fixed",
        "question_ids": picked,
        "prediction_kind": "participants",
        "prediction_prompt": "Bao nhiêu người dự thi?",
    }
    r = client.post(f"/contests/rounds/{round_.id}", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    session.rollback()
    saved = session.get(Round, round_.id)
    assert saved.draw == [] and saved.prediction_kind == "participants" and not saved.prediction_lock_first
    again = client.get(f"/contests/rounds/{round_.id}").text
    assert 'value="fixed" checked' in again and again.count("checked> Câu hỏi số") == 3
    dropped = client.post(f"/contests/rounds/{round_.id}", data={**form, "prediction_kind": ""}, follow_redirects=False)
    assert dropped.status_code == 303
    session.rollback()
    assert session.get(Round, round_.id).prediction_kind is None


def test_contest_title_and_rules_are_edited_on_a_page(client, session, topic):
    token = csrf_from(client.get("/contests/new").text)
    client.post("/contests", data=_form(token, topic.id, weeks="1"))
    session.rollback()
    contest = session.exec(select(Contest)).one()
    detail = client.get(f"/contests/{contest.id}").text
    assert f'href="/contests/{contest.id}/edit"' in detail and "<strong>Đối tượng:</strong>" in detail
    edit = client.get(f"/contests/{contest.id}/edit").text
    assert 'name="tie_break"' in edit and "<select" in edit
    r = client.post(
        f"/contests/{contest.id}/edit",
        data={"csrf_token": token, "title": "Tìm hiểu Nghị quyết XIII", "rules_text": "Giải **tuần**.", "tie_break": "duration_first"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session.rollback()
    contest = session.get(Contest, contest.id)
    assert (contest.title, contest.tie_break[1]) == ("Tìm hiểu Nghị quyết XIII", "duration")
    client.post(f"/contests/{contest.id}/publish", data={"csrf_token": token})
    locked = client.get(f"/contests/{contest.id}/edit").text
    assert 'id="tie-break-locked"' in locked and "<select" not in locked
    r = client.post(f"/contests/{contest.id}/edit", data={"csrf_token": token, "title": "", "rules_text": "", "tie_break": "keep"})
    assert r.status_code == 422 and 'role="alert"' in r.text


def test_preview_as_a_member_records_nothing_and_shows_no_key(client, session, topic):
    from sqlalchemy import func

    from app.models import Attempt, AttemptQuestion

    token = csrf_from(client.get("/contests/new").text)
    client.post("/contests", data=_form(token, topic.id, weeks="1"))
    session.rollback()
    contest = session.exec(select(Contest)).one()
    round_ = session.exec(select(Round)).one()
    assert f'href="/contests/rounds/{round_.id}/preview"' in client.get(f"/contests/{contest.id}").text
    page = client.get(f"/contests/rounds/{round_.id}/preview")
    assert page.status_code == 200
    assert page.text.count('class="card q"') == 10 and "Câu 10/10" in page.text
    assert "Mỗi lượt thi gồm 10 câu hỏi" in page.text and 'id="preview-note"' in page.text
    assert "correct" not in page.text and "✓" not in page.text
    session.rollback()
    assert session.exec(select(func.count()).select_from(Attempt)).one() == 0
    assert session.exec(select(func.count()).select_from(AttemptQuestion)).one() == 0


def test_a_forged_host_never_reaches_share_links_or_cached_qr_codes(app, client, session, topic):
    """The Host header reached share links, Open Graph tags and the QR code, which proxies cache for a day."""
    token = csrf_from(client.get("/contests/new").text)
    client.post("/contests", data=_form(token, topic.id, weeks="1"))
    session.rollback()
    contest = session.exec(select(Contest)).one()
    client.post(f"/contests/{contest.id}/publish", data={"csrf_token": token})
    forged = {"Host": "evil.example"}
    page = client.get(f"/c/{contest.slug}", headers=forged)
    assert "evil.example" not in page.text
    assert f'<meta property="og:url" content="/c/{contest.slug}">' in page.text  # relative: no trusted host
    qr = client.get(f"/c/{contest.slug}/qr.svg", headers=forged)
    assert qr.headers["cache-control"] == "no-store"
    local = client.get(f"/c/{contest.slug}", headers={"Host": "127.0.0.1:8000"})  # a trial on a laptop
    assert f"http://127.0.0.1:8000/c/{contest.slug}" in local.text
    settings = app.state.settings
    settings.public_url = "https://thi.example.vn"
    try:
        fixed = client.get(f"/c/{contest.slug}/qr.svg", headers=forged)
        assert "max-age=86400" in fixed.headers["cache-control"]
        assert "https://thi.example.vn/c/" in client.get(f"/c/{contest.slug}", headers=forged).text
    finally:
        settings.public_url = None


def test_allowed_hosts_refuse_other_hosts(engine, settings):
    from app.config import Settings
    from app.main import create_app
    from tests.databases import TEST_SECRET

    strict = create_app(
        Settings(
            database_url=settings.database_url,
            secret_key=TEST_SECRET,
            insecure_cookies=True,
            allowed_hosts="thi.example.vn",
            _env_file=None,
        )
    )
    with TestClient(strict, base_url="http://thi.example.vn") as c:
        assert c.get("/login").status_code == 200
        assert c.get("/login", headers={"Host": "evil.example"}).status_code == 400
    strict.state.engine.dispose()
