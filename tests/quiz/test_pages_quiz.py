"""Taking a round through the pages: start, tap-save (htmx), the no-JS form, review, submit, result; and
no page, fragment or JSON body carrying the key or the score before the round's visibility rule allows."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from app.db import NO_DATABASE
from app.models import Answer, Attempt, AttemptEvent, AttemptQuestion, Round
from app.models.types import utcnow
from app.services.quiz import attempts
from tests.factories import api_token, bearer
from tests.fixtures.quiz import QuizWorld
from tests.pagehelpers import csrf_from, page_login

SECRETS = ("Giải thích bí mật", '"correct"', "correct_count", 'id="score"', "Đáp án và giải thích", '"score"', "explanation")


def _start(client, session, world: QuizWorld):
    world.inside.phone = "0911000001"
    session.add(world.inside)
    session.commit()
    page_login(client, "0911000001")
    home = client.get("/")
    assert f'href="/rounds/{world.round_id}/enter"' in home.text and "/start" not in home.text  # rules first
    rules = client.get(f"/rounds/{world.round_id}/enter")
    assert f'action="/rounds/{world.round_id}/start"' in rules.text and "Bắt đầu làm bài (" in rules.text
    r = client.post(f"/rounds/{world.round_id}/start", data={"csrf_token": csrf_from(rules.text)}, follow_redirects=False)
    assert r.status_code == 303
    attempt_id = int(r.headers["location"].rsplit("/", 1)[1])
    session.rollback()
    qs = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id).order_by(AttemptQuestion.position)).all()
    right = {q.position: next(o["id"] for o in q.options if o["correct"]) for q in qs}
    wrong = {q.position: next(o["id"] for o in q.options if not o["correct"]) for q in qs}
    return attempt_id, right, wrong, home


def _count_thread_hops(monkeypatch) -> list[object]:
    """What the app's requests send to the thread pool from now on (a page made on the event loop sends nothing);
    the app's background tasks (the live games' hub, the sweeper, the member feed) are not counted."""
    import anyio.to_thread

    hops: list[object] = []
    real_hop = anyio.to_thread.run_sync
    background = ("app.services.live.", "app.sweeper", "app.services.org.principals", "app.main")

    async def counted(func, *args, **kw):
        if not getattr(func, "__module__", "").startswith(background):
            hops.append(func)
        return await real_hop(func, *args, **kw)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return hops


def test_take_review_submit_without_js(client, session, quiz_world):
    attempt_id, right, _wrong, _home = _start(client, session, quiz_world)
    page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200 and 'id="countdown"' in page.text and 'id="answered">0</b>/5' in page.text
    token = csrf_from(page.text)
    saved = client.post(f"/attempts/{attempt_id}/answer/1", data={"q1": right[1]}, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert saved.status_code == 200 and "Đã lưu" in saved.text
    page = client.get(f"/attempts/{attempt_id}")  # a reload resumes with the answer and the count
    assert re.search(rf'value="{re.escape(right[1])}" checked', page.text) and 'id="answered">1</b>/5' in page.text
    form = {"csrf_token": token, "q2": right[2], "q3": right[3], "prediction": "1.200", "review": "1"}
    r = client.post(f"/attempts/{attempt_id}", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/attempts/{attempt_id}/review"
    review = client.get(r.headers["location"])
    assert "Bạn đã trả lời 3/5 câu." in review.text
    assert f'href="/attempts/{attempt_id}#q4"' in review.text and f'href="/attempts/{attempt_id}#q5"' in review.text
    assert 'id="no-prediction"' not in review.text
    r = client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_from(review.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/attempts/{attempt_id}/result"
    result = client.get(r.headers["location"])
    assert "Đã nộp bài" in result.text and "Số lượt thi còn lại: 1" in result.text and "Thi lượt mới" in result.text
    assert not any(s in result.text for s in SECRETS)  # after_close: no score, no key yet
    session.rollback()
    done = session.get(Attempt, attempt_id)
    assert (done.status, done.score, done.prediction) == ("submitted", 3, 1200)
    # the quiz and review pages of a submitted attempt lead to its result
    assert client.get(f"/attempts/{attempt_id}", follow_redirects=False).headers["location"].endswith("/result")


def test_a_bad_field_does_not_undo_the_good_ones(client, session, quiz_world):
    attempt_id, right, _wrong, _home = _start(client, session, quiz_world)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    r = client.post(
        f"/attempts/{attempt_id}", data={"csrf_token": token, "q1": right[1], "q2": "giả-mạo", "prediction": "nhiều lắm", "save": "1"}
    )
    assert r.status_code == 422
    assert "Câu 2: Phương án đã chọn không thuộc câu hỏi này." in r.text
    assert "Dự đoán phải là một số nguyên không âm." in r.text
    assert re.search(rf'value="{re.escape(right[1])}" checked', r.text)
    assert re.search(rf'value="{re.escape(right[1])}" checked', client.get(f"/attempts/{attempt_id}").text)


def test_failed_htmx_save_says_why(client, session, quiz_world):
    attempt_id, _right, _wrong, _home = _start(client, session, quiz_world)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    r = client.post(f"/attempts/{attempt_id}/answer/2", data={"q2": "giả-mạo"}, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 422 and "✗ Phương án đã chọn không thuộc câu hỏi này." in r.text
    r = client.post(f"/attempts/{attempt_id}/prediction", data={"prediction": "-3"}, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 422 and "Dự đoán phải là một số nguyên không âm." in r.text
    r = client.post(f"/attempts/{attempt_id}/prediction", data={"prediction": "45"}, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200 and "Đã lưu" in r.text
    r = client.post(f"/attempts/{attempt_id}/answer/2", data={"q2": "x"}, headers={"HX-Request": "true"})
    assert r.status_code == 403  # no CSRF token, no save


def test_a_members_pages_and_taps_take_direct_routes_and_numbers_out_of_bounds_the_documented_ones(
    client, session, quiz_world, fastapi_solved
):
    """Home, the rules page, the start, the quiz page, a tap, the prediction, the submit and the result are
    answered by plain routes matched before every other and called without FastAPI's dependency solving
    (routers.base.direct); a number those routes do not match (outside Position's bounds, with a leading zero,
    an id of 19 digits) goes on to the FastAPI route of the same path and is answered as it always was."""
    attempt_id, right, _wrong, _home = _start(client, session, quiz_world)
    hx = {"HX-Request": "true", "X-CSRF-Token": csrf_from(client.get(f"/attempts/{attempt_id}").text)}
    solved = fastapi_solved
    del solved[:]  # the login's
    rid = quiz_world.round_id
    for path in ("/", "/?msg=password_changed", f"/rounds/{rid}/enter", f"/attempts/{attempt_id}"):
        assert client.get(path).status_code == 200
    assert "Đã đổi mật khẩu." in client.get("/?msg=password_changed").text
    r = client.post(f"/attempts/{attempt_id}/answer/1", data={"q1": right[1]}, headers=hx)
    assert r.status_code == 200 and "Đã lưu" in r.text and solved == []
    r = client.post(f"/attempts/{attempt_id}/prediction", data={"prediction": "12"}, headers=hx)
    assert r.status_code == 200 and "Đã lưu" in r.text and solved == []
    r = client.post(f"/attempts/{attempt_id}/answer/02", data={"q2": right[2]}, headers=hx)
    assert r.status_code == 200 and "Đã lưu" in r.text and solved == [f"/attempts/{attempt_id}/answer/02"]  # the FastAPI route's
    for position in ("0", "1001"):
        r = client.post(f"/attempts/{attempt_id}/answer/{position}", data={f"q{position}": right[1]}, headers=hx)
        assert r.status_code == 422 and solved[-1] == f"/attempts/{attempt_id}/answer/{position}"
    del solved[:]
    assert client.post(f"/attempts/{10**18 - 1}/answer/1", data={"q1": "x"}, headers=hx).status_code == 404 and solved == []
    assert client.post(f"/attempts/{10**18}/answer/1", data={"q1": "x"}, headers=hx).status_code == 404 and len(solved) == 1
    assert client.get(f"/attempts/0{attempt_id}").status_code == 200 and len(solved) == 2
    assert client.get("/attempts/x").status_code == 422
    assert client.get(f"/attempts/{attempt_id}/answer/1").status_code == 405
    for path in ("/", f"/attempts/{attempt_id}", f"/attempts/0{attempt_id}"):  # HEAD, by either route, as before
        r = client.head(path)
        assert r.status_code == 405 and r.headers["allow"] == "GET"
    assert client.post(f"/attempts/{attempt_id}/answer/3", data={"q3": right[3]}, headers={"HX-Request": "true"}).status_code == 403
    session.rollback()
    saved = session.exec(select(Answer).where(Answer.attempt_id == attempt_id).order_by(Answer.position)).all()
    assert [(a.position, a.option_ids) for a in saved] == [(1, [right[1]]), (2, [right[2]])]  # not the tap without CSRF
    del solved[:]
    csrf = {"csrf_token": hx["X-CSRF-Token"]}
    r = client.post(f"/attempts/{attempt_id}/submit", data=csrf, follow_redirects=False)
    assert (r.status_code, r.headers["location"], solved) == (303, f"/attempts/{attempt_id}/result", [])
    assert client.get(f"/attempts/{attempt_id}/result").status_code == 200 and solved == []
    session.rollback()
    assert session.get(Attempt, attempt_id).status == "submitted"
    # the start and the submit commit in their own thread (routers.base.direct, as TransactionalRoute): a second
    # start is written, and a submit without CSRF writes nothing
    r = client.post(f"/rounds/{rid}/start", data=csrf, follow_redirects=False)
    assert r.status_code == 303 and solved == []  # the round allows a second attempt
    second = int(r.headers["location"].rsplit("/", 1)[1])
    assert client.post(f"/attempts/{second}/submit", data={}, follow_redirects=False).status_code == 403
    session.rollback()
    assert session.get(Attempt, second).status == "in_progress"


def test_a_prediction_is_saved_as_typed_and_then_locked_by_the_first_submit(client, session, quiz_world):
    """The htmx prediction rides with the taps (the tap writer) until the first submitted attempt locks it; the
    second attempt's other value is refused with the locked one named, in Vietnamese."""
    attempt_id, _right, _wrong, _home = _start(client, session, quiz_world)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    hx = {"HX-Request": "true", "X-CSRF-Token": token}
    for typed in ("12", "1.200"):
        r = client.post(f"/attempts/{attempt_id}/prediction", data={"prediction": typed}, headers=hx)
        assert r.status_code == 200 and "✓ Đã lưu" in r.text
    session.rollback()
    assert session.get(Attempt, attempt_id).prediction == 1200
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    rules = client.get(f"/rounds/{quiz_world.round_id}/enter")
    r = client.post(f"/rounds/{quiz_world.round_id}/start", data={"csrf_token": csrf_from(rules.text)}, follow_redirects=False)
    second = int(r.headers["location"].rsplit("/", 1)[1])
    assert second != attempt_id
    page = client.get(f"/attempts/{second}").text  # the quiz page reads the lock (on SQLite on the event loop)
    assert '<b id="prediction-locked">1.200</b>' in page and 'id="prediction"' not in page
    r = client.post(f"/attempts/{second}/prediction", data={"prediction": "99"}, headers=hx)
    assert r.status_code == 409 and "Dự đoán của bạn đã được chốt ở lượt nộp đầu tiên: 1.200." in r.text
    assert client.post(f"/attempts/{second}/prediction", data={"prediction": "1200"}, headers=hx).status_code == 200
    session.rollback()
    assert session.get(Attempt, second).prediction == 1200


