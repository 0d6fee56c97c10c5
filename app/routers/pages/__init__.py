from app.routers.base import include_at_root, make_router
from app.routers.pages import contests, history, home, live, quiz
from app.routers.pages.bank import questions as bank_questions
from app.routers.pages.bank import study
from app.routers.pages.essays import campaigns as essay_campaigns
from app.routers.pages.essays import essays
from app.routers.pages.org import audit, auth, member_import, members, units
from app.routers.pages.results import boards, certificates, judging, participation, reminders, report, share, winners

router = make_router(include_in_schema=False)
# Routes are tried in order: what thousands of phones ask for in the same minutes (the boards, the quiz)
# first; no two routers share a path, so the order changes nothing else. Each skips at once a path whose
# first segment none of its routes has (include_at_root).
include_at_root(router, boards.router)
include_at_root(router, quiz.router)
include_at_root(router, auth.router)
include_at_root(router, home.router)
include_at_root(router, history.router)
include_at_root(router, units.router)
include_at_root(router, member_import.router)
include_at_root(router, members.router)
include_at_root(router, bank_questions.router)
include_at_root(router, study.router)
include_at_root(router, contests.router)
include_at_root(router, judging.router)
include_at_root(router, participation.router)
include_at_root(router, winners.router)
include_at_root(router, certificates.router)
include_at_root(router, share.router)
include_at_root(router, report.router)
include_at_root(router, reminders.router)
include_at_root(router, audit.router)
include_at_root(router, essay_campaigns.router)
include_at_root(router, essays.router)
include_at_root(router, live.router)
