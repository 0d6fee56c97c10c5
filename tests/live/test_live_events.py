"""The event stream across workers: two apps on one database (as two workers, each with its own engine, hub and
event loop, served by real uvicorn servers); a phone follows the game on one, the host steps on the other, and
the phone hears each step within a second, through PostgreSQL's NOTIFY or, on SQLite, the worker's poll. A
phone that reconnects with Last-Event-ID gets only what is newer; the key is in no event before the reveal."""

from __future__ import annotations

import json
import queue
import threading
import time

import httpx
import pytest

from app.main import create_app
from tests.factories import api_token, bearer
from tests.liveserver import serve


@pytest.fixture
def two_workers(app, settings):
    other = create_app(settings.model_copy(update={"sweep_every_s": 0}))
    with serve(app, lifespan="on") as a, serve(other, lifespan="on") as b:
        yield a, b
    other.state.engine.dispose()


def _follow(url: str, headers: dict[str, str], out: queue.Queue, stop: threading.Event) -> None:
    """Put (time, event id, data) of each `state` event on `out` until told to stop."""
    with httpx.Client(timeout=30) as http, http.stream("GET", url, headers=headers) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        event_id, kind = None, None
        for line in r.iter_lines():
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "state":
                out.put((time.monotonic(), event_id, json.loads(line[6:])))
            if stop.is_set():
                return


def _next_state(out: queue.Queue, status: str, timeout: float = 5.0) -> tuple[float, int, dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at, event_id, data = out.get(timeout=max(0.01, deadline - time.monotonic()))
        if data["state"]["status"] == status:
            return at, event_id, data
    raise AssertionError(f"no {status} event")


def test_a_step_on_one_worker_reaches_a_phone_on_the_other(client, live_world, two_workers):
    a, b = two_workers
    host = bearer(api_token(client, live_world.org_phone))
    phone = bearer(api_token(client, live_world.players[0].phone))
    made = client.post(
        "/api/v1/live-games",
        json={"title": "Trực tuyến", "scope_unit_code": "DB-A", "question_ids": [q.id for q in live_world.questions[:2]]},
        headers=host,
    ).json()
    gid = made["id"]
    player_id = client.post("/api/v1/live-games/join", json={"pin": made["pin"]}, headers=phone).json()["player_id"]
    out: queue.Queue = queue.Queue()
    stop = threading.Event()
    follower = threading.Thread(target=_follow, args=(f"{a}/api/v1/live-games/{gid}/events", phone, out, stop), daemon=True)
    follower.start()
    _, first_id, lobby = _next_state(out, "lobby")
    assert lobby["me"]["player_id"] == player_id

    with httpx.Client(base_url=b, headers=host, timeout=10) as worker_b:
        clicked = time.monotonic()
        assert worker_b.post(f"/api/v1/live-games/{gid}/next").status_code == 200
        heard, question_id, shown = _next_state(out, "question")
        assert heard - clicked < 1.0 and question_id > first_id
        assert shown["state"]["question"]["text"] == "Câu 1?"
        assert shown["state"]["correct_option_ids"] is None and "correct" not in json.dumps(shown["state"]["question"])
        right = shown["state"]["question"]["options"][0]["id"]
        with httpx.Client(base_url=a, headers=phone, timeout=10) as worker_a:
            assert worker_a.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [right]}).status_code == 200
        clicked = time.monotonic()
        worker_b.post(f"/api/v1/live-games/{gid}/reveal")
        heard, reveal_id, revealed = _next_state(out, "reveal")
        assert heard - clicked < 1.0
        assert revealed["state"]["correct_option_ids"] == [right] and revealed["me"]["correct"] is True
    stop.set()

    # a phone that comes back with the last id it saw gets the newer state only, not the old ones again
    again: queue.Queue = queue.Queue()
    resumed = {**phone, "Last-Event-ID": str(question_id)}
    threading.Thread(target=_follow, args=(f"{b}/api/v1/live-games/{gid}/events", resumed, again, threading.Event()), daemon=True).start()
    _, event_id, data = again.get(timeout=5)
    assert event_id == reveal_id and data["state"]["status"] == "reveal"


def test_only_players_and_hosts_follow_a_game(client, live_world, two_workers):
    a, _ = two_workers
    host = bearer(api_token(client, live_world.org_phone))
    gid = client.post(
        "/api/v1/live-games", json={"title": "Kín", "scope_unit_code": "DB-A", "question_ids": [live_world.questions[0].id]}, headers=host
    ).json()["id"]
    outsider = bearer(api_token(client, live_world.outside.phone))
    with httpx.Client(timeout=5) as http:
        assert http.get(f"{a}/api/v1/live-games/{gid}/events", headers=outsider).status_code == 404
        assert http.get(f"{a}/api/v1/live-games/{gid}/events").status_code == 401