def test_page_events_by_beacon(client, session, quiz_world):
    attempt_id, _right, _wrong, _home = _start(client, session, quiz_world)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    r = client.post(f"/attempts/{attempt_id}/events", files={"kind": (None, "hide"), "csrf_token": (None, token)})
    assert r.status_code == 204
    assert client.post(f"/attempts/{attempt_id}/events", data={"kind": "show"}).status_code == 403
    session.rollback()
    assert [e.kind for e in session.exec(select(AttemptEvent)).all()] == ["hide"]


def test_result_shows_score_and_review_when_visibility_allows(client, session, quiz_world):
    round_ = session.get(Round, quiz_world.round_id)
    round_.results_visibility = "immediate"
    session.add(round_)
    session.commit()
    attempt_id, right, wrong, _home = _start(client, session, quiz_world)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    client.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "q1": right[1], "q2": wrong[2]})
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token})
    result = client.get(f"/attempts/{attempt_id}/result")
    assert 'id="score">1</b>' in result.text and "Đáp án và giải thích" in result.text
    assert result.text.count("Giải thích bí mật số") == 5
    assert 'class="card review right" id="r1"' in result.text and 'class="card review wrong" id="r2"' in result.text


def test_no_response_carries_the_key_or_score_before_visibility(client, session, quiz_world):
    """Every page, fragment and JSON body a member sees while the round (after_close) is open."""
    attempt_id, right, _wrong, home = _start(client, session, quiz_world)
    bodies = {"home": home.text}
    page = client.get(f"/attempts/{attempt_id}")
    token = csrf_from(page.text)
    hx = {"HX-Request": "true", "X-CSRF-Token": token}
    bodies["quiz"] = page.text
    bodies["fragment"] = client.post(f"/attempts/{attempt_id}/answer/1", data={"q1": right[1]}, headers=hx).text
    bodies["fragment-bad"] = client.post(f"/attempts/{attempt_id}/answer/2", data={"q2": "?"}, headers=hx).text
    bodies["prediction"] = client.post(f"/attempts/{attempt_id}/prediction", data={"prediction": "5"}, headers=hx).text
    bodies["form"] = client.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "q2": right[2]}).text
    bodies["review"] = client.get(f"/attempts/{attempt_id}/review").text
    me = bearer(api_token(client, "0911000001"))
    bodies["api-get"] = client.get(f"/api/v1/attempts/{attempt_id}", headers=me).text
    bodies["api-start"] = client.post(f"/api/v1/rounds/{quiz_world.round_id}/attempts", headers=me).text
    bodies["api-answer"] = client.put(f"/api/v1/attempts/{attempt_id}/answers/3", headers=me, json={"option_ids": [right[3]]}).text
    bodies["api-prediction"] = client.put(f"/api/v1/attempts/{attempt_id}/prediction", headers=me, json={"value": 7}).text
    bodies["api-submit"] = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=me).text
    bodies["result"] = client.get(f"/attempts/{attempt_id}/result").text
    bodies["api-after"] = client.get(f"/api/v1/attempts/{attempt_id}", headers=me).text
    session.rollback()
    assert session.get(Attempt, attempt_id).score == 3  # there was a score to leak
    leaks = {name: [s for s in SECRETS if s in body] for name, body in bodies.items()}
    assert leaks == {name: [] for name in bodies}
    # and option ids say nothing about which one is right: none equals or contains a position or a flag
    for q in client.get(f"/api/v1/attempts/{attempt_id}", headers=me).json()["questions"]:
        assert all(re.fullmatch(r"[A-Za-z0-9_-]{8,}", o["id"]) for o in q["options"])


