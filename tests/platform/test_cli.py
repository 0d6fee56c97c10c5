"""The `hoithi` command on a fresh SQLite file: migrate, demo data, first admin, member import."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import Settings, get_settings
from app.db import make_engine
from app.demo import data as demo
from app.models import Member, MemberRole, Unit


@pytest.fixture
def db_env(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HOITHI_DATABASE_URL", url)
    monkeypatch.setenv("HOITHI_SECRET_KEY", "cli-test-secret-0123456789-abcdefghij")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    return result


def test_upgrade_demo_and_login(db_env, tmp_path):
    assert _run("db", "upgrade").exit_code == 0
    r = _run("demo", "--if-empty")
    assert r.exit_code == 0, r.output
    assert "0900000002" in r.output and demo.DEMO_PASSWORD in r.output
    again = _run("demo", "--if-empty")
    assert again.exit_code == 0 and "nothing loaded" in again.output
    engine = make_engine(Settings(database_url=db_env, _env_file=None))
    with Session(engine) as s:
        root = s.exec(select(Unit).where(Unit.parent_id.is_(None))).one()
        assert root.name == "Đảng bộ TP. Thủ Dầu Một"
        grassroots = s.exec(select(Unit).where(Unit.parent_id == root.id)).all()
        assert len(grassroots) == 35
        # every grassroots unit's subtree headcount, summed: the 8,292 members of the demo committee
        total = sum(s.exec(select(func.sum(Unit.headcount)).where(Unit.path.startswith(u.path))).one() for u in grassroots)
        assert total == 8292
        assert any(u.parent_id != root.id for u in s.exec(select(Unit).where(Unit.depth == 2)).all())
        assert s.exec(select(func.count()).select_from(Member)).one() == demo.DEMO_MEMBERS + len(demo.ACCOUNTS)
        roles = set(s.exec(select(MemberRole.role)).all())
        assert roles == {"admin", "organiser", "judge"}
    engine.dispose()


def test_create_admin_then_import(db_env, tmp_path):
    assert _run("db", "upgrade").exit_code == 0
    r = _run("create-admin", "--phone", "0901234567", "--name", "Phạm Quản Trị", "--password", "QuanTri#2025")
    assert r.exit_code == 0, r.output
    bad = _run("create-admin", "--phone", "0901234567", "--name", "Lần Hai", "--password", "QuanTri#2025")
    assert bad.exit_code == 2 and "đã được dùng" in bad.output
    csv_file = tmp_path / "ds.csv"
    csv_file.write_text(
        "Họ và tên,Số điện thoại,Mã hội viên,Mã đơn vị\nLê Văn A,0912000001,A1,ROOT\nLê Văn B,0912000002,B1,ROOT\n", encoding="utf-8"
    )
    r = _run("import-members", str(csv_file), "--as", "0901234567", "--initial-password", "BanDau#2025")
    assert r.exit_code == 0, r.output
    assert "created 2" in r.output
    broken = tmp_path / "loi.csv"
    broken.write_text("Họ và tên,Số điện thoại,Mã hội viên,Mã đơn vị\nLê Văn C,,C1,ROOT\n", encoding="utf-8")
    r = _run("import-members", str(broken), "--as", "0901234567")
    assert r.exit_code == 1 and "row 2" in r.output and "nothing was written" in r.output


def test_demo_has_a_question_bank(db_env):
    from app.models import AttemptFlag, Question, Topic

    assert _run("db", "upgrade").exit_code == 0
    assert _run("demo").exit_code == 0
    engine = make_engine(Settings(database_url=db_env, _env_file=None))
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Question)).one() >= 60
        topics = s.exec(select(Topic)).all()
        assert len(topics) == 5
        studied = [t for t in topics if t.study_published]
        assert len(studied) == 2 and all(t.study_public and t.study_slug for t in studied)  # public Q&A sets
        from app.models import Contest, Round

        contest, past = s.exec(select(Contest).order_by(Contest.id)).all()
        assert contest.status == "published" and "Thủ Dầu Một" in contest.title
        rounds = s.exec(select(Round).where(Round.contest_id == contest.id).order_by(Round.position)).all()
        assert len(rounds) == 4 and all(r.closes_at > r.opens_at for r in rounds)
        assert sum(line["count"] for line in rounds[0].draw) == 20
        assert not {line["topic_id"] for line in rounds[0].draw} & {t.id for t in studied}  # study stays open
        # the past contest gives judges a closed round to audit, with attempts that raise flags
        closed = s.exec(select(Round).where(Round.contest_id == past.id)).one()
        assert closed.status == "closed" and closed.totals["participants"] == 120
        kinds = set(s.exec(select(AttemptFlag.kind).where(AttemptFlag.round_id == closed.id)).all())
        assert kinds >= {"too_fast", "shared_ip"}
        # an open essay campaign with a rubric, essays handed in, reviewed, returned, one graded by two judges
        from app.models.essays import Essay, EssayCampaign, EssayGrade
        from app.services.essays import campaigns as essay_campaigns

        campaign = s.exec(select(EssayCampaign)).one()
        assert essay_campaigns.state(campaign) == "open" and essay_campaigns.rubric_max(campaign) == 100
        written = s.exec(select(Essay).where(Essay.campaign_id == campaign.id)).all()
        assert sum(e.submitted_at is not None for e in written) == 6 and len(written) == 8
        assert {e.status for e in written} == {"draft", "submitted", "reviewed", "returned"}
        graded = [e for e in written if e.grade_count]
        assert len(graded) == 1 and graded[0].grade_count == 2 and graded[0].score == 73 and graded[0].disagreement
        assert len(s.exec(select(EssayGrade)).all()) == 2
    engine.dispose()
