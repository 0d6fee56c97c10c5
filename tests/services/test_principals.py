"""The per-process snapshot of a token's member: reused for a few seconds, dropped on local changes."""
from __future__ import annotations

import time

from sqlalchemy import text

from app.services.principals import PrincipalCache
from tests.factories import api_token, bearer, make_member, make_unit


def _setup(session):
    root = make_unit(session, "ROOT")
    return make_member(session, root, phone="0911000111", roles=(("organiser", root),))


def test_change_by_another_process_is_seen_after_the_ttl(app, client, session, engine):
    member = _setup(session)
    token = api_token(client, "0911000111")
    old_cache = app.state.principals
    app.state.principals = PrincipalCache(ttl=0.5)
    try:
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
        # Another worker logs the member out: a plain SQL write this process's session events never see.
        with engine.begin() as conn:
            conn.execute(text("UPDATE member SET token_version = token_version + 1 WHERE id = :id"),
                         {"id": member.id})
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # still the snapshot
        time.sleep(0.6)
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    finally:
        app.state.principals = old_cache


def test_logout_in_this_process_revokes_at_once(app, client, session):
    _setup(session)
    token = api_token(client, "0911000111")
    assert app.state.principals.ttl >= 1
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200  # cached now
    client.cookies.set("hoithi_token", token)
    page = client.get("/")
    import re
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_role_revoked_in_this_process_is_gone_at_once(app, client, session):
    from sqlmodel import select

    from app.models import MemberRole

    member = _setup(session)
    token = api_token(client, "0911000111")
    roles = client.get("/api/v1/me", headers=bearer(token)).json()["roles"]
    assert {"role": "organiser", "unit_code": "ROOT"} in roles
    grant = session.exec(select(MemberRole).where(MemberRole.member_id == member.id)).one()
    session.delete(grant)
    session.commit()
    roles = client.get("/api/v1/me", headers=bearer(token)).json()["roles"]
    assert {"role": "organiser", "unit_code": "ROOT"} not in roles
    assert client.post("/api/v1/units", headers=bearer(token), json={"code": "X", "name": "X"}).status_code == 403


def test_cache_disabled_with_zero_ttl():
    cache = PrincipalCache(ttl=0)
    assert cache.get(1) is None
