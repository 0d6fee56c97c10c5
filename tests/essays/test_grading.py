"""Grading essays: rubric arithmetic, two judges averaged, disagreement flagged, one grade per judge (updated, not
doubled, and kept so by the database), judges' scope, the queue, and the weighted score for a linked contest."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditEntry, Role
from app.models.essays import EssayGrade
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays
from app.services.essays import grading as essay_grading
from app.services.essays.schemas import EssayCampaignUpdate
from tests.essays.test_essays import WORDS, World, draft, submit, world  # noqa: F401  (the fixture)
from tests.factories import actor, make_member


@pytest.fixture
def graded(world):  # noqa: F811
    t = world.tree
    judges = [
        make_member(world.session, t.root, roles=((Role.judge, t.root),)),
        make_member(world.session, t.a, roles=((Role.judge, t.a),)),
        make_member(world.session, t.b, roles=((Role.judge, t.b),)),
    ]
    draft(world, world.member, WORDS)
    essay = submit(world, world.member)
    return world, judges, essay


def give(world: World, judge, essay_id: int, noi_dung: float, giai_phap: float, trinh_bay: float, comment: str = ""):  # noqa: F811
    g = essay_grading.grade(
        session=world.session,
        actor=actor(world.session, judge),
        essay_id=essay_id,
        scores={"noi_dung": noi_dung, "giai_phap": giai_phap, "trinh_bay": trinh_bay},
        comment=comment,
    )
    world.session.commit()
    return g


def test_two_judges_are_averaged_and_a_large_gap_is_flagged(graded):
    w, (j1, j2, _jb), essay = graded
    first = give(w, j1, essay.id, 50, 25.5, 8, "Bài viết sâu sắc")
    assert first.total == 83.5
    w.session.refresh(essay)
    assert (essay.score, essay.grade_count, essay.disagreement) == (83.5, 1, False)
    give(w, j2, essay.id, 40, 20, 7)  # 67: 16.5 apart, within 20% of 100
    w.session.refresh(essay)
    assert (essay.score, essay.grade_count, essay.disagreement) == (75.25, 2, False)
    give(w, j2, essay.id, 30, 20, 7)  # updated to 57: 26.5 apart, more than 20
    w.session.refresh(essay)
    assert (essay.score, essay.grade_count, essay.disagreement) == (70.25, 2, True)
    assert len(w.session.exec(select(EssayGrade).where(EssayGrade.essay_id == essay.id)).all()) == 2
    audit = w.session.exec(select(AuditEntry).where(AuditEntry.action == "essay.grade").order_by(AuditEntry.id)).all()
    assert len(audit) == 3 and audit[-1].detail["before"]["total"] == 67 and audit[-1].detail["total"] == 57
    # the threshold is a campaign setting
    essay_campaigns.update(
        session=w.session, actor=actor(w.session, w.org), campaign_id=w.campaign.id, data=EssayCampaignUpdate(disagreement_share=0.3)
    )
    give(w, j1, essay.id, 50, 25.5, 8)
    w.session.refresh(essay)
    assert essay.disagreement is False
    assert essay_grading.disagree(w.campaign, [10, 40.1]) and not essay_grading.disagree(w.campaign, [10, 40])


def test_points_must_be_within_each_criterions_range(graded):
    w, (j1, _j2, _jb), essay = graded
    for scores, field in (
        ({"noi_dung": 61, "giai_phap": 0, "trinh_bay": 0}, "scores.noi_dung"),
        ({"noi_dung": -1, "giai_phap": 0, "trinh_bay": 0}, "scores.noi_dung"),
        ({"noi_dung": 1, "giai_phap": 0}, "scores.trinh_bay"),
        ({"noi_dung": 1, "giai_phap": 0, "trinh_bay": 0, "la": 1}, "scores.la"),
        ({"noi_dung": float("nan"), "giai_phap": 0, "trinh_bay": 0}, "scores.noi_dung"),
    ):
        with pytest.raises(Invalid) as err:
            essay_grading.grade(session=w.session, actor=actor(w.session, j1), essay_id=essay.id, scores=scores, comment="")
        assert err.value.field == field
    w.session.rollback()
    assert give(w, j1, essay.id, 60, 30, 10).total == 100 and give(w, j1, essay.id, 0, 0, 0).total == 0


def test_scope_of_judges_the_number_of_graders_and_what_can_be_graded(graded):
    w, (j1, j2, jb), essay = graded
    with pytest.raises(NotFound):
        give(w, jb, essay.id, 1, 1, 1)  # a judge of another branch
    with pytest.raises(NotFound):
        give(w, w.cell_org, essay.id, 1, 1, 1)  # an organiser is no judge
    give(w, j1, essay.id, 1, 1, 1)
    give(w, j2, essay.id, 1, 1, 1)
    third = make_member(w.session, w.tree.root, roles=((Role.judge, w.tree.root),))
    with pytest.raises(Conflict):
        give(w, third, essay.id, 1, 1, 1)
    # a graded essay is frozen for its author, and the cell cannot return it any more
    with pytest.raises(Conflict):
        draft(w, w.member, WORDS + "sửa")
    with pytest.raises(Conflict):
        essays.review(session=w.session, actor=actor(w.session, w.cell_org), essay_id=essay.id, action="returned", comment="Sửa lại")
    # nor can the rubric change once grading has started
    with pytest.raises(Conflict):
        essay_campaigns.update(
            session=w.session,
            actor=actor(w.session, w.org),
            campaign_id=w.campaign.id,
            data=EssayCampaignUpdate(rubric=[{"label": "Một", "max_points": 10}]),
        )
    # judges do not grade their own essay
    judging_member = make_member(w.session, w.tree.a1, roles=((Role.judge, w.tree.a1),))
    draft(w, judging_member, WORDS)
    own = submit(w, judging_member)
    with pytest.raises(Forbidden):
        give(w, judging_member, own.id, 1, 1, 1)


def test_one_grade_per_judge_and_essay_in_the_database(graded):
    w, (j1, _j2, _jb), essay = graded
    give(w, j1, essay.id, 1, 1, 1)
    w.session.add(EssayGrade(essay_id=essay.id, judge_id=j1.id, scores={}, total=0))
    with pytest.raises(IntegrityError):
        w.session.commit()
    w.session.rollback()


def test_a_returned_essay_is_not_graded_until_handed_in_again(graded):
    w, (j1, _j2, _jb), essay = graded
    essays.review(session=w.session, actor=actor(w.session, w.cell_org), essay_id=essay.id, action="returned", comment="Thiếu giải pháp")
    w.session.commit()
    with pytest.raises(Conflict):
        give(w, j1, essay.id, 1, 1, 1)


def test_the_queue_shows_what_is_left_to_grade(graded):
    w, (j1, j2, jb), essay = graded
    other = make_member(w.session, w.tree.b1, full_name="Phạm Văn Đức")
    draft(w, other, WORDS)
    far = submit(w, other)
    q = essay_grading.queue(session=w.session, actor=actor(w.session, j1), campaign_id=w.campaign.id)
    assert {r.essay.id for r in q.rows} == {essay.id, far.id} and q.todo == 2
    assert {r.essay.id for r in essay_grading.queue(session=w.session, actor=actor(w.session, jb), campaign_id=w.campaign.id).rows} == {
        far.id
    }
    give(w, j1, essay.id, 60, 30, 10)
    give(w, j2, essay.id, 20, 10, 5)
    q = essay_grading.queue(session=w.session, actor=actor(w.session, j1), campaign_id=w.campaign.id)
    assert [r.essay.id for r in q.rows] == [far.id] and q.flagged == 1
    flagged = essay_grading.queue(session=w.session, actor=actor(w.session, j1), campaign_id=w.campaign.id, show="flagged")
    assert [(r.essay.id, r.mine) for r in flagged.rows] == [(essay.id, True)]
    with pytest.raises(NotFound):  # a member with no judge role has no queue
        essay_grading.queue(session=w.session, actor=actor(w.session, w.member), campaign_id=w.campaign.id)


def test_the_weighted_essay_score_for_a_linked_contest(graded, session):
    from app.models import Contest

    w, (j1, j2, _jb), essay = graded
    org = actor(session, w.org)
    contest = Contest(title="Cuộc thi", scope_unit_id=w.tree.root.id, slug="abcdefg")
    session.add(contest)
    session.commit()
    assert essay_grading.weighted_scores(session=session, campaign=w.campaign) == {}
    essay_campaigns.update(
        session=session, actor=org, campaign_id=w.campaign.id, data=EssayCampaignUpdate(contest_id=contest.id, contest_weight=0.2)
    )
    give(w, j1, essay.id, 50, 20, 10)
    give(w, j2, essay.id, 40, 20, 10)
    assert essay_grading.weighted_scores(session=session, campaign=w.campaign) == {w.member.id: 15.0}
    assert essay_grading.contest_essay_points(session=session, contest_id=contest.id) == {w.member.id: 15.0}
    with pytest.raises(Invalid):
        essay_campaigns.update(session=session, actor=org, campaign_id=w.campaign.id, data=EssayCampaignUpdate(contest_weight=0))
    # the XLSX summary carries the weighted score in its own column
    import io

    from openpyxl import load_workbook

    from app.services.essays import exports as essay_exports

    out = essay_exports.export(session=session, actor=org, campaign_id=w.campaign.id, fmt="xlsx")
    try:
        with open(out.path, "rb") as fh:
            rows = list(load_workbook(io.BytesIO(fh.read()))["Bài thu hoạch"].values)
    finally:
        import os

        os.unlink(out.path)
    assert rows[0][-1] == "Điểm cộng vào cuộc thi (× 0.2)" and rows[1][-1] == 15.0
    assert rows[1][9:12] == (2, "80; 70", 75.0)
