"""Reminders by Web Push, end to end against a local push service that decrypts what it receives: only members
of the subtree without a finished attempt who allowed notifications get one; a 410 from the push service
removes the subscription; every send is recorded."""

from __future__ import annotations

import base64
import json
import time

from tests.factories import api_token, bearer, make_member
from tests.fixtures.results import add
from tests.pagehelpers import csrf_from, page_login


def _subscribe(client, token: str, phone) -> None:
    body = {"endpoint": phone.endpoint, "keys": {"p256dh": phone.p256dh, "auth": phone.auth}}
    assert client.post("/api/v1/push/subscriptions", headers=bearer(token), json=body).status_code == 201


def test_a_reminder_reaches_who_has_not_taken_part(client, session, results_arena, push_service):
    t, week2 = results_arena.tree, results_arena.rounds[1]  # open now
    names = ("missing", "done", "silent", "gone", "off")
    people = {n: make_member(session, t.a1, full_name=f"Đặng Văn {n}", phone=f"091800000{i}") for i, n in enumerate(names)}
    add(session, week2, people["done"], score=3)
    session.commit()
    phones = {n: push_service.phone(n) for n in ("missing", "done", "gone", "off")}
    for n, phone in phones.items():
        _subscribe(client, api_token(client, people[n].phone), phone)
    off = api_token(client, people["off"].phone)
    assert client.delete("/api/v1/push/subscriptions", headers=bearer(off), params={"endpoint": phones["off"].endpoint}).status_code == 204
    push_service.gone.add("/push/gone")

    make_member(session, t.a1, phone="0918000099", roles=(("organiser", t.a1),))
    organiser = api_token(client, "0918000099")
    queued = client.post(f"/api/v1/rounds/{week2.id}/reminders", headers=bearer(organiser), json={})
    assert queued.status_code == 202
    sent = queued.json()
    assert (sent["members"], sent["targets"], sent["unit"]["code"]) == (2, 2, "CB-A1")  # missing and gone
    status = sent
    for _ in range(100):
        status = client.get(f"/api/v1/reminders/{sent['id']}", headers=bearer(organiser)).json()
        if status["finished_at"]:
            break
        time.sleep(0.1)
    assert (status["delivered"], status["failed"], status["removed"]) == (1, 1, 1)
    assert [path for path, _message, _headers in push_service.received] == ["/push/missing"]
    _path, message, headers = push_service.received[0]
    assert week2.title in message["title"] and message["url"].endswith(f"/rounds/{week2.id}/enter")
    assert headers["content-encoding"] == "aes128gcm"
    scheme, token = headers["authorization"].split(" ", 1)  # VAPID: a JWT signed with the server's key
    claims = json.loads(base64.urlsafe_b64decode(token.removeprefix("t=").split(",")[0].split(".")[1] + "=="))
    assert scheme in ("vapid", "WebPush") and claims["aud"] == push_service.base and claims["sub"].startswith("mailto:")
    # the gone phone's subscription was removed: a second reminder reaches only the one left
    again = client.post(f"/api/v1/rounds/{week2.id}/reminders", headers=bearer(organiser), json={}).json()
    assert (again["members"], again["targets"]) == (1, 1)


def test_who_may_remind_and_bad_subscriptions(client, session, results_arena):
    t, week2 = results_arena.tree, results_arena.rounds[1]
    member = make_member(session, t.b1, phone="0918100001")
    token = api_token(client, member.phone)
    assert client.post(f"/api/v1/rounds/{week2.id}/reminders", headers=bearer(token), json={}).status_code == 404
    bad = {"endpoint": "ftp://x", "keys": {"p256dh": "a", "auth": "b"}}
    assert client.post("/api/v1/push/subscriptions", headers=bearer(token), json=bad).status_code == 422
    assert client.get("/api/v1/push/key").json()["public_key"]
    assert client.get("/api/v1/reminders/99999999999999999999", headers=bearer(token)).status_code == 404  # found by schemathesis
    ward = make_member(session, t.b, phone="0918100002", roles=(("organiser", t.b),))
    ward_token = api_token(client, ward.phone)
    other = client.post(f"/api/v1/rounds/{week2.id}/reminders", headers=bearer(ward_token), json={"unit_code": "DB-A"})
    assert other.status_code == 403
    closed = client.post(f"/api/v1/rounds/{results_arena.rounds[0].id}/reminders", headers=bearer(ward_token), json={})
    assert closed.status_code == 422  # week 1 is over


def test_the_pages_send_a_reminder_and_offer_the_switch(client, session, results_arena, push_service):
    t, week2 = results_arena.tree, results_arena.rounds[1]
    member = make_member(session, t.a2, phone="0918200001")
    phone = push_service.phone("page")
    _subscribe(client, api_token(client, member.phone), phone)
    make_member(session, t.a, phone="0918200009", roles=(("organiser", t.a),))
    page_login(client, "0918200009")
    form = client.get(f"/rounds/{week2.id}/reminders")
    assert form.status_code == 200 and 'id="no-sends"' in form.text
    assert '<p id="reach"><b>1</b>' in form.text  # the one member of A2 with a phone that allowed reminders
    sent = client.post(f"/rounds/{week2.id}/reminders", data={"csrf_token": csrf_from(form.text), "unit": "DB-A"}, follow_redirects=False)
    assert sent.status_code == 303 and "sent=" in sent.headers["location"]
    for _ in range(100):
        if push_service.received:
            break
        time.sleep(0.1)
    assert [p for p, _m, _h in push_service.received] == ["/push/page"]
    assert 'id="sends"' in client.get(f"/rounds/{week2.id}/reminders").text
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["content-type"].startswith("text/javascript") and "showNotification" in worker.text
    home = client.get("/")
    assert 'id="push-box"' in home.text and 'data-key="' in home.text and "/static/push.js" in home.text


def test_automatic_reminders_go_once_per_round_when_switched_on(app, client, session, results_arena, push_service):
    from app.services.results import reminders

    t, week2 = results_arena.tree, results_arena.rounds[1]  # open, closing within a day
    member = make_member(session, t.b1, phone="0918300001")
    _subscribe(client, api_token(client, member.phone), push_service.phone("auto"))

    def run() -> int:
        def send(send_id, targets, message) -> None:  # inline here; the app sends from its own process
            reminders.deliver(
                engine=app.state.engine,
                send_id=send_id,
                targets=targets,
                message=message,
                key=app.state.vapid,
                contact="mailto:t@x.vn",
            )

        return reminders.auto_once(engine=app.state.engine, send=send, base_url="")

    assert run() == 0  # off by default
    make_member(session, t.root, phone="0918300009", roles=(("organiser", t.root),))
    page_login(client, "0918300009")
    page = client.get(f"/rounds/{week2.id}/reminders")
    switched = client.post(f"/rounds/{week2.id}/reminders/auto", data={"csrf_token": csrf_from(page.text), "on": "1"})
    assert switched.status_code == 200 and 'id="auto-switch"' in switched.text
    assert run() == 1 and run() == 0  # once per round and kind, whoever runs it
    assert [p for p, _m, _h in push_service.received] == ["/push/auto"]
    assert push_service.received[0][1]["url"] == f"/rounds/{week2.id}/enter"