def test_home_and_rules_page_show_state_and_never_a_dead_start(client, session, quiz_world):
    """In progress: time left and "Làm tiếp"; no attempt left: no start button anywhere, and a start posted
    anyway lands on the rules page with the reason, not on an error page."""
    round_ = session.get(Round, quiz_world.round_id)
    round_.attempts_allowed = 1
    session.add(round_)
    session.commit()
    attempt_id, _right, _wrong, _home = _start(client, session, quiz_world)
    round_id = quiz_world.round_id
    home = client.get("/").text
    assert "Bạn đang làm dở bài thi: còn" in home and f'href="/attempts/{attempt_id}"' in home
    assert "đã thi 1/1 lượt" in home
    token = csrf_from(home)
    assert client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    home = client.get("/").text
    assert "/start" not in home and f'href="/rounds/{round_id}/enter"' in home and "Xem thể lệ" in home
    assert f'href="/attempts/{attempt_id}/result"' in home
    rules = client.get(f"/rounds/{round_id}/enter").text
    assert "Bạn đã dùng hết lượt thi của vòng này." in rules and 'id="start-form"' not in rules
    again = client.post(f"/rounds/{round_id}/start", data={"csrf_token": token})
    assert again.status_code == 409 and "Bạn đã dùng hết 1 lượt thi của vòng này." in again.text
    assert 'id="rules"' in again.text  # the rules page, with the reason on top


