"""POST /rounds/{id}/attempts and GET /attempts/{id}: resumable, own attempts only, no key."""

from __future__ import annotations

from sqlmodel import select

from app.services.quiz.schemas import AttemptOut
from tests.factories import api_token, bearer, make_member


def test_start_resume_and_privacy(client, session, quiz_world):
    quiz_world.inside.phone, quiz_world.outside.phone = "0911000001", "0911000002"
    session.add_all([quiz_world.inside, quiz_world.outside])
    session.commit()
    me = bearer(api_token(client, "0911000001"))
    r = client.post(f"/api/v1/rounds/{quiz_world.round_id}/attempts", headers=me)
    assert r.status_code == 201, r.text
    body = r.json()
    assert len(body["questions"]) == 5 and "correct" not in r.text and body["remaining_s"] > 590
    again = client.post(f"/api/v1/rounds/{quiz_world.round_id}/attempts", headers=me)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert client.get(f"/api/v1/attempts/{body['id']}", headers=me).json()["questions"] == body["questions"]
    other = make_member(session, _unit(session, quiz_world.inside), phone="0911000003")
    them = bearer(api_token(client, other.phone))
    assert client.get(f"/api/v1/attempts/{body['id']}", headers=them).status_code == 404
    outsider = bearer(api_token(client, "0911000002"))
    assert client.post(f"/api/v1/rounds/{quiz_world.round_id}/attempts", headers=outsider).status_code == 403


def _unit(session, member):
    from app.models import Unit

    return session.get(Unit, member.unit_id)


def _started(client, session, member, round_id: int, phone: str) -> tuple[dict, dict]:
    """The member logged in over the API (by `phone`) with an attempt started: (headers, attempt)."""
    member.phone = phone
    session.add(member)
    session.commit()
    me = bearer(api_token(client, phone))
    return me, client.post(f"/api/v1/rounds/{round_id}/attempts", headers=me).json()


def test_answer_predict_submit_over_the_api(client, session, quiz_world):
    me, attempt = _started(client, session, quiz_world.inside, quiz_world.round_id, "0911000001")
    first = attempt["questions"][0]
    r = client.put(f"/api/v1/attempts/{attempt['id']}/answers/1", headers=me, json={"option_ids": [first["options"][0]["id"]]})
    assert r.status_code == 200 and "saved_at" in r.json()
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=me).json()["answers"] == {"1": [first["options"][0]["id"]]}
    assert client.put(f"/api/v1/attempts/{attempt['id']}/answers/99", headers=me, json={"option_ids": []}).status_code == 404
    assert client.put(f"/api/v1/attempts/{attempt['id']}/prediction", headers=me, json={"value": 37}).status_code == 200
    done = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=me)
    assert done.status_code == 200 and done.json()["status"] == "submitted"
    assert "score" not in done.json()  # results after the round closes
    late = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers/2", headers=me, json={"option_ids": [attempt["questions"][1]["options"][0]["id"]]}
    )
    assert late.status_code == 409 and late.json()["error"] == "Conflict"


def test_a_judge_of_the_scope_reads_an_attempt_over_the_api(client, session, quiz_world):
    quiz_world.inside.phone = "0911000001"
    session.add(quiz_world.inside)
    session.commit()
    a1 = _unit(session, quiz_world.inside)
    judge = make_member(session, a1, phone="0911000004", roles=(("judge", a1),))
    far_judge = make_member(
        session, _unit(session, quiz_world.outside), phone="0911000005", roles=(("judge", _unit(session, quiz_world.outside)),)
    )
    session.commit()
    me = bearer(api_token(client, "0911000001"))
    attempt = client.post(f"/api/v1/rounds/{quiz_world.round_id}/attempts", headers=me).json()
    seen = client.get(f"/api/v1/attempts/{attempt['id']}", headers=bearer(api_token(client, judge.phone)))
    assert seen.status_code == 200 and seen.json()["questions"] == attempt["questions"]
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=bearer(api_token(client, far_judge.phone))).status_code == 404
    # a judge reads; only the owner writes
    assert (
        client.put(
            f"/api/v1/attempts/{attempt['id']}/answers/1", headers=bearer(api_token(client, judge.phone)), json={"option_ids": []}
        ).status_code
        == 404
    )


