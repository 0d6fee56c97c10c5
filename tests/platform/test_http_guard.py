"""What every answer carries and every request is held to (app.http_guard): body limits before any route,
security headers, no caching of what a logged-in person was shown."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

from app.http_guard import BODY_LIMIT, UPLOAD_LIMIT
from tests.factories import api_token, bearer, make_member, make_unit
from tests.liveserver import serve
from tests.pagehelpers import page_login


def test_a_huge_body_is_refused_before_it_is_read(client):
    """The probe's 200 MB login body and 300 MB multipart logout: 413 from the declared length alone."""
    big = BODY_LIMIT + 1
    r = client.post("/api/v1/auth/token", content=b"{" + b" " * big + b"}", headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge" and f"tối đa {BODY_LIMIT // 1024} KB" in r.json()["detail"]
    page = client.post("/logout", content=b"x" * big, headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert page.status_code == 413 and "quá lớn" in page.text
    small = client.post("/api/v1/auth/token", json={"username": "0900000000", "password": "x"})
    assert small.status_code == 401  # an ordinary body goes through


def test_an_upload_may_be_as_large_as_the_import_limit(client, session):
    unit = make_unit(session, "ROOT", kind="Đảng bộ")
    make_member(session, unit, phone="0922000001", roles=(("organiser", unit),))
    token = bearer(api_token(client, "0922000001"))
    over_form = client.post("/api/v1/members/import", headers=token, files={"file": ("ds.csv", b"a" * (BODY_LIMIT + 10), "text/csv")})
    assert over_form.status_code == 422  # read and judged by the importer, not refused by size
    assert client.post("/api/v1/members/import", headers={**token, "Content-Length": str(UPLOAD_LIMIT + 1)}, content=b"").status_code == 413


def test_a_body_without_a_length_is_counted_as_it_comes(app):
    """Chunked transfer carries no Content-Length: the guard counts the bytes and stops at the limit, on a
    FastAPI route and on a direct one (the API's answer save, which reads its body itself; routers.base.direct)."""
    with serve(app, lifespan="off") as url:
        parts = urlsplit(url)

        def chunks():
            for _ in range(BODY_LIMIT // 16_384 + 1):
                yield b"x" * 16_384

        for method, path in (("POST", "/api/v1/auth/token"), ("PUT", "/api/v1/attempts/1/answers/1")):
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            conn.request(
                method,
                path,
                body=chunks(),
                encode_chunked=True,
                headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            )
            assert conn.getresponse().status == 413, path
            conn.close()


def test_security_headers_and_no_store_for_logged_in_answers(client, session):
    login = client.get("/login")
    csp = login.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and login.headers["x-frame-options"] == "DENY"
    assert login.headers["x-content-type-options"] == "nosniff" and login.headers["referrer-policy"] == "same-origin"
    assert "no-store" not in login.headers.get("cache-control", "")  # nobody logged in yet
    unit = make_unit(session, "ROOT", kind="Đảng bộ")
    make_member(session, unit, phone="0922000002")
    page_login(client, "0922000002")
    home = client.get("/")
    assert home.headers["cache-control"] == "no-store"
    assert not re.search(r"<script(?![^>]*\bsrc=)", home.text) and " onclick=" not in home.text  # nothing inline
    static = client.get("/static/app.css")
    assert "immutable" in static.headers["cache-control"]  # its own caching stands


def test_hsts_where_cookies_are_secure(engine, settings):
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app
    from tests.databases import TEST_SECRET

    secure = create_app(Settings(database_url=settings.database_url, secret_key=TEST_SECRET, _env_file=None))
    with TestClient(secure, base_url="https://testserver") as c:
        assert "max-age" in c.get("/login").headers["strict-transport-security"]
    secure.state.engine.dispose()
