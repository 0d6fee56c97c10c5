from app.routers.api import attempts, auth, bank, contests, essays, judging, member_import, members, org, question_import, standings
from app.routers.base import make_router

router = make_router(prefix="/api/v1")
# Routes are tried in order: answer saves and the boards, asked for by thousands at once, first; no two
# routers share a path, so the order changes nothing else.
router.include_router(attempts.router)
router.include_router(standings.router)
router.include_router(auth.router)
router.include_router(org.router)
router.include_router(members.router)
router.include_router(member_import.router)
router.include_router(bank.router)
router.include_router(contests.router)
router.include_router(question_import.router)
router.include_router(judging.router)
router.include_router(essays.router)
