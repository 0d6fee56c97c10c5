from app.routers.base import include_by_segment, make_router
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
# first segment none of its routes has (include_by_segment).
include_by_segment(router, boards.router)
include_by_segment(router, quiz.router)
include_by_segment(router, auth.router)
include_by_segment(router, home.router)
include_by_segment(router, history.router)
include_by_segment(router, units.router)
include_by_segment(router, member_import.router)
include_by_segment(router, members.router)
include_by_segment(router, bank_questions.router)
include_by_segment(router, study.router)
include_by_segment(router, contests.router)
include_by_segment(router, judging.router)
include_by_segment(router, participation.router)
include_by_segment(router, winners.router)
include_by_segment(router, certificates.router)
include_by_segment(router, share.router)
include_by_segment(router, report.router)
include_by_segment(router, reminders.router)
include_by_segment(router, audit.router)
include_by_segment(router, essay_campaigns.router)
include_by_segment(router, essays.router)
include_by_segment(router, live.router)

# Matched before every other route of the app (routers.base.direct): home, the rules page, the start, the quiz
# page, its taps and prediction, the submit, the result page and a round's board.
DIRECT = [*home.DIRECT, *quiz.DIRECT, *boards.DIRECT]
