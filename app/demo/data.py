"""Demo data: the Party Committee of Thủ Dầu Một city (2020–2025 term) with its 35 grassroots units.

Unit names follow the city's wards and agencies; headcounts are illustrative figures that sum to the
8,292 Party members of the demo organisation. Member accounts are generated names.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.demo.bank import load_bank
from app.models import Member, MemberRole, Role, Unit
from app.security import hash_password
from app.services.org.members import apply_derived

DEMO_PASSWORD = "hoithi@2025"
ROOT = ("TDM", "Đảng bộ TP. Thủ Dầu Một", "Đảng bộ")
WARDS = [
    "Phú Cường",
    "Hiệp Thành",
    "Chánh Nghĩa",
    "Phú Thọ",
    "Phú Hòa",
    "Phú Lợi",
    "Hiệp An",
    "Định Hòa",
    "Tân An",
    "Tương Bình Hiệp",
    "Chánh Mỹ",
    "Phú Tân",
    "Phú Mỹ",
    "Hòa Phú",
]
WARD_HEADCOUNTS = [620, 575, 560, 530, 590, 495, 352, 391, 337, 322, 309, 244, 423, 272]
# (code, name, kind, headcount): the other 21 grassroots units.
AGENCIES = [
    ("DBQS", "Đảng bộ Quân sự thành phố", "Đảng bộ cơ sở", 326),
    ("DBCA", "Đảng bộ Công an thành phố", "Đảng bộ cơ sở", 520),
    ("DBCQD", "Đảng bộ Cơ quan Đảng thành phố", "Đảng bộ cơ sở", 168),
    ("DBCQCQ", "Đảng bộ Cơ quan Chính quyền thành phố", "Đảng bộ cơ sở", 427),
    ("DBYT", "Đảng bộ Trung tâm Y tế thành phố", "Đảng bộ cơ sở", 284),
    ("CBMTTQ", "Chi bộ Cơ quan Ủy ban MTTQ Việt Nam và các đoàn thể thành phố", "Chi bộ", 46),
    ("CBBQLDA", "Chi bộ Ban Quản lý dự án đầu tư xây dựng thành phố", "Chi bộ", 38),
    ("CBTTVH", "Chi bộ Trung tâm Văn hóa, Thông tin và Thể thao thành phố", "Chi bộ", 29),
    ("CBTTCT", "Chi bộ Trung tâm Chính trị thành phố", "Chi bộ", 18),
    ("CBVKS", "Chi bộ Viện Kiểm sát nhân dân thành phố", "Chi bộ", 24),
    ("CBTAND", "Chi bộ Tòa án nhân dân thành phố", "Chi bộ", 27),
    ("CBTHA", "Chi bộ Chi cục Thi hành án dân sự thành phố", "Chi bộ", 31),
    ("CBCCT", "Chi bộ Chi cục Thuế thành phố", "Chi bộ", 58),
    ("CBKBNN", "Chi bộ Kho bạc Nhà nước thành phố", "Chi bộ", 21),
    ("CBBHXH", "Chi bộ Bảo hiểm xã hội thành phố", "Chi bộ", 26),
    ("CBQLDT", "Chi bộ Phòng Quản lý đô thị thành phố", "Chi bộ", 23),
    ("CBTHPTTDM", "Chi bộ Trường THPT chuyên Hùng Vương", "Chi bộ", 54),
    ("CBTHCSCVA", "Chi bộ Trường THCS Chu Văn An", "Chi bộ", 33),
    ("CBTHCSNVX", "Chi bộ Trường THCS Nguyễn Viết Xuân", "Chi bộ", 28),
    ("CBCTN", "Chi bộ Công ty Cổ phần Nước – Môi trường (demo)", "Chi bộ", 62),
    ("CBCTXD", "Chi bộ Công ty TNHH Xây dựng Đô thị (demo)", "Chi bộ", 29),
]
# Wards whose Party committee has cells (chi bộ khu phố) below it.
WARDS_WITH_CELLS = 5
CELLS_PER_WARD = 4
DEMO_MEMBERS = 300

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Huỳnh",
    "Hoàng",
    "Võ",
    "Phan",
    "Trương",
    "Bùi",
    "Đặng",
    "Đỗ",
    "Ngô",
    "Hồ",
    "Dương",
    "Đinh",
    "Lâm",
    "Mai",
    "Tạ",
    "Châu",
]
MIDDLE_M = ["Văn", "Hữu", "Minh", "Đức", "Quốc", "Thanh", "Công", "Tấn", "Hoàng", "Ngọc"]
MIDDLE_F = ["Thị", "Ngọc", "Thanh", "Thu", "Kim", "Bích", "Mỹ", "Hồng", "Phương", "Diệu"]
GIVEN_M = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hùng",
    "Khang",
    "Khoa",
    "Long",
    "Lộc",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phúc",
    "Quang",
    "Sơn",
    "Tài",
    "Thắng",
    "Thịnh",
    "Toàn",
    "Trung",
    "Tuấn",
    "Vinh",
]
GIVEN_F = [
    "Anh",
    "Chi",
    "Diễm",
    "Dung",
    "Giang",
    "Hà",
    "Hằng",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phượng",
    "Quyên",
    "Thảo",
    "Trang",
    "Uyên",
    "Yến",
]

ACCOUNTS = [  # (phone, member_code, name, role)
    ("0900000001", "QTV-TDM", "Quản trị viên hệ thống", Role.admin),
    ("0900000002", "BTC-TDM", "Nguyễn Thị Thu Hà", Role.organiser),
    ("0900000003", "BGK-TDM", "Trần Văn Minh", Role.judge),
    ("0900000004", "BGK2-TDM", "Lê Thị Thanh Tâm", Role.judge),  # a second judge: essays are graded by two
]
FIRST_MEMBER_PHONE = "0900000100"


def has_data(*, session: Session) -> bool:
    return session.exec(select(Unit.id).limit(1)).first() is not None


def credentials_text() -> str:
    lines = ["Tài khoản mẫu (mật khẩu chung: " + DEMO_PASSWORD + "):"]
    labels = {Role.admin: "quản trị", Role.organiser: "ban tổ chức", Role.judge: "ban giám khảo"}
    for phone, _code, name, role in ACCOUNTS:
        lines.append(f"  {labels[role]:<14} {phone}  ({name})")
    lines.append(f"  {'hội viên':<14} {FIRST_MEMBER_PHONE}  (và {DEMO_MEMBERS - 1} hội viên khác: 09000001xx…)")
    return "\n".join(lines)


def _add_unit(session: Session, code: str, name: str, kind: str, headcount: int, parent: Unit | None) -> Unit:
    unit = Unit(
        code=code,
        name=name,
        kind=kind,
        headcount=headcount,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def build_units(session: Session) -> tuple[Unit, list[Unit]]:
    """The root and its 35 grassroots units (with cells under the first wards). Returns root and leaves."""
    root = _add_unit(session, *ROOT, headcount=0, parent=None)
    leaves: list[Unit] = []
    for i, (ward, headcount) in enumerate(zip(WARDS, WARD_HEADCOUNTS, strict=True)):
        code = "P-" + "".join(w[0] for w in ward.split()).upper() + f"{i + 1:02d}"
        if i < WARDS_WITH_CELLS:
            per_cell = headcount // (CELLS_PER_WARD + 1)
            own = headcount - per_cell * CELLS_PER_WARD  # the ward's office cell keeps the remainder
            ward_unit = _add_unit(session, code, f"Đảng bộ phường {ward}", "Đảng bộ cơ sở", own, root)
            for k in range(1, CELLS_PER_WARD + 1):
                leaves.append(_add_unit(session, f"{code}-KP{k}", f"Chi bộ Khu phố {k}, phường {ward}", "Chi bộ", per_cell, ward_unit))
        else:
            leaves.append(_add_unit(session, code, f"Đảng bộ phường {ward}", "Đảng bộ cơ sở", headcount, root))
    for code, name, kind, headcount in AGENCIES:
        leaves.append(_add_unit(session, code, name, kind, headcount, root))
    return root, leaves


def load(*, session: Session, secret: str, progress: Callable[[int, int], None] | None = None, seed: int = 2025) -> None:
    rng = random.Random(seed)
    root, leaves = build_units(session)
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all demo accounts: argon2 is slow on purpose
    staff_unit = next(u for u in leaves if u.code == "DBCQD")
    assert staff_unit.id is not None and root.id is not None
    organiser_id = None
    judge_ids: list[int] = []
    for phone, code, name, role in ACCOUNTS:
        member = Member(
            full_name=name, phone=phone, member_code=code, unit_id=staff_unit.id, password_hash=password_hash, birth_date=date(1980, 5, 19)
        )
        apply_derived(member)
        session.add(member)
        session.flush()
        assert member.id is not None
        session.add(MemberRole(member_id=member.id, role=role, unit_id=root.id))
        if role == Role.organiser:
            organiser_id = member.id
        if role == Role.judge:
            judge_ids.append(member.id)
    topics = load_bank(session=session, unit=root, actor_id=organiser_id)
    # The contest asks three topics; the other two are the published "bộ câu hỏi – đáp" anyone can study,
    # by link too, while the contest runs (contests keep study sets out of their rounds by default).
    contest_topics, study_sets = topics[:STUDY_FROM], topics[STUDY_FROM:]
    for topic in study_sets:
        topic.study_published, topic.study_public = True, True
        topic.study_slug = f"ontap{topic.id}"
    assert organiser_id is not None
    load_contest(session=session, root=root, organiser_id=organiser_id, topics=contest_topics)
    for n in range(DEMO_MEMBERS):
        unit_id = leaves[n % len(leaves)].id
        assert unit_id is not None
        female = rng.random() < 0.5
        name = " ".join([rng.choice(FAMILY), rng.choice(MIDDLE_F if female else MIDDLE_M), rng.choice(GIVEN_F if female else GIVEN_M)])
        member = Member(
            full_name=name,
            phone=f"09000{100 + n:05d}",
            member_code=f"DV{n + 1:05d}",
            unit_id=unit_id,
            password_hash=password_hash,
            birth_date=date(rng.randint(1965, 2003), rng.randint(1, 12), rng.randint(1, 28)),
        )
        apply_derived(member)
        session.add(member)
        if progress and n % 25 == 0:
            progress(n, DEMO_MEMBERS)
    session.flush()
    load_past_contest(session=session, root=root, organiser_id=organiser_id, topics=contest_topics, rng=rng)
    from app.demo.essays import load_essays

    load_essays(session=session, root=root, organiser_id=organiser_id, judge_ids=judge_ids, now=datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")))
    if progress:
        progress(DEMO_MEMBERS, DEMO_MEMBERS)


STUDY_FROM = 3  # the demo topics from this index on are the published study sets
CONTEST_TITLE = "Cuộc thi trực tuyến tìm hiểu Nghị quyết Đại hội Đảng bộ thành phố Thủ Dầu Một lần thứ XII"
CONTEST_RULES = """**Đối tượng dự thi:** cán bộ, đảng viên thuộc Đảng bộ thành phố Thủ Dầu Một.

