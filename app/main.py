"""create_app(): routers, error handlers, static files. `app.main:app` is the ASGI app."""

from __future__ import annotations

import asyncio
import gc
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.trustedhost import TrustedHostMiddleware
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import openapi, sweeper
from app.compression import FastGZipMiddleware
from app.config import Settings, get_settings
from app.db import make_engine, on_commit
from app.db_loop import dispose_loop_reader, loop_reader
from app.errors import AppError
from app.errors_http import (
    handle_app_error,
    handle_http_error,
    handle_integrity_error,
    handle_too_deep,
    handle_validation_error,
)
from app.http_guard import HttpGuard
from app.services.kit import push
from app.services.live import answers, hub
from app.services.org import principals
from app.services.quiz import taps
from app.services.results import board_cache, reminders
from app.shared_page import GZIP_MIN_BYTES

STATIC_DIR = Path(__file__).parent / "static"


def _static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class CachedStatic(StaticFiles):
    """Static files are fetched with ?v=<content hash>, so phones may keep them for a year."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # As many threads as database connections: more only queue on the pool (docs/performance.md#threads-and-garbage-collection).
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.threads
    # Rare collections, and what exists after start-up left out of them: full collections over the full
    # caches stalled answer saves (docs/performance.md#threads-and-garbage-collection).
    gc.set_threshold(50_000, 20, 100)
    await anyio.to_thread.run_sync(_resolve_member_term, app)
    gc.freeze()
    tasks = []
    settings = app.state.settings
    if settings.sweep_every_s > 0:
        state = app.state

        def remind() -> int:
            def send(send_id: int, targets: list[reminders.Target], message: dict[str, str]) -> None:
                reminders.in_own_process(settings, send_id, targets, message, settings.push_contact)

            return reminders.auto_once(engine=state.engine, send=send, base_url=settings.public_url or "")

        tasks.append(asyncio.create_task(sweeper.run_forever(state.engine, settings.sweep_every_s, settings.live_every_s, remind)))
    if settings.auth_cache_s > 0:
        tasks.append(asyncio.create_task(principals.watch(app.state.engine, app.state.principals)))
    tasks.append(asyncio.create_task(app.state.live.run()))  # live games' changes from the other workers
    yield
    for task in tasks:
        task.cancel()
    await dispose_loop_reader(app.state.loop_reader)


def _resolve_member_term(app: FastAPI) -> None:
    """The organisation's word for its members, for this process (a change of the top unit's kind is seen at
    the next start)."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from app import i18n
    from app.services.org import units

    key = app.state.settings.member_term
    if key == "auto":
        try:
            with Session(app.state.engine) as session:
                key = units.member_term_key(session=session)
        except SQLAlchemyError:  # no schema yet: the default word until the next start
            key = "hoi_vien"
    i18n.set_member_term(key)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="hoithi",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
        # hoithi sends no OpenTelemetry; FastAPI would otherwise look for OTel providers at every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.loop_reader = loop_reader(app.state.engine, block={"block": True, "wait": False}.get(settings.pg_loop_reads))
    app.state.secret = settings.resolved_secret_key()
    app.state.static_version = _static_version()
    # The per-process caches and the tap writer: made here, reached through app.state, told of this
    # worker's own commits through db.on_commit (other workers' within their ttl, or the member feed).
    app.state.principals = principals.PrincipalCache(settings.auth_cache_s, settings.auth_max_age_s)
    on_commit(app.state.engine, principals.CHANGED_MEMBERS, app.state.principals.forget)
    app.state.boards = board_cache.BoardCache(settings.board_cache_s)
    board_cache.watch_commits(app.state.engine, app.state.boards)
    app.state.taps = taps.TapWriter(app.state.engine)
    app.state.live = hub.Hub(app.state.engine)
    app.state.live_answers = answers.AnswerWriter(app.state.engine)
    hub.wire(app.state.engine, app.state.live)
    app.state.vapid = push.vapid(settings.resolved_data_dir())  # the Web Push key pair, made once per data dir
    app.state.push_key = push.public_key(app.state.vapid)  # what home hands every phone: encoded once

    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(IntegrityError, handle_integrity_error)
    app.add_exception_handler(RecursionError, handle_too_deep)

    # Phones on 3G; small bodies (most API answers) cost more to compress than they save
    # (docs/performance.md#compression-and-static-files).
    app.add_middleware(FastGZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    if settings.allowed_host_list:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_host_list)
    app.add_middleware(HttpGuard, secure_cookies=not settings.insecure_cookies)  # outermost: before any body

    from app.routers import api, pages
    from app.routers.base import include_by_segment

    app.router.routes[:0] = [*pages.DIRECT, *api.DIRECT]  # before every other route (docs/performance.md#direct-routes)
    include_by_segment(app, api.router)  # a page request skips the API's routes at once
    app.include_router(pages.router)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    _offline_docs(app)
    app.openapi = lambda: openapi.build(app)  # type: ignore[method-assign]
    return app


def _offline_docs(app: FastAPI) -> None:
    """/docs from assets served here: offices and test rooms are often offline, and a CDN is one more host
    to trust with the organisers' tokens."""
    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-assets", CachedStatic(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "",
            title="hoithi API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )


def __getattr__(name: str) -> FastAPI:
    # `app.main:app` builds the app on first access, so importing this module has no side effects.
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)
