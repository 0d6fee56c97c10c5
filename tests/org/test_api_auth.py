"""Login and tokens: every way a token can be wrong gives 401, and guessing meets 429."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from jose import jwt
from sqlmodel import select

from app.models import AuditEntry, Member
from app.security import create_token
from tests.databases import TEST_SECRET
from tests.factories import PASSWORD, api_token, bearer, make_member, make_unit


@pytest.fixture
def member(session):
    root = make_unit(session, "ROOT", kind="Đảng bộ")
    cell = make_unit(session, "CB1", parent=root)
    return make_member(session, cell, full_name="Trần Thị Bé", phone="0912345678", member_code="DV001", roles=(("organiser", root),))


def test_token_and_me(client, member):
    token = api_token(client, "0912345678")
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == member.id
    assert body["full_name"] == "Trần Thị Bé"
    assert body["phone"] == "0912345678"
    assert body["member_code"] == "DV001"
    assert body["unit"]["code"] == "CB1"
    assert {"role": "organiser", "unit_code": "ROOT"} in body["roles"]
    assert {"role": "member", "unit_code": "CB1"} in body["roles"]


def test_token_answer_shape_and_form_login(client, member):
    r = client.post("/api/v1/auth/token", data={"username": "DV001", "password": PASSWORD})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    # login by member code, case-insensitive, and by phone written the international way
    assert client.post("/api/v1/auth/token", json={"username": "dv001", "password": PASSWORD}).status_code == 200
    assert client.post("/api/v1/auth/token", json={"username": "+84 912 345 678", "password": PASSWORD}).status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(client, member):
    wrong = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": "sai-mat-khau"})
    unknown = client.post("/api/v1/auth/token", json={"username": "0999999999", "password": "sai-mat-khau"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"] == "Unauthorized"


def test_wrong_password_and_unknown_user_take_similar_time(client, member):
    def timed(username: str) -> float:
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            client.post("/api/v1/auth/token", json={"username": username, "password": "sai-mat-khau"})
            samples.append(time.perf_counter() - t0)
        return sorted(samples)[2]

    known, unknown = timed("0912345678"), timed("0999999999")
    # Both spend one argon2 verification; without the dummy hash the unknown user would be ~10x faster.
    assert unknown > known * 0.5, (known, unknown)


def test_missing_fields_are_422_not_500(client):
    r = client.post("/api/v1/auth/token", json={"username": "x"})
    assert r.status_code == 422
    assert r.json()["error"] == "ValidationError"
    r = client.post("/api/v1/auth/token", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422


def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(member: Member, **over) -> dict:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": str(member.id), "tv": member.token_version, "aud": "hoithi", "iat": now, "exp": now + 600}
    claims.update(over)
    return claims


def test_good_handmade_token_is_accepted(client, member):
    # The control for the tests below: the same claims, correctly signed, work.
    token = jwt.encode(_claims(member), TEST_SECRET, algorithm="HS256")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def _signed(header: dict, claims: object, secret: str = TEST_SECRET) -> str:
    """A token made by hand: any header and claims, signed HS256 with the secret."""
    head_body = _b64(header) + "." + _b64(claims)
    signature = hmac.new(secret.encode(), head_body.encode(), hashlib.sha256).digest()
    return head_body + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def test_tokens_signed_by_hand_follow_the_claims_rules(client, member):
    """app.security verifies HS256 itself: what python-jose checked, checked the same way."""
    hs256 = {"alg": "HS256", "typ": "JWT"}
    ok = _signed(hs256, _claims(member))
    assert client.get("/api/v1/me", headers=bearer(ok)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(_signed(hs256, _claims(member, aud=["x", "hoithi"])))).status_code == 200
    now = int(datetime.now(UTC).timestamp())
    refused = {
        "tampered claims": ok.split(".")[0] + "." + _b64(_claims(member, tv=99)) + "." + ok.split(".")[2],
        "header says none, signed all the same": _signed({"alg": "none"}, _claims(member)),
        "no iat": _signed(hs256, {k: v for k, v in _claims(member).items() if k != "iat"}),
        "no sub": _signed(hs256, {k: v for k, v in _claims(member).items() if k != "sub"}),
        "sub a number": _signed(hs256, _claims(member, sub=member.id)),
        "exp a text": _signed(hs256, _claims(member, exp=str(now + 600))),
        "exp true": _signed(hs256, _claims(member, exp=True)),
        "not valid yet": _signed(hs256, _claims(member, nbf=now + 600)),
        "audience list without us": _signed(hs256, _claims(member, aud=["x"])),
        "claims not an object": _signed(hs256, [1, 2]),
        "a fourth segment": ok + ".x",
        "a character outside base64url": ok[:-1] + "$",
    }
    for case, token in refused.items():
        r = client.get("/api/v1/me", headers=bearer(token))
        assert r.status_code == 401, (case, r.text)


@pytest.mark.parametrize(
    "case", ["alg_none", "hs512", "bad_signature", "expired", "wrong_audience", "no_exp", "oversized", "garbage", "empty"]
)
def test_bad_tokens_are_401(client, member, case):
    claims = _claims(member)
    if case == "alg_none":
        token = _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + "."
    elif case == "hs512":
        token = jwt.encode(claims, TEST_SECRET, algorithm="HS512")
    elif case == "bad_signature":
        token = jwt.encode(claims, "another-secret-entirely-0123456789", algorithm="HS256")
    elif case == "expired":
        past = int((datetime.now(UTC) - timedelta(hours=2)).timestamp())
        token = jwt.encode(_claims(member, iat=past - 60, exp=past), TEST_SECRET, algorithm="HS256")
    elif case == "wrong_audience":
        token = jwt.encode(_claims(member, aud="another-app"), TEST_SECRET, algorithm="HS256")
    elif case == "no_exp":
        c = _claims(member)
        del c["exp"]
        token = jwt.encode(c, TEST_SECRET, algorithm="HS256")
    elif case == "oversized":
        token = jwt.encode(_claims(member, pad="x" * 8000), TEST_SECRET, algorithm="HS256")
    elif case == "garbage":
        token = "not.a.token"
    else:
        token = ""
    r = client.get("/api/v1/me", headers=bearer(token))
    assert r.status_code == 401, (case, r.text)
    assert r.json()["error"] == "Unauthorized"


def test_no_token_is_401(client):
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert set(r.json()) >= {"error", "detail"}


def test_old_token_version_is_401(client, session, member):
    token = create_token(member_id=member.id, token_version=member.token_version, secret=TEST_SECRET, audience="hoithi", lifetime_s=600)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    db_member = session.get(Member, member.id)
    db_member.token_version += 1
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_deactivation_revokes_tokens(client, session, member):
    token = api_token(client, "0912345678")
    db_member = session.get(Member, member.id)
    db_member.active = False
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": PASSWORD})
    assert r.status_code == 401


def test_repeated_bad_passwords_get_429_with_retry_after(client, app, member):
    limit = app.state.settings.login_max_failures_per_account
    for _ in range(limit):
        r = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": "doan-bua"})
        assert r.status_code == 401
    r = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": "doan-bua"})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert r.json()["error"] == "TooManyRequests"
    # even the right password waits: the account is locked for the window, not the guesser's luck
    r = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": PASSWORD})
    assert r.status_code == 429


def test_per_ip_limit(client, app, member):
    settings = app.state.settings
    old = settings.login_max_failures_per_ip
    settings.login_max_failures_per_ip = 3
    try:
        for n in range(3):
            r = client.post("/api/v1/auth/token", json={"username": f"09000000{n:02d}", "password": "x"})
            assert r.status_code == 401
        r = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": PASSWORD})
        assert r.status_code == 429
    finally:
        settings.login_max_failures_per_ip = old


def test_success_resets_account_failures_and_is_audited(client, session, app, member):
    limit = app.state.settings.login_max_failures_per_account
    for _ in range(limit - 1):
        client.post("/api/v1/auth/token", json={"username": "0912345678", "password": "doan-bua"})
    assert client.post("/api/v1/auth/token", json={"username": "0912345678", "password": PASSWORD}).status_code == 200
    for _ in range(limit - 1):
        assert client.post("/api/v1/auth/token", json={"username": "0912345678", "password": "doan-bua"}).status_code == 401
    logins = session.exec(select(AuditEntry).where(AuditEntry.action == "auth.login")).all()
    assert len(logins) == 1 and logins[0].actor_id == member.id


def test_rehash_on_login_when_parameters_change(client, session, member):
    from pwdlib.hashers.argon2 import Argon2Hasher

    old_hash = Argon2Hasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    db_member = session.get(Member, member.id)
    db_member.password_hash = old_hash
    session.commit()
    assert client.post("/api/v1/auth/token", json={"username": "0912345678", "password": PASSWORD}).status_code == 200
    session.expire_all()
    new_hash = session.get(Member, member.id).password_hash
    assert new_hash != old_hash
    assert "m=12288,t=3,p=1" in new_hash


def test_the_failure_limit_counts_the_account_not_the_typed_string(client, app, member):
    """An outside probe got 10 failures for each way of writing one phone (+84…, 84…, spaces, dots, dashes,
    parentheses, the member code): 90 guesses in 5 s. Every spelling now counts for the one account."""
    limit = app.state.settings.login_max_failures_per_account
    spellings = [
        "0912345678",
        "+84912345678",
        "84912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "(0912) 345678",
        member.member_code,
        member.member_code.lower(),
    ]
    answers = [
        client.post("/api/v1/auth/token", json={"username": spellings[n % len(spellings)], "password": "doan-bua"}).status_code
        for n in range(limit + 5)
    ]
    assert answers[:limit] == [401] * limit and answers[limit:] == [429] * 5
    # an unknown phone's spellings share one count too
    unknown = [
        client.post("/api/v1/auth/token", json={"username": u, "password": "x"}).status_code
        for u in ["0987000111", "+84987000111", "0987 000 111"] * 4
    ]
    assert unknown.count(429) == 12 - limit


def test_concurrent_guesses_meet_the_same_limit(client, app, member):
    """Check and count are one step: 40 wrong passwords at once get at most `limit` real verifications."""
    from tests.factories import in_parallel

    limit = app.state.settings.login_max_failures_per_account
    codes: list[int] = []
    errors = in_parallel(
        lambda i: codes.append(client.post("/api/v1/auth/token", json={"username": "0912345678", "password": f"doan-{i}"}).status_code), 40
    )
    assert not errors
    assert codes.count(401) == limit and codes.count(429) == 40 - limit


def test_a_burst_of_correct_logins_to_one_account_waits(client, app, member):
    settings = app.state.settings
    old = settings.login_max_successes_per_account
    settings.login_max_successes_per_account = 3
    try:
        codes = [client.post("/api/v1/auth/token", json={"username": "0912345678", "password": PASSWORD}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
    finally:
        settings.login_max_successes_per_account = old


def test_a_locked_account_answers_like_a_wrong_password(client, session, member):
    """The probe read "account locked" only when the password was right: that told it the password."""
    m = session.get(Member, member.id)
    m.active = False
    session.add(m)
    session.commit()
    right = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": PASSWORD})
    wrong = client.post("/api/v1/auth/token", json={"username": "0912345678", "password": "doan-bua"})
    assert right.status_code == wrong.status_code == 401 and right.json() == wrong.json()


def test_a_forced_password_change_holds_over_the_api_too(client, session, member):
    """The forced change was enforced on pages only: the API answered everything. Now every call but
    GET /me and POST /auth/password is 403 PasswordChangeRequired until the password is changed."""
    m = session.get(Member, member.id)
    m.must_change_password = True
    session.add(m)
    session.commit()
    token = bearer(api_token(client, "0912345678"))
    assert client.get("/api/v1/me", headers=token).status_code == 200
    refused = client.get("/api/v1/units", headers=token)
    assert refused.status_code == 403 and refused.json()["error"] == "PasswordChangeRequired"
    # the prediction is saved by the tap writer, but its caller is still checked as every other call's
    predicted = client.put("/api/v1/attempts/1/prediction", headers=token, json={"value": 3})
    assert predicted.status_code == 403 and predicted.json()["error"] == "PasswordChangeRequired"
    bad = client.post("/api/v1/auth/password", headers=token, json={"current_password": "sai", "new_password": "x"})
    assert bad.status_code == 422
    common = client.post("/api/v1/auth/password", headers=token, json={"current_password": PASSWORD, "new_password": "12345678"})
    assert common.status_code == 422 and "phổ biến" in common.json()["detail"]
    done = client.post("/api/v1/auth/password", headers=token, json={"current_password": PASSWORD, "new_password": "Ca-Phe-Sua-Da-2026"})
    assert done.status_code == 204 and done.content == b""
    assert client.get("/api/v1/me", headers=token).status_code == 401  # every old token is revoked
    fresh = bearer(api_token(client, "0912345678", "Ca-Phe-Sua-Da-2026"))
    assert client.get("/api/v1/units", headers=fresh).status_code == 200


@pytest.mark.parametrize("weak", ["12345678", "password", "PASSWORD", "aaaaaaaaaa", "matkhau123"])
def test_the_most_common_passwords_are_refused(weak):
    from app.errors import Invalid
    from app.services.org.members import check_password

    with pytest.raises(Invalid):
        check_password(weak)
