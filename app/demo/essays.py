"""Demo essays (bài thu hoạch): one open campaign of the demo committee with a rubric, a few essays handed in by demo
members through the real services, one accepted and one returned by the organiser, one graded by both demo judges
(far enough apart to be flagged), so the whole flow can be shown in a browser."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.models import Member, Unit
from app.services.essays import campaigns as essay_campaigns
from app.services.essays import essays
from app.services.essays import grading as essay_grading
from app.services.essays.schemas import CriterionIn, EssayCampaignCreate
from app.services.org.access import actor_for

TITLE = "Bài thu hoạch học tập, quán triệt Nghị quyết Đại hội Đảng bộ thành phố lần thứ XII"
PROMPT = """Sau khi học tập Nghị quyết, mỗi đảng viên viết một bài thu hoạch về vấn đề mình tâm đắc nhất, liên hệ với \
thực tiễn nơi công tác, sinh sống và đề xuất giải pháp thực hiện.

Bài viết từ 100 đến 1.500 chữ, nộp trực tuyến trước hạn chót; chi bộ tổng hợp và báo cáo lên Đảng bộ."""
TOPICS = [
    "Xây dựng, chỉnh đốn Đảng và hệ thống chính trị",
    "Phát triển kinh tế, xây dựng đô thị thông minh",
    "Văn hóa, xã hội, chăm lo đời sống nhân dân",
    "Quốc phòng, an ninh, trật tự an toàn xã hội",
]
RUBRIC = [("Nhận thức về nội dung Nghị quyết", 40), ("Liên hệ thực tiễn", 30), ("Giải pháp, đề xuất", 20), ("Hình thức trình bày", 10)]

ESSAYS = [
    (
        TOPICS[0],
        """Nghị quyết Đại hội Đảng bộ thành phố lần thứ XII xác định công tác xây dựng, chỉnh đốn Đảng là nhiệm vụ \
then chốt. Qua học tập, tôi tâm đắc nhất với yêu cầu nâng cao chất lượng sinh hoạt chi bộ, bởi chi bộ là nơi trực tiếp \
giáo dục, quản lý đảng viên.

Ở chi bộ khu phố nơi tôi sinh hoạt, nhiều buổi sinh hoạt còn nặng về thông báo tình hình, ít thảo luận những việc cụ thể \
của khu phố. Một số đảng viên lớn tuổi ngại phát biểu, đảng viên trẻ bận công việc nên vắng mặt.

Tôi đề xuất ba giải pháp. Thứ nhất, mỗi quý sinh hoạt chuyên đề về một vấn đề thiết thực như vệ sinh môi trường, an ninh \
trật tự. Thứ hai, phân công đảng viên trẻ chuẩn bị nội dung, ứng dụng nhóm trao đổi trực tuyến để gửi tài liệu trước. \
Thứ ba, cuối mỗi buổi sinh hoạt có kết luận rõ việc, rõ người, rõ thời hạn và kiểm tra ở buổi sau.""",
    ),
    (
        TOPICS[1],
        """Mục tiêu xây dựng Thủ Dầu Một trở thành đô thị thông minh là điểm nhấn của Nghị quyết nhiệm kỳ này. Tôi \
làm việc tại bộ phận một cửa của phường nên thấy rõ chuyển đổi số thay đổi cách người dân làm thủ tục như thế nào.

Hiện nay nhiều hồ sơ đã nộp trực tuyến, nhưng người cao tuổi và người lao động tự do vẫn gặp khó khăn khi dùng điện \
thoại để khai báo. Có người phải đến phường hai, ba lần vì thiếu giấy tờ.