def test_home_lists_my_results_and_past_contests(client, session, quiz_world):
    from datetime import timedelta

    from app.models import Contest
    from app.services.results import closing

    attempt_id, _right, _wrong, _home = _start(client, session, quiz_world)
    home = client.get("/").text
    assert 'id="my-results"' not in home  # nothing handed in yet
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_from(home)})
    home = client.get("/").text
    mine = re.search(r'<ul class="list" id="my-results">(.*?)</ul>', home, re.S).group(1)
    assert f'href="/attempts/{attempt_id}/result"' in mine and "kết quả công bố sau khi vòng thi đóng" in mine
    assert 'id="past-contests"' not in home
    session.rollback()
    round_ = session.get(Round, quiz_world.round_id)
    closing.close_round(session=session, actor=quiz_world.org, round_id=round_.id)
    round_.closes_at = round_.opens_at + timedelta(minutes=1)
    session.add(round_)
    session.commit()
    home = client.get("/").text
    mine = re.search(r'<ul class="list" id="my-results">(.*?)</ul>', home, re.S).group(1)
    assert "điểm · hạng 1/1" in mine
    contest = session.get(Contest, round_.contest_id)
    assert f'href="/contests/{contest.id}/board"' in re.search(r'id="past-contests">(.*?)</ul>', home, re.S).group(1)


def test_home_shares_a_units_offer_but_not_a_members_own_state(app, client, session, quiz_world):
    """What a cell is offered is read once for the cell and kept a few seconds (kit.offers): a second member of
    the same cell sees the same round with their own state, and a study set published a moment later shows."""
    from fastapi.testclient import TestClient

    from app.models import Member, Topic, Unit
    from tests.factories import make_member

    first = session.get(Member, quiz_world.inside.id)
    make_member(session, session.get(Unit, first.unit_id), phone="0911000002")
    session.commit()
    attempt_id, _right, _wrong, _home = _start(client, session, quiz_world)  # the first member, in progress
    assert f'href="/attempts/{attempt_id}"' in client.get("/").text
    with TestClient(app, base_url="http://testserver") as other:
        page_login(other, "0911000002")
        home = other.get("/").text
        assert f'href="/rounds/{quiz_world.round_id}/enter"' in home  # the same round, kept for the cell
        assert "Bạn đang làm dở bài thi" not in home and f"/attempts/{attempt_id}" not in home  # not the first's state
        assert 'href="/study"' not in home
        session.rollback()  # SQLite: the test's session let go of its snapshot before it writes
        topic = session.get(Topic, quiz_world.topic.id)
        topic.study_published = True
        session.add(topic)
        session.commit()  # a change of a topic drops what this worker keeps
        assert 'href="/study"' in other.get("/").text


