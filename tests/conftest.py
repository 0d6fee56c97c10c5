"""Every database test runs twice: on a real SQLite file and on a fresh PostgreSQL database.

With CI=true a PostgreSQL that cannot be reached is a failure, not a skip (tests/databases.py).

The tests are grouped by the domain they test (tests/org, bank, contests, quiz, results, essays; tests/kit
for app/services/kit; tests/platform for what crosses them), each folder with its own conftest.py. The
fixtures here and the plugins under tests/fixtures/ serve every folder; helpers live in plain modules
(tests/factories.py, tests/pagehelpers.py, tests/<domain>/helpers.py) and never in a test module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from app.config import Settings
from app.main import create_app
from app.services import migrate
from tests.databases import TEST_SECRET, create_pg_database, drop_pg_database

pytest_plugins = [
    # fixtures that tests of several domains use; a domain's own fixtures are in its folder's conftest.py
    "tests.fixtures.browser",  # live_server, browser, page, shot: the browser tests (test_e2e_*.py)
    "tests.fixtures.org",  # api_tokens
    "tests.fixtures.quiz",  # quiz_world
    "tests.fixtures.results",  # results_arena
    "tests.fixtures.push",  # push_service: a local push endpoint that decrypts what it gets
]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "hoithi-test.db"
        yield f"sqlite:///{path}"
        return
    name, url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url, secret_key=TEST_SECRET, insecure_cookies=True, data_dir=tmp_path_factory.mktemp("data"), _env_file=None
    )


@pytest.fixture(scope="session")
def app(settings: Settings):
    application = create_app(settings)
    migrate.upgrade(application.state.engine)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def engine(app) -> Iterator[Engine]:
    eng: Engine = app.state.engine
    yield eng
    _wipe(eng)


def _wipe(eng: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with eng.begin() as conn:
        if eng.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def client(app, engine) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture(autouse=True)
def _member_word_restored() -> Iterator[None]:
    """An app that starts (its lifespan) sets this process's word for members from the top unit's kind
    (app.i18n.set_member_term): after the demo data's Đảng bộ every page says "đảng viên". Put the word back
    after each test, so that no test's outcome depends on which tests ran before it."""
    from app import i18n

    word = i18n.member_term()
    yield
    i18n.set_member_term(next(key for key, term in i18n.MEMBER_TERMS.items() if term == word))


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(__file__).resolve().parents[1] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory):
    """An app over its own SQLite file holding the demo data (what `make run` shows), for tests that walk or
    fuzz it as a whole; made once per run."""
    from app.db import make_engine, session_scope
    from app.demo import data as demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo_settings = Settings(
        database_url=f"sqlite:///{path}",
        secret_key=TEST_SECRET,
        insecure_cookies=True,
        data_dir=path.parent,
        sweep_every_s=0,
        _env_file=None,
    )
    engine = make_engine(demo_settings)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        demo.load(session=session, secret=TEST_SECRET)
    engine.dispose()
    application = create_app(demo_settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def fastapi_solved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of each request whose dependencies FastAPI solved: a request a direct route answered
    (app.routers.base.direct) is not in it."""
    import fastapi.routing

    solved: list[str] = []
    real = fastapi.routing.solve_dependencies

    async def counted(*, request, **kwargs):  # type: ignore[no-untyped-def]
        solved.append(request.url.path)
        return await real(request=request, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    return solved
