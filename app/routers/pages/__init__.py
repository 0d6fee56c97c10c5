from app.routers.base import make_router
from app.routers.pages import (
    audit_log,
    auth,
    bank,
    boards,
    contests,
    essay_campaigns,
    essays,
    home,
    judging,
    org_import,
    org_members,
    org_units,
    quiz,
    study,
)

router = make_router(include_in_schema=False)
# Routes are tried in order: what thousands of phones ask for in the same minutes (the quiz, the boards)
# first; no two routers share a path, so the order changes nothing else.
router.include_router(quiz.router)
router.include_router(boards.router)
router.include_router(auth.router)
router.include_router(home.router)
router.include_router(org_units.router)
router.include_router(org_import.router)
router.include_router(org_members.router)
router.include_router(bank.router)
router.include_router(study.router)
router.include_router(contests.router)
router.include_router(judging.router)
router.include_router(audit_log.router)
router.include_router(essay_campaigns.router)
router.include_router(essays.router)
