from app.routers.base import include_at_root, make_router
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
# Routes are tried in order: what thousands of phones ask for in the same minutes (the boards, the quiz)
# first; no two routers share a path, so the order changes nothing else. Each skips at once a path whose
# first segment none of its routes has (include_at_root).
include_at_root(router, boards.router)
include_at_root(router, quiz.router)
include_at_root(router, auth.router)
include_at_root(router, home.router)
include_at_root(router, org_units.router)
include_at_root(router, org_import.router)
include_at_root(router, org_members.router)
include_at_root(router, bank.router)
include_at_root(router, study.router)
include_at_root(router, contests.router)
include_at_root(router, judging.router)
include_at_root(router, audit_log.router)
include_at_root(router, essay_campaigns.router)
include_at_root(router, essays.router)
