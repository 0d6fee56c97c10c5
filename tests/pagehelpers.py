"""Helpers for page tests: log in through the real form, read CSRF tokens from pages."""

from __future__ import annotations

import re

from tests.factories import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no csrf_token field"
    return match.group(1)


def page_login(client, username: str, password: str = PASSWORD, follow: bool = False):
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"}, follow_redirects=follow
    )


def browser_login(page, phone: str, password: str = PASSWORD) -> None:
    """Log in through the login form in a Playwright page, and wait for home."""
    page.goto("/login")
    page.fill("#username", phone)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")