def test_a_closed_rounds_rules_page_says_it_has_closed(client, session, quiz_world):
    """A link to a round shared in a group chat is opened after the round closed: the page says so, with the
    time it closed, and offers no start."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from app.models.types import utcnow

    round_ = session.get(Round, quiz_world.round_id)
    round_.opens_at, round_.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(hours=1)
    quiz_world.inside.phone = "0911000001"
    session.add_all([round_, quiz_world.inside])
    session.commit()
    page_login(client, "0911000001")
    closed_at = utcnow()  # the close job runs after the closing time: the page gives the closing time
    round_.status, round_.closed_at = "closed", closed_at
    session.add(round_)
    session.commit()
    rules = client.get(f"/rounds/{quiz_world.round_id}/enter").text
    shown = round_.closes_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
    assert f"Vòng thi đã đóng lúc {shown}." in rules and "Đóng lúc" not in rules
    assert 'id="start-form"' not in rules and "Bắt đầu làm bài" not in rules


def test_a_tap_answers_with_its_saved_time_in_the_members_language(client, session, quiz_world):
    """The answer under a tapped question is made once per language and filled with the time of the save, in
    the app's time zone (templating.render_filled)."""
    from zoneinfo import ZoneInfo

    from app.models import Answer

    attempt_id, right, _wrong, _home = _start(client, session, quiz_world)
    token = csrf_from(client.get(f"/attempts/{attempt_id}").text)
    hx = {"HX-Request": "true", "X-CSRF-Token": token}
    said = {}
    for lang, position in (("vi", 1), ("en", 2)):
        client.cookies.set("lang", lang)
        said[position] = client.post(f"/attempts/{attempt_id}/answer/{position}", data={f"q{position}": right[position]}, headers=hx).text
    session.rollback()
    for position, word in ((1, "Đã lưu"), (2, "Saved")):
        saved_at = session.exec(select(Answer.saved_at).where(Answer.attempt_id == attempt_id, Answer.position == position)).one()
        shown = saved_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M:%S")
        assert said[position].strip() == f'<span class="muted">✓ {word} {shown}</span>'


