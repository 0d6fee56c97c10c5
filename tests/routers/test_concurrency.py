"""A burst of writers larger than the thread pool must not deadlock on SQLite's write lock."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from app.config import Settings
from app.main import create_app
from tests.conftest import TEST_SECRET
from tests.factories import PASSWORD, make_member, make_unit
from tests.liveserver import serve


def test_burst_of_logins_with_a_tiny_thread_pool(engine, settings, session):
    root = make_unit(session, "ROOT")
    for n in range(12):
        make_member(session, root, phone=f"09123400{n:02d}")
    # Two threads, twelve logins at once, half of them failures that write throttle counters.
    app = create_app(Settings(database_url=settings.database_url, secret_key=TEST_SECRET, threads=2,
                              insecure_cookies=True, _env_file=None))
    try:
        def login(n: int) -> int:
            password = PASSWORD if n % 2 else "sai-mat-khau"
            r = httpx.post(f"{url}/api/v1/auth/token", json={"username": f"09123400{n:02d}", "password": password},
                           timeout=20)
            return r.status_code

        with serve(app) as url:
            started = time.monotonic()
            with ThreadPoolExecutor(12) as pool:
                codes = list(pool.map(login, range(12)))
            elapsed = time.monotonic() - started
    finally:
        app.state.engine.dispose()
    assert sorted(codes) == [200] * 6 + [401] * 6
    assert elapsed < 10, f"logins took {elapsed:.1f} s: writers waited on a lock whose holder had no thread"