def test_page_events_over_the_api(client, session, quiz_world):
    quiz_world.inside.phone = "0911000001"
    session.add(quiz_world.inside)
    session.commit()
    me = bearer(api_token(client, "0911000001"))
    attempt = client.post(f"/api/v1/rounds/{quiz_world.round_id}/attempts", headers=me).json()
    assert client.post(f"/api/v1/attempts/{attempt['id']}/events", headers=me, json={"kind": "hide"}).status_code == 204
    bad = client.post(f"/api/v1/attempts/{attempt['id']}/events", headers=me, json={"kind": "blur"})
    assert bad.status_code == 422 and bad.json()["error"]


def test_a_revoked_token_saves_nothing_whether_or_not_the_member_is_cached(app, client, session, quiz_world):
    """A save checks the session in the tap's own read, and a member this process has not seen is loaded on
    the long path (deps.Caller): a bad signature, a revoked session or an inactive member saves nothing."""
    me, attempt = _started(client, session, quiz_world.inside, quiz_world.round_id, "0911000002")
    choice = {"option_ids": [attempt["questions"][0]["options"][0]["id"]]}
    url = f"/api/v1/attempts/{attempt['id']}/answers/1"
    app.state.principals.forget(None)  # not cached: loaded in the save's hop
    assert client.put(url, headers=me, json=choice).status_code == 200
    assert client.put(url, headers={"Authorization": "Bearer nonsense"}, json=choice).status_code == 401
    quiz_world.inside.token_version += 1  # logged out on another device
    session.add(quiz_world.inside)
    session.commit()
    app.state.principals.forget(None)
    r = client.put(url, headers=me, json=choice)
    assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
    fresh = bearer(api_token(client, "0911000002"))
    assert client.put(url, headers=fresh, json=choice).status_code == 200
    quiz_world.inside.active = False
    session.add(quiz_world.inside)
    session.commit()
    app.state.principals.forget(None)
    assert client.put(url, headers=fresh, json=choice).status_code == 401


def test_a_member_who_must_choose_a_new_password_saves_nothing_over_the_api(app, client, session, quiz_world):
    """Taps and the prediction are saved by the tap writer without loading the caller, but a member told to choose
    a new password (an organiser's reset, say) is refused as every other API call refuses them: in the writer's
    own read, and again on the long way."""
    from app.models import Answer, Attempt

    me, attempt = _started(client, session, quiz_world.inside, quiz_world.round_id, "0911000001")
    option = attempt["questions"][0]["options"][0]["id"]
    member = session.get(type(quiz_world.inside), quiz_world.inside.id)
    member.must_change_password = True
    session.add(member)
    session.commit()
    for cold in (False, True):
        if cold:
            app.state.principals.forget(None)
        tap = client.put(f"/api/v1/attempts/{attempt['id']}/answers/1", headers=me, json={"option_ids": [option]})
        assert tap.status_code == 403 and tap.json()["error"] == "PasswordChangeRequired"
        guess = client.put(f"/api/v1/attempts/{attempt['id']}/prediction", headers=me, json={"value": 4})
        assert guess.status_code == 403 and guess.json()["error"] == "PasswordChangeRequired"
    session.expire_all()
    assert session.get(Attempt, attempt["id"]).prediction is None
    assert session.exec(select(Answer).where(Answer.attempt_id == attempt["id"])).all() == []


