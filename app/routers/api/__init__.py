from app.routers.api import bank, contests, essays, live, org, quiz, results
from app.routers.base import API, include_by_segment, make_router

router = make_router(prefix=API)
# Routes are tried in order: answer saves and the boards, asked for by thousands at once, first; no two
# routers share a path, so the order changes nothing else. Each skips at once a path whose third segment
# none of its routes has (include_by_segment).
include_by_segment(router, quiz.router)
include_by_segment(router, results.router)
include_by_segment(router, org.router)
include_by_segment(router, bank.router)
include_by_segment(router, contests.router)
include_by_segment(router, essays.router)
include_by_segment(router, live.router)

DIRECT = [*quiz.DIRECT, *org.DIRECT]