**Hình thức:** thi trắc nghiệm trực tuyến trên điện thoại hoặc máy tính, mỗi tuần một vòng.

**Giải thưởng mỗi tuần:** 1 giải Nhất, 2 giải Nhì, 3 giải Ba và 10 giải Khuyến khích (dữ liệu minh hoạ)."""


def load_contest(*, session: Session, root: Unit, organiser_id: int, topics: list, now: datetime | None = None) -> None:
    """The published demo contest: four weekly rounds, Monday to Sunday, from this week on, each drawing
    twenty questions from the contest's topics."""
    from app.services.contests import contests
    from app.services.contests.schemas import ContestCreate, DrawLine, PredictionIn, RoundIn
    from app.services.org.access import actor_for

    organiser = session.get(Member, organiser_id)
    assert organiser is not None
    actor = actor_for(session=session, member=organiser)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    today = (now or datetime.now(tz)).astimezone(tz)
    monday = (today - timedelta(days=today.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    draw = [DrawLine(topic_id=t.id, count=count) for t, count in zip(topics, (7, 7, 6), strict=True)]
    rounds = [
        RoundIn(
            title=f"Tuần {n + 1}",
            opens_at=monday + timedelta(days=7 * n),
            closes_at=monday + timedelta(days=7 * n + 6, hours=23, minutes=59),
            time_limit_s=15 * 60,
            draw=draw,
            attempts_allowed=3,
            counted_attempt="best",
            prediction=PredictionIn(kind="perfect_scorers", lock_first=True),
        )
        for n in range(4)
    ]
    contest = contests.create_contest(
        session=session,
        actor=actor,
        data=ContestCreate(title=CONTEST_TITLE, rules_text=CONTEST_RULES, scope_unit_code=root.code, rounds=rounds),
    )
    assert contest.id is not None
    contests.publish_contest(session=session, actor=actor, contest_id=contest.id)


PAST_TITLE = "Thi thử: tìm hiểu Nghị quyết Đại hội XIII của Đảng (đã kết thúc)"
PAST_TAKERS = 120


def load_past_contest(
    *, session: Session, root: Unit, organiser_id: int, topics: list, rng: random.Random, now: datetime | None = None
) -> None:
    """A contest whose one round ended last week, taken by some demo members through the real attempt service and
    closed, so that judges have something to audit, award, seal and export. A few attempts are meant to be
    flagged: three are far too quick, six come from one IP address."""
    from app.services.contests import contests
    from app.services.contests.schemas import ContestCreate, DrawLine, PredictionIn, RoundIn
    from app.services.org.access import actor_for
    from app.services.quiz import attempts, sheet, starting
    from app.services.results import closing

    organiser = session.get(Member, organiser_id)
    assert organiser is not None
    actor = actor_for(session=session, member=organiser)
    end = (now or datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))) - timedelta(days=7)
    start = end - timedelta(days=6)
    contest = contests.create_contest(
        session=session,
        actor=actor,
        data=ContestCreate(
            title=PAST_TITLE,
            rules_text="Vòng thi thử để làm quen với cách thi trực tuyến.",
            scope_unit_code=root.code,
            rounds=[
                RoundIn(
                    title="Vòng thi thử",
                    opens_at=start,
                    closes_at=end,
                    time_limit_s=10 * 60,
                    draw=[DrawLine(topic_id=t.id, count=count) for t, count in zip(topics, (4, 3, 3), strict=True)],
                    attempts_allowed=1,
                    prediction=PredictionIn(kind="participants", lock_first=True),
                )
            ],
        ),
    )
    assert contest.id is not None
    contests.publish_contest(session=session, actor=actor, contest_id=contest.id)
    round_ = contests.rounds_of(session=session, contest=contest)[0]
    assert round_.id is not None
    takers = session.exec(select(Member).where(col(Member.member_code).startswith("DV")).order_by(col(Member.id)).limit(PAST_TAKERS)).all()
    for n, member in enumerate(takers):
        at = start + timedelta(minutes=37 * n + rng.randint(0, 30))
        ip = "203.0.113.25" if n % 20 == 0 else f"198.51.100.{n % 250 + 1}"
        taker = actor_for(session=session, member=member)
        taker.unit = session.get(Unit, member.unit_id)
        attempt, _ = starting.start(
            session=session, actor=taker, round_id=round_.id, ip=ip, now=at, user_agent="Mozilla/5.0 (Linux; Android 11) Zalo/demo"
        )
        assert attempt.id is not None
        shown = sheet.public(session=session, attempt=attempt, now=at)
        hurried = n % 40 == 7  # answers twenty questions in a few seconds
        picks = {q.position: [(q.options[0] if hurried or rng.random() < 0.25 else rng.choice(q.options)).id] for q in shown.questions}
        attempts.save_answers(session=session, actor=taker, attempt_id=attempt.id, answers=picks, now=at)
        attempts.save_prediction(session=session, actor=taker, attempt_id=attempt.id, value=rng.randint(60, 180), now=at)
        took = timedelta(seconds=rng.randint(4, 9) if hurried else rng.randint(150, 560))
        attempts.submit(session=session, actor=taker, attempt_id=attempt.id, now=at + took)
    closing.close_round(session=session, actor=actor, round_id=round_.id, now=end + timedelta(minutes=1))
