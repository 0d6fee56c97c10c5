"""The results tests' fixtures. The results arena (results_arena: two rounds to add finished attempts to and
rank), which the contest pages use too, is in tests/fixtures/results.py, and the quiz world these tests
close and re-score (quiz_world) in tests/fixtures/quiz.py; the board people are in tests/results/helpers.py.
The turnout world (who has taken part in a round) and the period world (the report for a period) are here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from app.models import Contest, Member, Prize, Round
from app.models.essays import Essay, EssayCampaign
from tests.factories import make_member
from tests.fixtures.results import ResultsArena, add, seal_first_round


@dataclass(frozen=True)
class Turnout:
    arena: ResultsArena
    people: dict[str, Member]


@pytest.fixture
def turnout_world(session: Session, results_arena: ResultsArena) -> Turnout:
    """Round 1 (week 1) of the arena. Declared headcounts (each unit's own): ROOT 100, A 40, A1 10, A2 20, B 30,
    B1 12; a subtree's is the sum: ROOT 212, A 70, B 42.
    A1: an (handed in), binh (time ran out: finalised), cuong (still in progress), dung (handed in, then
        deactivated). A2: em (two attempts, one handed in), giang (nothing), hai (handed in while in B1, then
        moved to A2). B1: khoa (nothing), lan (handed in for week 2 only). ROOT: the arena's organiser."""
    t, r1, r2 = results_arena.tree, results_arena.rounds[0], results_arena.rounds[1]
    names = {"an": t.a1, "binh": t.a1, "cuong": t.a1, "dung": t.a1, "em": t.a2, "giang": t.a2, "hai": t.b1, "khoa": t.b1, "lan": t.b1}
    people = {k: make_member(session, unit, full_name=f"Trần Thị {k.capitalize()}") for k, unit in names.items()}
    add(session, r1, people["an"], score=3)
    add(session, r1, people["binh"], score=2, status="expired")
    add(session, r1, people["cuong"], score=0, status="in_progress")
    add(session, r1, people["dung"], score=4)
    add(session, r1, people["em"], score=1)
    add(session, r1, people["em"], score=0, number=2, status="in_progress")
    add(session, r1, people["hai"], score=5)
    add(session, r2, people["lan"], score=5)
    people["dung"].active = False
    people["hai"].unit_id = t.a2.id
    session.commit()
    return Turnout(results_arena, people)


@dataclass(frozen=True)
class PeriodWorld:
    arena: ResultsArena
    people: dict[str, Member]
    root_org: Member  # organiser of ROOT
    ward_org: Member  # organiser of DB-A
    judge_b: Member  # judge of DB-B


def vn_time(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).astimezone(UTC)


def _round(session: Session, contest: Contest, position: int, title: str, closes_at: datetime) -> Round:
    r = Round(contest_id=contest.id, position=position, title=title, opens_at=closes_at - timedelta(days=5), closes_at=closes_at)
    session.add(r)
    session.flush()
    return r


def _prize(session: Session, r: Round, member: Member | None, unit_id: int) -> None:
    collective = member is None
    session.add(
        Prize(
            round_id=r.id,
            collective=collective,
            tier=1,
            tier_name="Giải Nhất",
            member_id=None if collective else member.id,
            unit_id=unit_id,
            rank=1,
        )
    )


def _campaign(session: Session, title: str, scope_id: int, deadline: datetime, essays: list[tuple[Member, str]]) -> None:
    c = EssayCampaign(title=title, scope_unit_id=scope_id, opens_at=deadline - timedelta(days=20), closes_at=deadline)
    session.add(c)
    session.flush()
    for member, status in essays:
        session.add(Essay(campaign_id=c.id, member_id=member.id, unit_id=member.unit_id, status=status))


@pytest.fixture
def period_world(session: Session, results_arena: ResultsArena) -> PeriodWorld:
    """Two contests and three essay campaigns over the arena's tree, at fixed dates around March 2026 (closing
    times in Vietnam). Declared headcounts: ROOT 100, DB-A 40, CB-A1 10, CB-A2 20, DB-B 30, CB-B1 12; a subtree's
    is the sum: ROOT 212, DB-A 70, DB-B 42. People: an, binh (CB-A1), cuc, giang (CB-A2), dao, em (CB-B1).
    "Tìm hiểu Nghị quyết" (the arena's, scope ROOT): Tuần 1 closes 01/03/2026 00:00: an, binh, cuc, dao took part,
        an won its only prize; Tuần 2 closes 01/04/2026 00:30: an, cuc, dao; cuc won a prize.
    "Tìm hiểu lịch sử Đảng bộ phường" (scope DB-A): Đợt 0 closes 28/02/2026 23:59: an. Đợt 1 closes 31/03/2026
        23:30: an, cuc, giang; cuc won a prize, CB-A2 a collective one.
    "Cuộc thi còn nháp" (a draft, scope ROOT): a round closing 15/03/2026: an.
    Essay campaigns (deadline): "Thu hoạch Nghị quyết" scope ROOT, 25/03/2026: an handed in, binh's was accepted,
    cuc's is a draft, dao's was returned, em handed in. "Thu hoạch chi bộ A1" scope CB-A1, 05/04/2026: an.
    "Thu hoạch chi bộ B1" scope CB-B1, 05/03/2026: dao."""
    t = results_arena.tree
    homes = {"an": t.a1, "binh": t.a1, "cuc": t.a2, "giang": t.a2, "dao": t.b1, "em": t.b1}
    p = {k: make_member(session, u, full_name=f"Phạm Văn {k.capitalize()}") for k, u in homes.items()}
    week1, week2 = results_arena.rounds
    for k, score in (("an", 5), ("binh", 3), ("cuc", 2), ("dao", 1)):
        add(session, week1, p[k], score=score)
    for k in ("an", "cuc", "dao"):
        add(session, week2, p[k], score=4)
    session.commit()
    seal_first_round(session, results_arena, [("Giải Nhất", 1)])  # an's prize in Tuần 1
    week1.opens_at, week1.closes_at = vn_time(2026, 2, 24), vn_time(2026, 3, 1, 0, 0)
    week2.opens_at, week2.closes_at = vn_time(2026, 3, 25), vn_time(2026, 4, 1, 0, 30)
    _prize(session, week2, p["cuc"], t.a2.id)

    ward = Contest(title="Tìm hiểu lịch sử Đảng bộ phường", scope_unit_id=t.a.id, status="published", slug="lsdbp01")
    draft = Contest(title="Cuộc thi còn nháp", scope_unit_id=t.root.id, status="draft", slug="nhap001")
    session.add_all([ward, draft])
    session.flush()
    before = _round(session, ward, 1, "Đợt 0", vn_time(2026, 2, 28, 23, 59))
    last = _round(session, ward, 2, "Đợt 1", vn_time(2026, 3, 31, 23, 30))
    add(session, before, p["an"], score=3)
    for k in ("an", "cuc", "giang"):
        add(session, last, p[k], score=3)
    add(session, _round(session, draft, 1, "Tuần nháp", vn_time(2026, 3, 15)), p["an"], score=3)
    _prize(session, last, p["cuc"], t.a2.id)
    _prize(session, last, None, t.a2.id)

    handed = [(p["an"], "submitted"), (p["binh"], "reviewed"), (p["cuc"], "draft"), (p["dao"], "returned"), (p["em"], "submitted")]
    _campaign(session, "Thu hoạch Nghị quyết", t.root.id, vn_time(2026, 3, 25, 17), handed)
    _campaign(session, "Thu hoạch chi bộ A1", t.a1.id, vn_time(2026, 4, 5, 17), [(p["an"], "submitted")])
    _campaign(session, "Thu hoạch chi bộ B1", t.b1.id, vn_time(2026, 3, 5, 17), [(p["dao"], "submitted")])
    session.commit()
    return PeriodWorld(
        arena=results_arena,
        people=p,
        root_org=make_member(session, t.root, roles=(("organiser", t.root),)),
        ward_org=make_member(session, t.a, roles=(("organiser", t.a),)),
        judge_b=make_member(session, t.b, roles=(("judge", t.b),)),
    )
