"""routers.base.Router: a path is refused at once by a router none of whose routes begins with its segment, and
the routes' version FastAPI checks at every match is counted again only when a route is added."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.routers.base import include_by_segment, make_router


def _tree() -> tuple[FastAPI, object, object]:
    app = FastAPI()
    outer, inner = make_router(prefix="/api/v1"), make_router()

    @inner.get("/rounds/{n}")
    def round_(n: int) -> dict[str, int]:
        return {"round": n}

    include_by_segment(outer, inner)
    include_by_segment(app, outer)
    return app, outer, inner


def test_routes_are_found_through_nested_routers_and_others_refused():
    app, _outer, _inner = _tree()
    with TestClient(app) as client:
        assert client.get("/api/v1/rounds/3").json() == {"round": 3}
        assert client.get("/api/v1/units/3").status_code == 404  # no route of the inner router begins with "units"
        assert client.get("/rounds/3").status_code == 404


def test_a_route_added_after_requests_is_found():
    app, _outer, inner = _tree()
    with TestClient(app) as client:
        assert client.get("/api/v1/rounds/3").status_code == 200
        assert client.get("/api/v1/rounds/3/board").status_code == 404

        @inner.get("/rounds/{n}/board")  # after the versions were counted for the requests above
        def board(n: int) -> dict[str, str]:
            return {"board": str(n)}

        assert client.get("/api/v1/rounds/3/board").json() == {"board": "3"}
        assert client.get("/api/v1/rounds/4").json() == {"round": 4}
