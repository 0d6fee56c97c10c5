"""Taking a round through the pages: start from the home page, tap-save (htmx), the no-JS form, result."""
from __future__ import annotations

import re

from sqlmodel import select

from app.models import AttemptQuestion
from tests.pagehelpers import csrf_from, page_login
from tests.services.test_attempts import world  # noqa: F401  (the fixture)


def test_take_a_round_with_and_without_js(client, session, world):  # noqa: F811
    _org, _topic, _qs, round_id, inside, _outside = world
    inside.phone = "0911000001"
    session.add(inside)
    session.commit()
    page_login(client, "0911000001")
    home = client.get("/")
    assert f'action="/rounds/{round_id}/start"' in home.text
    r = client.post(f"/rounds/{round_id}/start", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    quiz_url = r.headers["location"]
    page = client.get(quiz_url)
    assert page.status_code == 200 and 'id="countdown"' in page.text
    assert "correct" not in page.text and "✓ Đúng" not in page.text
    token = csrf_from(page.text)
    attempt_id = int(quiz_url.rsplit("/", 1)[1])
    session.rollback()
    qs = session.exec(select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
                      .order_by(AttemptQuestion.position)).all()
    right = {q.position: next(o["id"] for o in q.options if o["correct"]) for q in qs}
    saved = client.post(f"/attempts/{attempt_id}/answer/1", data={"csrf_token": token, "q1": right[1]},
                        headers={"HX-Request": "true"})
    assert saved.status_code == 200 and "Đã lưu" in saved.text
    assert re.search(rf'value="{re.escape(right[1])}" checked', client.get(quiz_url).text)  # resumed with its answer
    # without JavaScript: the whole form, then submit
    form = {"csrf_token": token, "q2": right[2], "q3": right[3], "prediction": "12", "submit": "1"}
    r = client.post(f"/attempts/{attempt_id}", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("/result")
    result = client.get(r.headers["location"])
    assert "Đã nộp bài" in result.text and 'id="score"' not in result.text  # after_close: no score yet
    session.rollback()
    from app.models import Attempt

    done = session.get(Attempt, attempt_id)
    assert (done.status, done.score, done.prediction) == ("submitted", 3, 12)
