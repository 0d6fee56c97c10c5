"""Every page a member, an organiser, a judge and an admin can reach from home on the demo data is Vietnamese:
a crawl of the links follows each role and fails on English that leaked into a page (machine names, status
codes, field keys) or on a server error."""

from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from app.demo import data as demo
from tests.pagehelpers import page_login

# English that has reached Vietnamese pages before, or would if a label were missed: machine names of
# statuses, kinds and settings, field keys, audit actions, and programmer words.
LEAKS = re.compile(
    r"\b("
    + "|".join(
        (
            "answer",
            "difficulty",
            "easy",
            "medium",
            "hard",
            "single",
            "multiple",
            "true_false",
            "draft",
            "published",
            "scheduled",
            "closed",
            "submitted",
            "in_progress",
            "expired",
            "disqualified",
            "after_close",
            "immediate",
            "perfect_scorers",
            "participants",
            "first_perfect",
            "best",
            "first",
            "last",
            "prediction_error",
            "duration",
            "submitted_at",
            "participation_rate",
            "average_score",
            "auth",
            "login",
            "logout",
            "member",
            "organiser",
            "judge",
            "admin",
            "round",
            "contest",
            "attempt",
            "essay",
            "unit",
            "topic",
            "question",
            "None",
            "null",
            "undefined",
            "True",
            "False",
            "README",
            "Traceback",
            "Error",
            "error",
            "page",
            "of",
        )
    )
    + r")\b"
)
# pages that serve files or act, not pages to read
SKIP = re.compile(r"/(logout|lang/|export\.|template\.|qr\.|docs|api/)|\.(csv|xlsx|pdf|png|svg)(\?|$)")
ACCOUNTS = {"member": "0900000100", "organiser": "0900000002", "judge": "0900000003", "admin": "0900000001"}
MAX_PAGES = 120  # per role: every kind of page is reached well before this


class _Page(HTMLParser):
    """Visible text (no script, style or attribute values) and same-site links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "textarea"):
            self._hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith("/") and not href.startswith("//"):
            self.links.append(href.split("#")[0])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "textarea") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def _user_text(html: str) -> set[str]:
    """What people typed, shown on the page (names, question texts): the demo writes it in Vietnamese, but
    a member's name could hold any word, so leaks are looked for outside form values only."""
    return set(re.findall(r'value="([^"]*)"', html))


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_page_a_role_reaches_is_vietnamese(demo_app, role):
    with TestClient(demo_app) as client:
        assert page_login(client, ACCOUNTS[role], demo.DEMO_PASSWORD).status_code == 303
        seen: set[str] = set()
        queue = deque(["/"])
        leaks: list[str] = []
        while queue and len(seen) < MAX_PAGES:
            url = queue.popleft()
            if url in seen or SKIP.search(url):
                continue
            seen.add(url)
            r = client.get(url)
            assert r.status_code < 500, f"{url}: {r.status_code}"
            if "text/html" not in r.headers.get("content-type", "") or r.status_code >= 400:
                continue
            page = _Page()
            page.feed(r.text)
            text = " ".join(" ".join(page.text).split())
            for match in LEAKS.finditer(text):
                leaks.append(f"{url}: …{text[max(0, match.start() - 40) : match.end() + 40]}…")
            # one page of each kind is enough: /rounds/7/board and /rounds/8/board are the same template
            for link in page.links:
                kind = re.sub(r"\d+", "N", link.split("?")[0])
                if link not in seen and sum(1 for s in seen if re.sub(r"\d+", "N", s.split("?")[0]) == kind) < 2:
                    queue.append(link)
        assert len(seen) > 5, seen
        assert not leaks, "\n".join(leaks[:30])