Giải pháp tôi đề xuất là thành lập tổ công nghệ số cộng đồng ở từng khu phố, do đoàn viên thanh niên làm nòng cốt, hướng \
dẫn người dân cài đặt và sử dụng dịch vụ công trực tuyến. Bên cạnh đó, phường nên niêm yết danh mục giấy tờ cho từng thủ \
tục bằng mã QR để người dân chuẩn bị đầy đủ trước khi nộp hồ sơ, giảm thời gian đi lại và chi phí.""",
    ),
    (
        TOPICS[2],
        """Nghị quyết nhấn mạnh phát triển văn hóa, xã hội hài hòa với phát triển kinh tế, chăm lo đời sống vật \
chất và tinh thần của nhân dân. Đây là nội dung tôi tâm đắc vì gắn trực tiếp với công việc của đoàn thể ở cơ sở.

Khu phố tôi có nhiều công nhân thuê trọ từ các tỉnh đến làm việc. Các em nhỏ con công nhân thiếu nơi vui chơi, học \
tập sau giờ học; nhiều gia đình chưa tham gia sinh hoạt cộng đồng.

Tôi đề xuất tận dụng nhà văn hóa khu phố mở lớp học hè và tủ sách dùng chung, vận động các nhà trọ cùng đóng góp. Chi \
bộ phân công đảng viên phụ trách từng dãy nhà trọ để nắm tình hình, kịp thời hỗ trợ các trường hợp khó khăn. Cuối năm \
tổ chức ngày hội gia đình công nhân để gắn kết người dân mới với khu phố.""",
    ),
]
WRITERS = 6  # demo members who hand in (their essays cycle over ESSAYS); two more only have drafts


def load_essays(*, session: Session, root: Unit, organiser_id: int, judge_ids: list[int], now: datetime) -> None:
    organiser = session.get(Member, organiser_id)
    assert organiser is not None
    org = actor_for(session=session, member=organiser)
    campaign = essay_campaigns.create(
        session=session,
        actor=org,
        data=EssayCampaignCreate(
            title=TITLE,
            prompt=PROMPT,
            topics=TOPICS,
            scope_unit_code=root.code,
            opens_at=now - timedelta(days=3),
            closes_at=now + timedelta(days=14),
            min_words=100,
            max_words=1500,
            rubric=[CriterionIn(label=label, max_points=points) for label, points in RUBRIC],
        ),
    )
    writers = session.exec(select(Member).where(col(Member.member_code).startswith("DV")).order_by(col(Member.id)).limit(WRITERS + 2)).all()
    assert campaign.id is not None
    handed = []
    for n, member in enumerate(writers):
        who = actor_for(session=session, member=member)
        topic, text = ESSAYS[n % len(ESSAYS)]
        at = now - timedelta(days=2, hours=-5 * n)
        essays.save_draft(
            session=session, actor=who, campaign_id=campaign.id, topic=topic, text=text if n < WRITERS else text.split("\n\n")[0], now=at
        )
        if n < WRITERS:
            handed.append(essays.submit(session=session, actor=who, campaign_id=campaign.id, now=at + timedelta(minutes=20)))
    first, second, third = handed[0].id, handed[1].id, handed[2].id
    assert first is not None and second is not None and third is not None
    essays.review(
        session=session, actor=org, essay_id=second, action="reviewed", comment="Bài viết thiết thực.", now=now - timedelta(hours=6)
    )
    essays.review(
        session=session,
        actor=org,
        essay_id=third,
        action="returned",
        now=now - timedelta(hours=5),
        comment="Đề nghị nêu rõ hơn kết quả đã làm được ở khu phố và thời gian thực hiện các giải pháp.",
    )
    keys = [c["key"] for c in campaign.rubric]
    for judge_id, points in zip(judge_ids, ([34, 25, 17, 9], [25, 18, 12, 6]), strict=True):
        judge = session.get(Member, judge_id)
        assert judge is not None
        essay_grading.grade(
            session=session,
            actor=actor_for(session=session, member=judge),
            essay_id=first,
            scores=dict(zip(keys, points, strict=True)),
            comment="Nội dung sát thực tiễn chi bộ.",
            now=now - timedelta(hours=2),
        )
