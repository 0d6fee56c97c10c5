from app.routers.api import bank, contests, essays, live, org, quiz, results
from app.routers.base import make_router

router = make_router(prefix="/api/v1")
# Routes are tried in order: answer saves and the boards, asked for by thousands at once, first; no two
# routers share a path, so the order changes nothing else.
router.include_router(quiz.router)
router.include_router(results.router)
router.include_router(org.router)
router.include_router(bank.router)
router.include_router(contests.router)
router.include_router(essays.router)
router.include_router(live.router)
