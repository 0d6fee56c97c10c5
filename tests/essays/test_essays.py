"""Essays (bài thu hoạch): the window, word limits, drafts kept apart from what was handed in, edits after
submitting, the cell's review and its scope, diacritic-insensitive search, one essay per member in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.errors import Conflict, Invalid, NotFound
from app.models import AuditEntry, Role
from app.models.essays import Essay
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays, overview
from app.services.essays.schemas import CriterionIn, EssayCampaignUpdate
from tests.essays.helpers import NOW, WORDS, draft, make_campaign, submit
from tests.factories import actor, make_member


def words(n: int) -> str:
    return " ".join(["học"] * n)


def test_campaign_settings_are_checked_and_the_rubric_gets_keys(essay_world):
    c = essay_world.campaign
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
            essay_world.new_campaign(**bad)
        assert err.value.field == field
    # naive times are Vietnamese wall-clock time
    local = essay_world.new_campaign(opens_at=datetime(2026, 12, 1, 7, 0), closes_at=datetime(2026, 12, 8, 17, 0))
    assert local.opens_at == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    # an organiser of another branch cannot set one up for the whole tree, nor edit this one
    with pytest.raises(Exception) as err:
        make_campaign(essay_world.session, essay_world.other_org)
    assert err.value.status_code == 403
    with pytest.raises(NotFound):
        essay_campaigns.update(
            session=essay_world.session,
            actor=actor(essay_world.session, essay_world.other_org),
            campaign_id=essay_world.campaign.id,
            data=EssayCampaignUpdate(title="x"),
        )


def test_the_window_refuses_before_opening_and_after_the_deadline_in_vietnamese(essay_world):
    c = essay_world.campaign
    with pytest.raises(Conflict) as before:
        draft(essay_world, essay_world.member, WORDS, now=c.opens_at - timedelta(minutes=1))
    assert before.value.status_code == 409 and "chưa mở" in before.value.message
    draft(essay_world, essay_world.member, WORDS)
    with pytest.raises(Conflict) as late:
        submit(essay_world, essay_world.member, now=c.closes_at + timedelta(seconds=6))
    assert "hết hạn" in late.value.message and late.value.params["at"]
    submit(essay_world, essay_world.member, now=c.closes_at + timedelta(seconds=3))  # within the grace for latency


def test_word_limits_on_submit_while_drafts_may_be_any_length_up_to_the_cap(essay_world):
    short = draft(essay_world, essay_world.member, words(9))
    assert short.draft_words == 9
    with pytest.raises(Invalid) as few:
        submit(essay_world, essay_world.member)
    assert few.value.params == {"n": 9, "min": 10} and few.value.field == "text"
    draft(essay_world, essay_world.member, words(41))  # longer than the limit: still kept as a draft
    with pytest.raises(Invalid) as many:
        submit(essay_world, essay_world.member)
    assert "vượt giới hạn" in many.value.message
    with pytest.raises(Invalid):
        draft(essay_world, essay_world.member, "a" * (essays.DRAFT_MAX_CHARS + 1))
    with pytest.raises(Invalid) as topic:
        draft(essay_world, essay_world.member, WORDS, topic="Chủ đề lạ")
    assert topic.value.field == "topic"
    done = submit(essay_world, essay_world.member, text=words(40), topic="Phát triển kinh tế")
    assert (done.status, done.word_count, done.topic, done.submit_count) == ("submitted", 40, "Phát triển kinh tế", 1)


def test_word_count_ignores_punctuation_and_normalises_text():
    assert essays.count_words("Nghị quyết — số 1 , tốt.\n\nĐoạn hai!") == 7
    decomposed = "Nghi\u0323 quyê\u0301t\r\n\r\n\r\nĐoạn\x07 hai   "
    text = essays.clean_text(decomposed)
    assert text == "Nghị quyết\n\n\nĐoạn hai" and essays.paragraphs(text) == ["Nghị quyết", "Đoạn hai"]


def test_a_draft_survives_a_reload_and_an_edit_after_submit_keeps_the_handed_in_copy(essay_world):
    draft(essay_world, essay_world.member, WORDS + "Đoạn một.\n\nĐoạn hai.")
    mine = essays.my_essay(
        session=essay_world.session, actor=actor(essay_world.session, essay_world.member), campaign_id=essay_world.campaign.id
    )
    assert mine.draft_text == WORDS + "Đoạn một.\n\nĐoạn hai." and mine.draft_topic == "Xây dựng Đảng"
    assert mine.submitted_at is None and mine.can_edit
    submit(essay_world, essay_world.member)
    draft(essay_world, essay_world.member, WORDS + "Bản sửa chưa nộp.")
    mine = essays.my_essay(
        session=essay_world.session, actor=actor(essay_world.session, essay_world.member), campaign_id=essay_world.campaign.id
    )
    assert mine.unsubmitted_changes and mine.text.endswith("Đoạn hai.") and mine.status == "submitted"
    again = submit(essay_world, essay_world.member, now=NOW + timedelta(minutes=5))
    assert again.text.endswith("Bản sửa chưa nộp.") and again.submit_count == 2


def test_no_edit_after_submit_when_the_campaign_says_so_nor_after_the_deadline(essay_world):
    essay_world.campaign.allow_edit_after_submit = False
    essay_world.session.add(essay_world.campaign)
    essay_world.session.commit()
    draft(essay_world, essay_world.member, WORDS)
    submit(essay_world, essay_world.member)
    with pytest.raises(Conflict) as locked:
        draft(essay_world, essay_world.member, WORDS + "thêm")
    assert "không cho sửa" in locked.value.message
    essay_world.campaign.allow_edit_after_submit = True
    essay_world.session.add(essay_world.campaign)
    essay_world.session.commit()
    draft(essay_world, essay_world.member, WORDS + "thêm")
    with pytest.raises(Conflict):
        draft(essay_world, essay_world.member, WORDS, now=essay_world.campaign.closes_at + timedelta(minutes=1))


def test_the_cell_reviews_and_returns_and_the_member_resubmits(essay_world):
    draft(essay_world, essay_world.member, WORDS)
    e = submit(essay_world, essay_world.member)
    cell = actor(essay_world.session, essay_world.cell_org)
    with pytest.raises(Invalid):
        essays.review(session=essay_world.session, actor=cell, essay_id=e.id, action="returned", comment=" ")
    returned = essays.review(
        session=essay_world.session, actor=cell, essay_id=e.id, action="returned", comment="Cần nêu giải pháp cụ thể hơn."
    )
    essay_world.session.commit()
    assert returned.status == "returned"
    mine = essays.my_essay(
        session=essay_world.session, actor=actor(essay_world.session, essay_world.member), campaign_id=essay_world.campaign.id
    )
    assert mine.review_comment == "Cần nêu giải pháp cụ thể hơn." and mine.can_edit
    with pytest.raises(Conflict):  # nothing to review while the member is rewriting
        essays.review(session=essay_world.session, actor=cell, essay_id=e.id, action="reviewed", comment="")
    draft(essay_world, essay_world.member, WORDS + "Giải pháp: mở lớp học tập.")
    assert submit(essay_world, essay_world.member).status == "submitted"
    essays.review(session=essay_world.session, actor=cell, essay_id=e.id, action="reviewed", comment="Tốt")
    essay_world.session.commit()
    actions = essay_world.session.exec(select(AuditEntry.action).where(AuditEntry.entity == "essay").order_by(AuditEntry.id)).all()
    assert actions == ["essay.return", "essay.review"]
    # after the deadline a return would leave the member unable to fix anything
    with pytest.raises(Conflict):
        essays.review(
            session=essay_world.session,
            actor=cell,
            essay_id=e.id,
            action="returned",
            comment="x",
            now=essay_world.campaign.closes_at + timedelta(hours=1),
        )


def test_reviewers_of_another_unit_do_not_see_the_essay(essay_world):
    draft(essay_world, essay_world.member, WORDS)
    e = submit(essay_world, essay_world.member)
    for outsider in (
        essay_world.other_org,
        make_member(essay_world.session, essay_world.tree.a2, roles=((Role.organiser, essay_world.tree.a2),)),
    ):
        with pytest.raises(NotFound):
            essays.review(
                session=essay_world.session, actor=actor(essay_world.session, outsider), essay_id=e.id, action="reviewed", comment=""
            )
        with pytest.raises(NotFound):
            essays.readable(session=essay_world.session, actor=actor(essay_world.session, outsider), essay_id=e.id)
    with pytest.raises(NotFound):  # a member who is no organiser does not read others' essays either
        essays.readable(
            session=essay_world.session,
            actor=actor(essay_world.session, make_member(essay_world.session, essay_world.tree.a1)),
            essay_id=e.id,
        )
    # a member outside the campaign's scope cannot write in it
    elsewhere = essay_world.new_campaign(scope_unit_code="DB-B")
    with pytest.raises(NotFound):
        essays.save_draft(
            session=essay_world.session, actor=actor(essay_world.session, essay_world.member), campaign_id=elsewhere.id, topic="", text="x"
        )


def test_the_cells_overview_and_the_diacritic_insensitive_search(essay_world):
    t = essay_world.tree
    other = make_member(essay_world.session, t.a1, full_name="Trần Văn Bình", phone="0912345678")
    drafting = make_member(essay_world.session, t.a1, full_name="Lê Thị Hoa")
    far = make_member(essay_world.session, t.b1, full_name="Phạm Văn Đức")
    draft(essay_world, essay_world.member, WORDS + "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.")
    submit(essay_world, essay_world.member)
    draft(essay_world, other, words(12) + " kinh tế số", topic="Phát triển kinh tế")
    submit(essay_world, other)
    draft(essay_world, drafting, "mới viết")
    draft(essay_world, far, WORDS)
    submit(essay_world, far)
    view = overview.overview(
        session=essay_world.session, actor=actor(essay_world.session, essay_world.cell_org), campaign_id=essay_world.campaign.id
    )
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
        hits = overview.overview(
            session=essay_world.session, actor=actor(essay_world.session, essay_world.cell_org), campaign_id=essay_world.campaign.id, q=q
        )
        assert {m.full_name for _e, m, _u in hits.essays} == found, q
    whole = overview.overview(
        session=essay_world.session, actor=actor(essay_world.session, essay_world.org), campaign_id=essay_world.campaign.id, q="Nghị quyết"
    )
    assert {m.full_name for _e, m, _u in whole.essays} == {"Nguyễn Thị Ánh Tuyết", "Phạm Văn Đức"}
    with pytest.raises(Exception) as err:
        overview.overview(
            session=essay_world.session,
            actor=actor(essay_world.session, essay_world.cell_org),
            campaign_id=essay_world.campaign.id,
            unit_code="CB-B1",
        )
    assert err.value.status_code == 403


def test_one_essay_per_member_and_campaign_is_kept_by_the_database(essay_world):
    draft(essay_world, essay_world.member, WORDS)
    essay_world.session.add(Essay(campaign_id=essay_world.campaign.id, member_id=essay_world.member.id, unit_id=essay_world.tree.a1.id))
    with pytest.raises(IntegrityError):
        essay_world.session.commit()
    essay_world.session.rollback()


def test_campaign_visibility(essay_world):
    t = essay_world.tree
    seen = lambda m: {c.id for c, _u in essay_campaigns.list_visible(session=essay_world.session, actor=actor(essay_world.session, m))}  # noqa: E731
    inner = essay_world.new_campaign(scope_unit_code="CB-A2", title="Chỉ chi bộ A2")
    assert seen(essay_world.member) == {essay_world.campaign.id}
    assert seen(essay_world.org) == {essay_world.campaign.id, inner.id}
    assert seen(essay_world.cell_org) == {essay_world.campaign.id}  # the city's campaign reaches their cell
    assert seen(make_member(essay_world.session, t.b1)) == {essay_world.campaign.id}
    assert [
        c.id for c in essay_campaigns.open_for_member(session=essay_world.session, actor=actor(essay_world.session, essay_world.member))
    ] == [essay_world.campaign.id]
