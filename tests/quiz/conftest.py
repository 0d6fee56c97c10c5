"""The quiz's fixtures. The quiz world (quiz_world), which the results tests close and re-score too, is in
tests/fixtures/quiz.py; here is what only the quiz tests use."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import PHONE


@pytest.fixture
def page_without_js(browser, live_server, engine):
    """A phone's page like `page`, with JavaScript switched off: the plain form posts."""
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", base_url=live_server, java_script_enabled=False
    )
    pg = context.new_page()
    yield pg
    context.close()