def test_a_start_and_a_save_over_the_api_take_direct_routes_and_anything_unusual_the_documented_ones(
    client, session, quiz_world, fastapi_solved
):
    """The API's start and answer save are answered by plain routes called without FastAPI's dependency solving
    (routers.base.direct), with the same bytes as the FastAPI route of the same path (reached here by a leading
    zero); a body the direct route does not take as it is (not JSON, not the model, another content type) is
    handed on to that route, which answers it as it always has."""
    solved = fastapi_solved
    me, attempt = _started(client, session, quiz_world.inside, quiz_world.round_id, "0911000001")
    assert solved == ["/api/v1/auth/token"] and attempt["id"] and len(attempt["questions"]) == 5  # the login's alone
    del solved[:]
    rid, aid = quiz_world.round_id, attempt["id"]
    direct = client.post(f"/api/v1/rounds/{rid}/attempts", headers=me)
    documented = client.post(f"/api/v1/rounds/0{rid}/attempts", headers=me)
    assert solved == [f"/api/v1/rounds/0{rid}/attempts"]
    assert (direct.status_code, documented.status_code) == (200, 200)  # resumed, by either route
    assert direct.headers["content-type"] == documented.headers["content-type"] == "application/json"
    assert direct.json()["remaining_s"] - documented.json()["remaining_s"] in (0, 1)
    assert {**direct.json(), "remaining_s": 0} == {**documented.json(), "remaining_s": 0}
    options = [q["options"][0]["id"] for q in attempt["questions"]]
    del solved[:]
    r = client.put(f"/api/v1/attempts/{aid}/answers/1", headers=me, json={"option_ids": [options[0]]})
    assert r.status_code == 200 and set(r.json()) == {"saved_at"} and solved == []
    for ctype in ("application/json; charset=utf-8", "Application/JSON"):  # as some apps' HTTP clients send it
        body = ('{"option_ids": ["%s"]}' % options[0]).encode()
        r = client.put(f"/api/v1/attempts/{aid}/answers/1", headers={**me, "Content-Type": ctype}, content=body)
        assert r.status_code == 200 and solved == [], ctype
    bad = [
        ({"content": b"{not json"}, 422),
        ({"json": {"option_ids": "x"}}, 422),
        ({"json": {"option_ids": [1]}}, 422),
        ({"json": {}}, 422),
        ({"content": b""}, 422),
        ({"json": ["a"]}, 422),
    ]
    for body, status in bad:
        for position in ("2", "02"):
            kwargs = {**body, "headers": {**me, "Content-Type": "application/json"}} if "content" in body else {**body, "headers": me}
            r = client.put(f"/api/v1/attempts/{aid}/answers/{position}", **kwargs)
            assert r.status_code == status, (body, r.text)
        assert client.put(f"/api/v1/attempts/{aid}/answers/2", **kwargs).json() == r.json()  # the same 422, word for word
    # each handed on, its body read again (FastAPI refuses the one that is not JSON before solving anything)
    assert solved.count(f"/api/v1/attempts/{aid}/answers/2") == 2 * (len(bad) - 1)
    # another content type: handed on, answered as FastAPI answers it (here: the form is not the model)
    r = client.put(f"/api/v1/attempts/{aid}/answers/2", headers=me, data={"option_ids": options[1]})
    assert r.status_code == client.put(f"/api/v1/attempts/{aid}/answers/02", headers=me, data={"option_ids": options[1]}).status_code
    # without a caller: what FastAPI answers (a body it cannot read before the caller's check), by either route
    for content, status in ((b"{not json", 422), (b'{"option_ids": 1}', 401), (b'{"option_ids": []}', 401)):
        for position in ("2", "02"):
            r = client.put(f"/api/v1/attempts/{aid}/answers/{position}", content=content, headers={"Content-Type": "application/json"})
            assert r.status_code == status, (content, position, r.text)
    assert client.put(f"/api/v1/attempts/{aid}/answers/1001", headers=me, json={"option_ids": []}).status_code == 422
    assert client.get(f"/api/v1/attempts/{aid}/answers/1", headers=me).status_code == 405
    r = client.put(f"/api/v1/attempts/{aid}/answers/03", headers=me, json={"option_ids": [options[2]]})
    assert r.status_code == 200
    got = client.get(f"/api/v1/attempts/{aid}", headers=me)
    assert got.json()["answers"] == {"1": [options[0]], "3": [options[2]]}
    # each answer is AttemptOut's JSON, no field more or less (made from plain values: sheet.json_of)
    for body in (attempt, direct.json(), got.json()):
        assert AttemptOut.model_validate(body).model_dump(mode="json") == body