def test_the_quiz_page_escapes_the_question_and_option_texts(client, session, quiz_world):
    """The question cards are filled from pieces rendered once (templating.piece), not by the template's
    autoescape: a bank text with markup must still reach the phone as text."""
    attempt_id, right, _wrong, _home = _start(client, session, quiz_world)
    q = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id, AttemptQuestion.position == 2)).one()
    q.text = 'Câu <script>alert("x")</script> & "trích"'
    q.options = [{**o, "text": "<img src=x onerror=alert(1)>"} if o["id"] == right[2] else o for o in q.options]
    session.add(q)
    session.commit()
    page = client.get(f"/attempts/{attempt_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "Câu &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;trích&#34;" in page
    assert f'value="{right[2]}"><span>&lt;img src=x onerror=alert(1)&gt;</span>' in page
    assert page.count('class="card q"') == 5 and 'aria-label="Câu 2"' in page and "Câu 2/5 ·" in page


def test_the_rules_page_is_made_on_the_event_loop_and_an_attempt_past_its_time_is_finalised(app, client, session, quiz_world, monkeypatch):
    """The rules page every member opens when a round opens: made on the event loop (db_loop.loop_reads; PostgreSQL in
    a greenlet) with no thread hop once the round is kept in memory. An attempt past its
    time needs a write: that page is made in the thread pool, which finalises it and says so."""
    attempt_id, _right, _wrong, _home = _start(client, session, quiz_world)
    rules_url = f"/rounds/{quiz_world.round_id}/enter"
    hops = _count_thread_hops(monkeypatch)
    client.get(rules_url)  # the round and its rules kept in memory
    hops.clear()
    page = client.get(rules_url).text
    assert "Bạn đang làm dở bài thi: còn" in page and f'href="/attempts/{attempt_id}"' in page
    assert hops == []

    attempt = session.get(Attempt, attempt_id)
    attempt.deadline_at = utcnow() - timedelta(minutes=1)
    session.add(attempt)
    session.commit()
    hops.clear()
    page = client.get(rules_url).text
    assert "làm dở" not in page and f'href="/attempts/{attempt_id}/result"' in page and hops
    session.expire_all()
    assert session.get(Attempt, attempt_id).status == "expired"


def test_a_rules_page_opened_first_gives_a_start_form_whose_token_holds(app, client, session, quiz_world):
    """The rules page is shared by the round's members with their own parts filled in (render_shared): a phone
    whose first page it is gets its CSRF seed there, and the start form's token (in the member's own part)
    must belong to that seed, as the page's own token does."""
    quiz_world.inside.phone = "0911000001"
    session.add(quiz_world.inside)
    session.commit()
    page_login(client, "0911000001")
    for name in [n for n in client.cookies.keys() if "csrf" in n]:
        client.cookies.delete(name)
    rules = client.get(f"/rounds/{quiz_world.round_id}/enter")
    assert any("csrf" in c for c in rules.headers.get_list("set-cookie"))
    form_token = re.search(r'id="start-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', rules.text).group(1)
    assert form_token == csrf_from(rules.text)  # the page's token and the form's are of the same seed
    r = client.post(f"/rounds/{quiz_world.round_id}/start", data={"csrf_token": form_token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/attempts/")


def test_quiz_and_result_pages_are_made_on_the_event_loop_and_a_stale_round_never_shows_the_key(
    app, client, session, quiz_world, monkeypatch
):
    """The quiz page and, while the round's scores are hidden, the result page are made on the event loop (no
    thread hop). The round kept in memory may be a few seconds old: it may hide scores, never show
    them. Here it says the round has closed (its closing time was moved since): the page goes to the database,
    which says the round is still open, so neither the score nor the key is shown."""
    attempt_id, right, _wrong, _home = _start(client, session, quiz_world)
    hops = _count_thread_hops(monkeypatch)
    client.get(f"/attempts/{attempt_id}")
    hops.clear()
    page = client.get(f"/attempts/{attempt_id}")
    assert page.status_code == 200 and 'id="countdown"' in page.text and page.text.count('class="card q"') == 5
    # the page is kept per round (render_shared's path); its language links name this attempt's own page
    assert f'href="/lang/en?next=/attempts/{attempt_id}"' in page.text
    assert hops == []
    token = csrf_from(page.text)
    client.post(f"/attempts/{attempt_id}", data={"csrf_token": token, "q1": right[1]})
    assert client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    client.get(f"/attempts/{attempt_id}/result")
    hops.clear()
    result = client.get(f"/attempts/{attempt_id}/result").text
    assert "Điểm và đáp án được công bố sau khi vòng thi đóng." in result and "Lượt 1" in result
    assert hops == []

    rules_page = client.get(f"/rounds/{quiz_world.round_id}/enter").text  # a second attempt: the history's scores
    r = client.post(f"/rounds/{quiz_world.round_id}/start", data={"csrf_token": csrf_from(rules_page)}, follow_redirects=False)
    second = int(r.headers["location"].rsplit("/", 1)[1])
    assert f'href="/lang/en?next=/attempts/{second}"' in client.get(f"/attempts/{second}").text  # the same kept page
    client.post(f"/attempts/{second}/submit", data={"csrf_token": token})
    client.get(f"/attempts/{second}/result")
    kept_round = attempts.round_offer(NO_DATABASE, quiz_world.round_id, app.state.boards)[0]
    monkeypatch.setattr(kept_round, "closes_at", utcnow() - timedelta(minutes=1))
    hops.clear()
    result = client.get(f"/attempts/{second}/result").text
    assert hops and "Điểm và đáp án được công bố sau khi vòng thi đóng." in result
    assert [s for s in SECRETS if s in result] == []
    assert 'id="history"' in result and result.count("<td>—</td>") == 2  # no score of either attempt


def test_home_is_made_on_the_event_loop_and_reads_the_same_either_way(app, client, session, quiz_world, monkeypatch):
    """Home, the first page of every member when a round opens: made on the event loop with the
    member's attempts and results read on the loop's own connection, and what the unit is offered too when its
    kept copy ran out (kit.offers); those reads give the same cards and results as the session's."""
    from app.services.quiz import member_rounds
    from app.services.results import closing
    from tests.factories import member_actor

    attempt_id, _right, _wrong, home = _start(client, session, quiz_world)
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_from(home.text)})
    hops = _count_thread_hops(monkeypatch)
    client.get("/")
    hops.clear()
    home = client.get("/").text
    assert f'href="/attempts/{attempt_id}/result"' in home and "đã thi 1/2 lượt" in home
    assert hops == []
    # what the unit is offered ran out (or a round changed): read again on the loop's connection, no hop
    app.state.boards.clear()
    again = client.get("/").text
    assert hops == [] and f'href="/attempts/{attempt_id}/result"' in again and "đã thi 1/2 lượt" in again
    app.state.boards.clear()
    rules = client.get(f"/rounds/{quiz_world.round_id}/enter")  # the round and the contest's rules part too
    assert hops == [] and rules.status_code == 200 and f'href="/attempts/{attempt_id}/result"' in rules.text

    session.rollback()
    me = member_actor(session, quiz_world.inside)

    def seen(reads=None):
        cards = member_rounds.cards_for(session=session, actor=me, reads=reads)
        results = member_rounds.my_results(session=session, actor=me, reads=reads)
        return (
            [(c.round.id, c.used, c.in_progress, c.last.id, c.last.submitted_at, c.can_start, c.score_visible) for c in cards],
            [(r.round.id, r.contest.title, r.last.id, r.last.submitted_at, r.visible, r.rank, r.ranked) for r in results],
        )

    with app.state.engine.connect() as conn:
        by_driver = seen(conn)
    assert by_driver == seen() and by_driver[1][0][2] == attempt_id
    closing.close_round(session=session, actor=quiz_world.org, round_id=quiz_world.round_id)  # a rank to show
    session.commit()
    with app.state.engine.connect() as conn:
        by_driver = seen(conn)
    assert by_driver == seen() and by_driver[1][0][4:] == (True, 1, 1)


def test_the_quiz_pages_one_read_gives_what_the_session_reads(app, client, session, quiz_world):
    """attempts.own_sheet on the loop's bare connection (one row: the attempt's, its questions with their answers
    as one JSON value) gives the attempt and sheet that get_own and sheet.sheet read on a session; another member's
    attempt is not found, and one past its time goes to the thread pool to be finalised there."""
    import pytest

    from app.db import NeedsDatabase
    from app.errors import NotFound
    from app.models import Unit
    from tests.factories import make_member, member_actor

    attempt_id, right, _wrong, home = _start(client, session, quiz_world)
    client.post(
        f"/attempts/{attempt_id}/answer/2", data={"q2": right[2]}, headers={"X-CSRF-Token": csrf_from(home.text), "HX-Request": "true"}
    )
    session.rollback()
    me = member_actor(session, quiz_world.inside)

    def both(actor):  # type: ignore[no-untyped-def]
        with app.state.engine.connect() as conn:
            on_loop = attempts.own_sheet(session=session, actor=actor, attempt_id=attempt_id, reads=conn)
        return on_loop, attempts.own_sheet(session=session, actor=actor, attempt_id=attempt_id)

    (a, read), (b, by_session) = both(me)
    assert a.model_dump() == b.model_dump() and a.id == attempt_id

    def shown(rows):  # type: ignore[no-untyped-def]
        return [(q.position, q.text, q.kind, q.options, q.option_ids) for q in rows]

    assert shown(read.questions) == shown(by_session.questions) and len(read.questions) == 5
    assert read.answers == by_session.answers == {2: [right[2]]}
    neighbour = make_member(session, session.get(Unit, quiz_world.inside.unit_id), phone="0911000079")
    session.commit()
    with pytest.raises(NotFound), app.state.engine.connect() as conn:
        attempts.own_sheet(session=session, actor=member_actor(session, neighbour), attempt_id=attempt_id, reads=conn)
    row = session.get(Attempt, attempt_id)
    row.deadline_at = row.started_at - timedelta(seconds=1)
    session.add(row)
    session.commit()
    with pytest.raises(NeedsDatabase), app.state.engine.connect() as conn:
        attempts.own_sheet(session=session, actor=me, attempt_id=attempt_id, reads=conn)


def test_another_members_attempt_is_not_found_on_the_quiz_and_result_pages(client, session, quiz_world):
    """The quiz and result pages read the attempt on the event loop on SQLite: the owner check holds there too."""
    from app.models import Unit
    from tests.factories import make_member

    attempt_id, _right, _wrong, home = _start(client, session, quiz_world)
    texts = [q.text for q in session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)).all()]
    neighbour = make_member(session, session.get(Unit, quiz_world.inside.unit_id), phone="0911000077")  # same cell
    session.commit()
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_from(home.text)})
    client.cookies.clear()
    page_login(client, neighbour.phone)
    for url in (f"/attempts/{attempt_id}", f"/attempts/{attempt_id}/result", "/attempts/0", "/attempts/99999999/result"):
        r = client.get(url)
        assert r.status_code == 404 and "Không tìm thấy lượt thi." in r.text, url
        assert not any(t in r.text for t in texts)


