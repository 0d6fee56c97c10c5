"""Essays (bài thu hoạch): the window, word limits, drafts kept apart from what was handed in, edits after
submitting, the cell's review and its scope, diacritic-insensitive search, one essay per member in the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.errors import Conflict, Invalid, NotFound
from app.models import AuditEntry, Member, Role
from app.models.essays import Essay, EssayCampaign
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays
from app.services.essays.schemas import CriterionIn, EssayCampaignCreate, EssayCampaignUpdate
from tests.factories import Tree, actor, make_member, make_tree

NOW = datetime.now(UTC).replace(microsecond=0)
WORDS = "Nghị quyết Đại hội đã chỉ rõ nhiệm vụ trọng tâm của chi bộ trong nhiệm kỳ. "  # 17 words


def words(n: int) -> str:
    return " ".join(["học"] * n)


@dataclass
class World:
    session: Session
    tree: Tree
    org: Member  # organiser of the whole tree
    cell_org: Member  # organiser of cell A1
    other_org: Member  # organiser of branch B
    member: Member  # writes, in A1
    campaign: EssayCampaign

    def new_campaign(self, **changes) -> EssayCampaign:
        return make_campaign(self.session, self.org, **changes)


def make_campaign(session: Session, org: Member, **changes) -> EssayCampaign:
    values = dict(
        title="Bài thu hoạch học tập Nghị quyết Đại hội",
        prompt="Viết về vấn đề bạn tâm đắc nhất.",
        topics=["Xây dựng Đảng", "Phát triển kinh tế"],
        scope_unit_code="ROOT",
        opens_at=NOW - timedelta(days=1),
        closes_at=NOW + timedelta(days=7),
        min_words=10,
        max_words=40,
        rubric=[
            CriterionIn(label="Nội dung", max_points=60),
            CriterionIn(label="Giải pháp", max_points=30),
            CriterionIn(key="trinh_bay", label="Trình bày", max_points=10),
        ],
    )
    values.update(changes)
    c = essay_campaigns.create(session=session, actor=actor(session, org), data=EssayCampaignCreate(**values))
    session.commit()
    return c


@pytest.fixture
def world(session) -> World:
    t = make_tree(session)
    org = make_member(session, t.root, roles=((Role.organiser, t.root),))
    cell_org = make_member(session, t.a1, roles=((Role.organiser, t.a1),))
    other_org = make_member(session, t.b, roles=((Role.organiser, t.b),))
    member = make_member(session, t.a1, full_name="Nguyễn Thị Ánh Tuyết")
    return World(session, t, org, cell_org, other_org, member, make_campaign(session, org))


def draft(w: World, who: Member, text: str, topic: str = "Xây dựng Đảng", now: datetime = NOW) -> Essay:
    e = essays.save_draft(session=w.session, actor=actor(w.session, who), campaign_id=w.campaign.id, topic=topic, text=text, now=now)
    w.session.commit()
    return e


def submit(w: World, who: Member, now: datetime = NOW, **kw) -> Essay:
    e = essays.submit(session=w.session, actor=actor(w.session, who), campaign_id=w.campaign.id, now=now, **kw)
    w.session.commit()
    return e


def test_campaign_settings_are_checked_and_the_rubric_gets_keys(world):
    c = world.campaign
    assert [r["key"] for r in c.rubric] == ["noi_dung", "giai_phap", "trinh_bay"]
    assert essay_campaigns.rubric_max(c) == 100
    assert c.opens_at.tzinfo is not None and essay_campaigns.state(c) == "open"
    for bad, field in (
        (dict(closes_at=NOW - timedelta(days=2)), "closes_at"),
        (dict(min_words=50), "min_words"),
        (dict(rubric=[]), "rubric"),
        (dict(scope_unit_code="NOPE"), "scope_unit_code"),
        (dict(rubric=[CriterionIn(label="A", max_points=0)]), "rubric"),
        (dict(contest_id=999_999, contest_weight=1), "contest_id"),
    ):
        with pytest.raises(Invalid) as err:
            world.new_campaign(**bad)
        assert err.value.field == field
    # naive times are Vietnamese wall-clock time
    local = world.new_campaign(opens_at=datetime(2026, 12, 1, 7, 0), closes_at=datetime(2026, 12, 8, 17, 0))
    assert local.opens_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    # an organiser of another branch cannot set one up for the whole tree, nor edit this one
    with pytest.raises(Exception) as err:
        make_campaign(world.session, world.other_org)
    assert err.value.status_code == 403
    with pytest.raises(NotFound):
        essay_campaigns.update(
            session=world.session,
            actor=actor(world.session, world.other_org),
            campaign_id=world.campaign.id,
            data=EssayCampaignUpdate(title="x"),
        )


def test_the_window_refuses_before_opening_and_after_the_deadline_in_vietnamese(world):
    c = world.campaign
    with pytest.raises(Conflict) as before:
        draft(world, world.member, WORDS, now=c.opens_at - timedelta(minutes=1))
    assert before.value.status_code == 409 and "chưa mở" in before.value.message
    draft(world, world.member, WORDS)
    with pytest.raises(Conflict) as late:
        submit(world, world.member, now=c.closes_at + timedelta(seconds=6))
    assert "hết hạn" in late.value.message and late.value.params["at"]
    submit(world, world.member, now=c.closes_at + timedelta(seconds=3))  # within the grace for latency


def test_word_limits_on_submit_while_drafts_may_be_any_length_up_to_the_cap(world):
    short = draft(world, world.member, words(9))
    assert short.draft_words == 9
    with pytest.raises(Invalid) as few:
        submit(world, world.member)
    assert few.value.params == {"n": 9, "min": 10} and few.value.field == "text"
    draft(world, world.member, words(41))  # longer than the limit: still kept as a draft
    with pytest.raises(Invalid) as many:
        submit(world, world.member)
    assert "vượt giới hạn" in many.value.message
    with pytest.raises(Invalid):
        draft(world, world.member, "a" * (essays.DRAFT_MAX_CHARS + 1))
    with pytest.raises(Invalid) as topic:
        draft(world, world.member, WORDS, topic="Chủ đề lạ")
    assert topic.value.field == "topic"
    done = submit(world, world.member, text=words(40), topic="Phát triển kinh tế")
    assert (done.status, done.word_count, done.topic, done.submit_count) == ("submitted", 40, "Phát triển kinh tế", 1)


def test_word_count_ignores_punctuation_and_normalises_text():
    assert essays.count_words("Nghị quyết — số 1 , tốt.\n\nĐoạn hai!") == 7
    decomposed = "Nghi\u0323 quyê\u0301t\r\n\r\n\r\nĐoạn\x07 hai   "
    text = essays.clean_text(decomposed)
    assert text == "Nghị quyết\n\n\nĐoạn hai" and essays.paragraphs(text) == ["Nghị quyết", "Đoạn hai"]


def test_a_draft_survives_a_reload_and_an_edit_after_submit_keeps_the_handed_in_copy(world):
    draft(world, world.member, WORDS + "Đoạn một.\n\nĐoạn hai.")
    mine = essays.my_essay(session=world.session, actor=actor(world.session, world.member), campaign_id=world.campaign.id)
    assert mine.draft_text == WORDS + "Đoạn một.\n\nĐoạn hai." and mine.draft_topic == "Xây dựng Đảng"
    assert mine.submitted_at is None and mine.can_edit
    submit(world, world.member)
    draft(world, world.member, WORDS + "Bản sửa chưa nộp.")
    mine = essays.my_essay(session=world.session, actor=actor(world.session, world.member), campaign_id=world.campaign.id)
    assert mine.unsubmitted_changes and mine.text.endswith("Đoạn hai.") and mine.status == "submitted"
    again = submit(world, world.member, now=NOW + timedelta(minutes=5))
    assert again.text.endswith("Bản sửa chưa nộp.") and again.submit_count == 2


def test_no_edit_after_submit_when_the_campaign_says_so_nor_after_the_deadline(world):
    world.campaign.allow_edit_after_submit = False
    world.session.add(world.campaign)
    world.session.commit()
    draft(world, world.member, WORDS)
    submit(world, world.member)
    with pytest.raises(Conflict) as locked:
        draft(world, world.member, WORDS + "thêm")
    assert "không cho sửa" in locked.value.message
    world.campaign.allow_edit_after_submit = True
    world.session.add(world.campaign)
    world.session.commit()
    draft(world, world.member, WORDS + "thêm")
    with pytest.raises(Conflict):
        draft(world, world.member, WORDS, now=world.campaign.closes_at + timedelta(minutes=1))


def test_the_cell_reviews_and_returns_and_the_member_resubmits(world):
    draft(world, world.member, WORDS)
    e = submit(world, world.member)
    cell = actor(world.session, world.cell_org)
    with pytest.raises(Invalid):
        essays.review(session=world.session, actor=cell, essay_id=e.id, action="returned", comment=" ")
    returned = essays.review(session=world.session, actor=cell, essay_id=e.id, action="returned", comment="Cần nêu giải pháp cụ thể hơn.")
    world.session.commit()
    assert returned.status == "returned"
    mine = essays.my_essay(session=world.session, actor=actor(world.session, world.member), campaign_id=world.campaign.id)
    assert mine.review_comment == "Cần nêu giải pháp cụ thể hơn." and mine.can_edit
    with pytest.raises(Conflict):  # nothing to review while the member is rewriting
        essays.review(session=world.session, actor=cell, essay_id=e.id, action="reviewed", comment="")
    draft(world, world.member, WORDS + "Giải pháp: mở lớp học tập.")
    assert submit(world, world.member).status == "submitted"
    essays.review(session=world.session, actor=cell, essay_id=e.id, action="reviewed", comment="Tốt")
    world.session.commit()
    actions = world.session.exec(select(AuditEntry.action).where(AuditEntry.entity == "essay").order_by(AuditEntry.id)).all()
    assert actions == ["essay.return", "essay.review"]
    # after the deadline a return would leave the member unable to fix anything
    with pytest.raises(Conflict):
        essays.review(
            session=world.session,
            actor=cell,
            essay_id=e.id,
            action="returned",
            comment="x",
            now=world.campaign.closes_at + timedelta(hours=1),
        )


def test_reviewers_of_another_unit_do_not_see_the_essay(world):
    draft(world, world.member, WORDS)
    e = submit(world, world.member)
    for outsider in (world.other_org, make_member(world.session, world.tree.a2, roles=((Role.organiser, world.tree.a2),))):
        with pytest.raises(NotFound):
            essays.review(session=world.session, actor=actor(world.session, outsider), essay_id=e.id, action="reviewed", comment="")
        with pytest.raises(NotFound):
            essays.readable(session=world.session, actor=actor(world.session, outsider), essay_id=e.id)
    with pytest.raises(NotFound):  # a member who is no organiser does not read others' essays either
        essays.readable(session=world.session, actor=actor(world.session, make_member(world.session, world.tree.a1)), essay_id=e.id)
    # a member outside the campaign's scope cannot write in it
    elsewhere = world.new_campaign(scope_unit_code="DB-B")
    with pytest.raises(NotFound):
        essays.save_draft(session=world.session, actor=actor(world.session, world.member), campaign_id=elsewhere.id, topic="", text="x")


def test_the_cells_overview_and_the_diacritic_insensitive_search(world):
    t = world.tree
    other = make_member(world.session, t.a1, full_name="Trần Văn Bình", phone="0912345678")
    drafting = make_member(world.session, t.a1, full_name="Lê Thị Hoa")
    far = make_member(world.session, t.b1, full_name="Phạm Văn Đức")
    draft(world, world.member, WORDS + "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.")
    submit(world, world.member)
    draft(world, other, words(12) + " kinh tế số", topic="Phát triển kinh tế")
    submit(world, other)
    draft(world, drafting, "mới viết")
    draft(world, far, WORDS)
    submit(world, far)
    view = essays.overview(session=world.session, actor=actor(world.session, world.cell_org), campaign_id=world.campaign.id)
    assert view.reach.unit.code == "CB-A1"
    assert {m.full_name for _e, m, _u in view.essays} == {"Nguyễn Thị Ánh Tuyết", "Trần Văn Bình"}
    missing = {x.member.full_name: x.drafting for x in view.missing}
    assert missing["Lê Thị Hoa"] is True and "Phạm Văn Đức" not in missing and "Trần Văn Bình" not in missing
    assert view.counts["submitted"] == 2 and view.counts["missing"] == view.missing_total
    for q, found in (
        ("nghi quyet", {"Nguyễn Thị Ánh Tuyết"}),
        ("HỒ CHÍ MINH", {"Nguyễn Thị Ánh Tuyết"}),
        ("kinh te so", {"Trần Văn Bình"}),
        ("tran van", {"Trần Văn Bình"}),
        ("100%_", set()),
    ):
        hits = essays.overview(session=world.session, actor=actor(world.session, world.cell_org), campaign_id=world.campaign.id, q=q)
        assert {m.full_name for _e, m, _u in hits.essays} == found, q
    whole = essays.overview(session=world.session, actor=actor(world.session, world.org), campaign_id=world.campaign.id, q="Nghị quyết")
    assert {m.full_name for _e, m, _u in whole.essays} == {"Nguyễn Thị Ánh Tuyết", "Phạm Văn Đức"}
    with pytest.raises(Exception) as err:
        essays.overview(session=world.session, actor=actor(world.session, world.cell_org), campaign_id=world.campaign.id, unit_code="CB-B1")
    assert err.value.status_code == 403


def test_one_essay_per_member_and_campaign_is_kept_by_the_database(world):
    draft(world, world.member, WORDS)
    world.session.add(Essay(campaign_id=world.campaign.id, member_id=world.member.id, unit_id=world.tree.a1.id))
    with pytest.raises(IntegrityError):
        world.session.commit()
    world.session.rollback()


def test_campaign_visibility(world):
    t = world.tree
    seen = lambda m: {c.id for c, _u in essay_campaigns.list_visible(session=world.session, actor=actor(world.session, m))}  # noqa: E731
    inner = world.new_campaign(scope_unit_code="CB-A2", title="Chỉ chi bộ A2")
    assert seen(world.member) == {world.campaign.id}
    assert seen(world.org) == {world.campaign.id, inner.id}
    assert seen(world.cell_org) == {world.campaign.id}  # the city's campaign reaches their cell
    assert seen(make_member(world.session, t.b1)) == {world.campaign.id}
    assert [c.id for c in essay_campaigns.open_for_member(session=world.session, actor=actor(world.session, world.member))] == [
        world.campaign.id
    ]
