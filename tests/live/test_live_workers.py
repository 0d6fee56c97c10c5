"""A worker killed mid-game (kill -9) with players on it: two real server processes on one database; a phone
follows the game and answers on the first; the first dies while the question is open; the phone comes back to
the second and finds the question, the time left and its accepted answer; a second answer is still refused;
the reveal on the second judges the answer taken by the dead one: nothing accepted is lost."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.databases import TEST_SECRET
from tests.factories import api_token, bearer

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def two_processes(settings, tmp_path):
    """Two single-worker servers of the app (as two hosts) on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOITHI_")}
    env |= {
        "HOITHI_DATABASE_URL": settings.database_url,
        "HOITHI_SECRET_KEY": TEST_SECRET,
        "HOITHI_DATA_DIR": str(settings.data_dir),
        "HOITHI_INSECURE_COOKIES": "1",
        "HOITHI_SWEEP_EVERY_S": "0",
    }
    procs, urls = [], []
    for i in range(2):
        port = _free_port()
        log = (tmp_path / f"server-{i}.log").open("wb")
        cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail(f"{url} did not start")
    yield procs, urls
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=10)


def test_a_killed_worker_loses_nothing_accepted(client, live_world, two_processes):
    (first, _second), (a, b) = two_processes
    host = bearer(api_token(client, live_world.org_phone))
    phone = bearer(api_token(client, live_world.players[0].phone))
    made = client.post(
        "/api/v1/live-games",
        json={"title": "Chịu lỗi", "scope_unit_code": "DB-A", "question_ids": [live_world.questions[0].id], "seconds_per_question": 60},
        headers=host,
    ).json()
    gid = made["id"]
    with httpx.Client(base_url=a, headers=phone, timeout=10) as on_a:
        assert on_a.post("/api/v1/live-games/join", json={"pin": made["pin"]}).status_code == 200
        assert client.post(f"/api/v1/live-games/{gid}/next", headers=host).status_code == 200
        options = on_a.get(f"/api/v1/live-games/{gid}/state").json()["question"]["options"]
        assert on_a.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [options[0]["id"]]}).status_code == 200
    os.killpg(first.pid, signal.SIGKILL)  # the worker dies with the phone's connection on it
    first.wait(timeout=10)

    with httpx.Client(base_url=b, headers=phone, timeout=10) as on_b:
        back = on_b.get(f"/api/v1/live-games/{gid}/state").json()
        assert back["status"] == "question" and back["me"]["answered"] is True
        assert back["question"]["text"] == "Câu 1?" and back["deadline_at"]
        again = on_b.put(f"/api/v1/live-games/{gid}/answer", json={"option_ids": [options[1]["id"]]})
        assert again.status_code == 409  # the answer taken by the dead worker stands
        with httpx.Client(base_url=b, headers=host, timeout=10) as host_b:
            revealed = host_b.post(f"/api/v1/live-games/{gid}/reveal").json()
        assert {d["option_id"]: d["count"] for d in revealed["distribution"]}[options[0]["id"]] == 1
        mine = on_b.get(f"/api/v1/live-games/{gid}/state").json()["me"]
        assert mine["correct"] is True and mine["points"] > 500