def test_each_member_page_loads_what_it_shows_in_one_or_two_reads(client, session, quiz_world, monkeypatch):
    """The pages every member opens when a round opens read the member's own rows in one or two statements (a
    round trip each on PostgreSQL): home its attempts with their rounds (cards and results alike), the rules
    page the same, the quiz page the attempt with its questions and their answers in one (a first attempt has
    no earlier prediction to be locked by), the result page the member's attempts, its own among them."""
    from app.db import DriverStatement

    attempt_id, right, _wrong, _home = _start(client, session, quiz_world)
    client.get("/"), client.get(f"/rounds/{quiz_world.round_id}/enter")  # what everyone is offered, kept
    page = client.get(f"/attempts/{attempt_id}")
    client.post(f"/attempts/{attempt_id}", data={"csrf_token": csrf_from(page.text), "q1": right[1]})
    reads: list[str] = []
    real_all = DriverStatement.all

    def counted(self, conn, values):
        table = self._stmt.get_final_froms()[0]  # the table its rows are of: a join's first
        while hasattr(table, "left"):
            table = table.left
        reads.append(table.name)
        return real_all(self, conn, values)

    monkeypatch.setattr(DriverStatement, "all", counted)

    def read_by(path: str) -> list[str]:
        reads.clear()
        assert client.get(path).status_code == 200
        return sorted(reads)

    quiz = client.get(f"/attempts/{attempt_id}")
    assert 'id="answered">1</b>/5' in quiz.text and f'value="{right[1]}" checked' in quiz.text  # the answer, in the same read
    assert read_by(f"/attempts/{attempt_id}") == ["attempt"]  # attempts.own_sheet: the attempt with its questions
    assert read_by("/") == ["attempt"]
    assert read_by(f"/rounds/{quiz_world.round_id}/enter") == ["attempt"]
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_from(quiz.text)})
    assert read_by(f"/attempts/{attempt_id}/result") == ["attempt"]


