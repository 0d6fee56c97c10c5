"""Grading essays: rubric arithmetic, two judges averaged, disagreement flagged, one grade per judge (updated, not
doubled, and kept so by the database), judges' scope, the queue, and the weighted score for a linked contest."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditEntry, Member, Role
from app.models.essays import Essay, EssayGrade
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays
from app.services.essays import grading as essay_grading
from app.services.essays.schemas import EssayCampaignUpdate
from tests.essays.helpers import WORDS, EssayWorld, draft, submit
from tests.factories import actor, make_member


@dataclass(frozen=True)
class Graded:
    judge_root: Member  # judge of the whole tree
    judge_a: Member  # judge of branch A, the writer's
    judge_b: Member  # judge of branch B
    essay: Essay  # the member's, handed in


@pytest.fixture
def graded(essay_world: EssayWorld) -> Graded:
    """essay_world's member has handed in an essay, and three judges are appointed."""
    t = essay_world.tree
    judge_root = make_member(essay_world.session, t.root, roles=((Role.judge, t.root),))
    judge_a = make_member(essay_world.session, t.a, roles=((Role.judge, t.a),))
    judge_b = make_member(essay_world.session, t.b, roles=((Role.judge, t.b),))
    draft(essay_world, essay_world.member, WORDS)
    essay = submit(essay_world, essay_world.member)
    return Graded(judge_root=judge_root, judge_a=judge_a, judge_b=judge_b, essay=essay)


def give(world: EssayWorld, judge, essay_id: int, noi_dung: float, giai_phap: float, trinh_bay: float, comment: str = ""):
    g = essay_grading.grade(
        session=world.session,
        actor=actor(world.session, judge),
        essay_id=essay_id,
        scores={"noi_dung": noi_dung, "giai_phap": giai_phap, "trinh_bay": trinh_bay},
        comment=comment,
    )
    world.session.commit()
    return g


def test_two_judges_are_averaged_and_a_large_gap_is_flagged(essay_world, graded):
    first = give(essay_world, graded.judge_root, graded.essay.id, 50, 25.5, 8, "Bài viết sâu sắc")
    assert first.total == 83.5
    essay_world.session.refresh(graded.essay)
    assert (graded.essay.score, graded.essay.grade_count, graded.essay.disagreement) == (83.5, 1, False)
    give(essay_world, graded.judge_a, graded.essay.id, 40, 20, 7)  # 67: 16.5 apart, within 20% of 100
    essay_world.session.refresh(graded.essay)
    assert (graded.essay.score, graded.essay.grade_count, graded.essay.disagreement) == (75.25, 2, False)
    give(essay_world, graded.judge_a, graded.essay.id, 30, 20, 7)  # updated to 57: 26.5 apart, more than 20
    essay_world.session.refresh(graded.essay)
    assert (graded.essay.score, graded.essay.grade_count, graded.essay.disagreement) == (70.25, 2, True)
    assert len(essay_world.session.exec(select(EssayGrade).where(EssayGrade.essay_id == graded.essay.id)).all()) == 2
    audit = essay_world.session.exec(select(AuditEntry).where(AuditEntry.action == "essay.grade").order_by(AuditEntry.id)).all()
    assert len(audit) == 3 and audit[-1].detail["before"]["total"] == 67 and audit[-1].detail["total"] == 57
    # the threshold is a campaign setting
    essay_campaigns.update(
        session=essay_world.session,
        actor=actor(essay_world.session, essay_world.org),
        campaign_id=essay_world.campaign.id,
        data=EssayCampaignUpdate(disagreement_share=0.3),
    )
    give(essay_world, graded.judge_root, graded.essay.id, 50, 25.5, 8)
    essay_world.session.refresh(graded.essay)
    assert graded.essay.disagreement is False
    assert essay_grading.disagree(essay_world.campaign, [10, 40.1]) and not essay_grading.disagree(essay_world.campaign, [10, 40])


def test_points_must_be_within_each_criterions_range(essay_world, graded):
    for scores, field in (
        ({"noi_dung": 61, "giai_phap": 0, "trinh_bay": 0}, "scores.noi_dung"),
        ({"noi_dung": -1, "giai_phap": 0, "trinh_bay": 0}, "scores.noi_dung"),
        ({"noi_dung": 1, "giai_phap": 0}, "scores.trinh_bay"),
        ({"noi_dung": 1, "giai_phap": 0, "trinh_bay": 0, "la": 1}, "scores.la"),
        ({"noi_dung": float("nan"), "giai_phap": 0, "trinh_bay": 0}, "scores.noi_dung"),
    ):
        with pytest.raises(Invalid) as err:
            essay_grading.grade(
                session=essay_world.session,
                actor=actor(essay_world.session, graded.judge_root),
                essay_id=graded.essay.id,
                scores=scores,
                comment="",
            )
        assert err.value.field == field
    essay_world.session.rollback()
    assert (
        give(essay_world, graded.judge_root, graded.essay.id, 60, 30, 10).total == 100
        and give(essay_world, graded.judge_root, graded.essay.id, 0, 0, 0).total == 0
    )


