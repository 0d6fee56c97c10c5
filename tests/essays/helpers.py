"""The essay campaign the essay tests write in, and the steps of writing: a draft, a submit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.models import Member
from app.models.essays import Essay, EssayCampaign
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays
from app.services.essays.schemas import CriterionIn, EssayCampaignCreate
from tests.factories import Tree, actor

NOW = datetime.now(UTC).replace(microsecond=0)
WORDS = "Nghị quyết Đại hội đã chỉ rõ nhiệm vụ trọng tâm của chi bộ trong nhiệm kỳ. "  # 17 words


@dataclass(frozen=True)
class EssayWorld:
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


def draft(w: EssayWorld, who: Member, text: str, topic: str = "Xây dựng Đảng", now: datetime = NOW) -> Essay:
    e = essays.save_draft(session=w.session, actor=actor(w.session, who), campaign_id=w.campaign.id, topic=topic, text=text, now=now)
    w.session.commit()
    return e


def submit(w: EssayWorld, who: Member, now: datetime = NOW, **kw) -> Essay:
    e = essays.submit(session=w.session, actor=actor(w.session, who), campaign_id=w.campaign.id, now=now, **kw)
    w.session.commit()
    return e