def test_home_is_shared_by_members_offered_the_same_but_for_their_own_parts(client, session, quiz_world):
    """Home is rendered once per offer, roles and language (render_shared): a neighbour of the same cell sees
    the cell's offer, but their own name, code and rounds, none of the first member's; a name is escaped, so
    it can never spell one of the page's holes."""
    from app.models import Unit
    from tests.factories import make_member

    attempt_id, _right, _wrong, home = _start(client, session, quiz_world)
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_from(home.text)})
    first = client.get("/").text
    member = quiz_world.inside
    assert member.full_name in first and member.member_code in first and f'href="/attempts/{attempt_id}/result"' in first
    odd = "Lê <b>Hoa</b> <!--hole:rounds-->"
    session.rollback()  # the read snapshot taken above is older than the submit
    neighbour = make_member(session, session.get(Unit, member.unit_id), phone="0911000078", full_name=odd, member_code="HV-<9>")
    session.commit()
    client.cookies.clear()
    page_login(client, neighbour.phone)
    page = client.get("/").text
    assert "Lê &lt;b&gt;Hoa&lt;/b&gt; &lt;!--hole:rounds--&gt;" in page and "HV-&lt;9&gt;" in page and "<b>Hoa</b>" not in page
    assert member.full_name not in page and member.member_code not in page and "/result" not in page
    assert f'href="/rounds/{quiz_world.round_id}/enter"' in page and page.count('class="card round-card"') == 1
    assert "đã thi 0/2 lượt" in page and "đã thi 1/2 lượt" in first  # the first member's attempt is theirs alone
    client.cookies.clear()
    page_login(client, member.phone)
    again = client.get("/?msg=password_changed").text
    assert "Đã đổi mật khẩu." in again and member.full_name in again and odd not in again and "HV-&lt;9&gt;" not in again

    # the page is kept by what it shows, not by cell: the sibling cell's member sees their own cell on it, and a
    # member outside the contest's scope neither the round nor the cell
    sibling = make_member(session, session.exec(select(Unit).where(Unit.code == "CB-A2")).one(), phone="0911000079")
    session.commit()
    for phone, cell, rounds in ((sibling.phone, "CB-A2", 1), (quiz_world.outside.phone, "CB-B1", 0)):
        client.cookies.clear()
        page_login(client, phone)
        page = client.get("/").text
        assert f'<span class="badge">{cell}</span>' in page and page.count('class="card round-card"') == rounds, cell
        assert "CB-A1" not in page and member.full_name not in page


def test_the_result_page_is_shared_by_the_rounds_members_but_for_their_own_part(app, client, session, quiz_world):
    """The result page is rendered once per round, roles and language (render_shared, kept under the round's
    path): each member sees their own attempts, attempts left and start button, none of another's."""
    from app.models import Unit
    from tests.factories import make_member

    attempt_id, _right, _wrong, home = _start(client, session, quiz_world)
    client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_from(home.text)})
    rules = client.get(f"/rounds/{quiz_world.round_id}/enter").text
    second = client.post(f"/rounds/{quiz_world.round_id}/start", data={"csrf_token": csrf_from(rules)}, follow_redirects=False)
    second_id = int(second.headers["location"].rsplit("/", 1)[1])
    client.post(f"/attempts/{second_id}/submit", data={"csrf_token": csrf_from(rules)})
    mine = client.get(f"/attempts/{second_id}/result").text
    assert 'id="history"' in mine and f'href="/attempts/{attempt_id}/result"' in mine and "Số lượt thi còn lại: 0" in mine
    assert "Thi lượt mới" not in mine and "Đã nộp bài." in mine
    session.rollback()
    neighbour = make_member(session, session.get(Unit, quiz_world.inside.unit_id), phone="0911000080")
    session.commit()
    client.cookies.clear()
    page_login(client, neighbour.phone)
    rules = client.get(f"/rounds/{quiz_world.round_id}/enter").text
    theirs_id = int(
        client.post(f"/rounds/{quiz_world.round_id}/start", data={"csrf_token": csrf_from(rules)}, follow_redirects=False)
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    client.post(f"/attempts/{theirs_id}/submit", data={"csrf_token": csrf_from(rules)})
    theirs = client.get(f"/attempts/{theirs_id}/result").text
    assert 'id="history"' not in theirs and f"/attempts/{attempt_id}/" not in theirs and f"/attempts/{second_id}/" not in theirs
    assert "Số lượt thi còn lại: 1" in theirs and "Thi lượt mới" in theirs and csrf_from(theirs) == csrf_from(rules)
    kept = [k for k in app.state.boards._items if k[:3] == ("html", "vi", f"/rounds/{quiz_world.round_id}/result")]
    assert len(kept) == 1  # one page for both members