def test_scope_of_judges_the_number_of_graders_and_what_can_be_graded(essay_world, graded):
    with pytest.raises(NotFound):
        give(essay_world, graded.judge_b, graded.essay.id, 1, 1, 1)  # a judge of another branch
    with pytest.raises(NotFound):
        give(essay_world, essay_world.cell_org, graded.essay.id, 1, 1, 1)  # an organiser is no judge
    give(essay_world, graded.judge_root, graded.essay.id, 1, 1, 1)
    give(essay_world, graded.judge_a, graded.essay.id, 1, 1, 1)
    third = make_member(essay_world.session, essay_world.tree.root, roles=((Role.judge, essay_world.tree.root),))
    with pytest.raises(Conflict):
        give(essay_world, third, graded.essay.id, 1, 1, 1)
    # a graded essay is frozen for its author, and the cell cannot return it any more
    with pytest.raises(Conflict):
        draft(essay_world, essay_world.member, WORDS + "sửa")
    with pytest.raises(Conflict):
        essays.review(
            session=essay_world.session,
            actor=actor(essay_world.session, essay_world.cell_org),
            essay_id=graded.essay.id,
            action="returned",
            comment="Sửa lại",
        )
    # nor can the rubric change once grading has started
    with pytest.raises(Conflict):
        essay_campaigns.update(
            session=essay_world.session,
            actor=actor(essay_world.session, essay_world.org),
            campaign_id=essay_world.campaign.id,
            data=EssayCampaignUpdate(rubric=[{"label": "Một", "max_points": 10}]),
        )
    # judges do not grade their own essay
    judging_member = make_member(essay_world.session, essay_world.tree.a1, roles=((Role.judge, essay_world.tree.a1),))
    draft(essay_world, judging_member, WORDS)
    own = submit(essay_world, judging_member)
    with pytest.raises(Forbidden):
        give(essay_world, judging_member, own.id, 1, 1, 1)


def test_one_grade_per_judge_and_essay_in_the_database(essay_world, graded):
    give(essay_world, graded.judge_root, graded.essay.id, 1, 1, 1)
    essay_world.session.add(EssayGrade(essay_id=graded.essay.id, judge_id=graded.judge_root.id, scores={}, total=0))
    with pytest.raises(IntegrityError):
        essay_world.session.commit()
    essay_world.session.rollback()


def test_a_returned_essay_is_not_graded_until_handed_in_again(essay_world, graded):
    essays.review(
        session=essay_world.session,
        actor=actor(essay_world.session, essay_world.cell_org),
        essay_id=graded.essay.id,
        action="returned",
        comment="Thiếu giải pháp",
    )
    essay_world.session.commit()
    with pytest.raises(Conflict):
        give(essay_world, graded.judge_root, graded.essay.id, 1, 1, 1)


def test_the_queue_shows_what_is_left_to_grade(essay_world, graded):
    other = make_member(essay_world.session, essay_world.tree.b1, full_name="Phạm Văn Đức")
    draft(essay_world, other, WORDS)
    far = submit(essay_world, other)
    q = essay_grading.queue(
        session=essay_world.session, actor=actor(essay_world.session, graded.judge_root), campaign_id=essay_world.campaign.id
    )
    assert {r.essay.id for r in q.rows} == {graded.essay.id, far.id} and q.todo == 2
    assert {
        r.essay.id
        for r in essay_grading.queue(
            session=essay_world.session, actor=actor(essay_world.session, graded.judge_b), campaign_id=essay_world.campaign.id
        ).rows
    } == {far.id}
    give(essay_world, graded.judge_root, graded.essay.id, 60, 30, 10)
    give(essay_world, graded.judge_a, graded.essay.id, 20, 10, 5)
    q = essay_grading.queue(
        session=essay_world.session, actor=actor(essay_world.session, graded.judge_root), campaign_id=essay_world.campaign.id
    )
    assert [r.essay.id for r in q.rows] == [far.id] and q.flagged == 1
    flagged = essay_grading.queue(
        session=essay_world.session,
        actor=actor(essay_world.session, graded.judge_root),
        campaign_id=essay_world.campaign.id,
        show="flagged",
    )
    assert [(r.essay.id, r.mine) for r in flagged.rows] == [(graded.essay.id, True)]
    with pytest.raises(NotFound):  # a member with no judge role has no queue
        essay_grading.queue(
            session=essay_world.session, actor=actor(essay_world.session, essay_world.member), campaign_id=essay_world.campaign.id
        )


def test_the_weighted_essay_score_for_a_linked_contest(essay_world, graded, session):
    from app.models import Contest

    org = actor(session, essay_world.org)
    contest = Contest(title="Cuộc thi", scope_unit_id=essay_world.tree.root.id, slug="abcdefg")
    session.add(contest)
    session.commit()
    assert essay_grading.weighted_scores(session=session, campaign=essay_world.campaign) == {}
    essay_campaigns.update(
        session=session, actor=org, campaign_id=essay_world.campaign.id, data=EssayCampaignUpdate(contest_id=contest.id, contest_weight=0.2)
    )
    give(essay_world, graded.judge_root, graded.essay.id, 50, 20, 10)
    give(essay_world, graded.judge_a, graded.essay.id, 40, 20, 10)
    assert essay_grading.weighted_scores(session=session, campaign=essay_world.campaign) == {essay_world.member.id: 15.0}
    assert essay_grading.contest_essay_points(session=session, contest_id=contest.id) == {essay_world.member.id: 15.0}
    with pytest.raises(Invalid):
        essay_campaigns.update(session=session, actor=org, campaign_id=essay_world.campaign.id, data=EssayCampaignUpdate(contest_weight=0))
    # the XLSX summary carries the weighted score in its own column
    import io

    from openpyxl import load_workbook

    from app.services.essays import exports as essay_exports

    out = essay_exports.export(session=session, actor=org, campaign_id=essay_world.campaign.id, fmt="xlsx")
    try:
        with open(out.path, "rb") as fh:
            rows = list(load_workbook(io.BytesIO(fh.read()))["Bài thu hoạch"].values)
    finally:
        import os

        os.unlink(out.path)
    assert rows[0][-1] == "Điểm cộng vào cuộc thi (× 0.2)" and rows[1][-1] == 15.0
    assert rows[1][9:12] == (2, "80; 70", 75.0)
