"""The results domain's JSON API, one module a part; the boards first (asked for by thousands at once)."""

from app.routers.api.results import boards, judging, participation, public
from app.routers.base import make_router

router = make_router()
for part in (boards, judging, participation, public):
    router.include_router(part.router)
