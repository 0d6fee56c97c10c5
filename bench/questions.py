"""`python -m bench.questions`: import of a 5,000-question XLSX file and a 5,000-question Moodle XML file
(issue 3), seconds and peak memory, on SQLite and PostgreSQL (throw-away databases, as bench.seed makes
them). Prints a markdown table; bench/RESULTS.md is left alone.

Each measurement runs in a fresh process, so its memory figures are its own:
- seconds: app.services.bank.question_import.commit (read, check, insert) plus the commit, wall clock;
  "of which reading + checking" is questions.parse alone on the same file;
- RSS growth: the peak resident set size during the import (VmHWM, reset just before) minus the resident
  size before it (the process has already imported the app and openpyxl and holds the file's bytes);
- Python peak: tracemalloc's peak during a second import of the same file into another topic (tracemalloc
  slows Python down, so that run is not the timed one).
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import sqlite3
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench import seed

KINDS = ("single", "single", "multiple", "true_false")
DIFFICULTIES = ("easy", "medium", "hard")
TOPICS = (
    "chỉnh trang đô thị",
    "nếp sống văn minh đô thị",
    "nhiệm vụ kép phòng, chống Covid-19",
    "dịch vụ công trực tuyến",
    "cải cách hành chính",
    "xây dựng Đảng",
)


def questions(n: int) -> list[dict]:
    out = []
    for i in range(1, n + 1):
        kind = KINDS[i % len(KINDS)]
        topic = TOPICS[i % len(TOPICS)]
        text = (
            f"Câu {i}: Theo Nghị quyết Đại hội Đảng bộ thành phố Thủ Dầu Một, nội dung nào đúng về {topic} "
            f"trong giai đoạn 2020–2025 (phương án {i % 7})?"
        )
        if kind == "true_false":
            options = [("Đúng", i % 2 == 0), ("Sai", i % 2 == 1)]
        else:
            count = 4 + i % 3
            right = {i % count} if kind == "single" else {i % count, (i + 1) % count}
            options = [(f"Phương án {j + 1} về {topic}, mục {i}.{j}", j in right) for j in range(count)]
        out.append(
            {
                "kind": kind,
                "text": text,
                "options": options,
                "difficulty": DIFFICULTIES[i % 3],
                "explanation": f"Giải thích câu {i}: xem phần {i % 5 + 1} của Nghị quyết.",
                "source_ref": f"Phần {i % 5 + 1}, mục {i % 9 + 1}",
                "tags": [topic.split(",")[0][:40]],
            }
        )
    return out


def xlsx_file(items: list[dict]) -> bytes:
    from app.services.bank.import_sheet import sheet_row, workbook_bytes

    return workbook_bytes([sheet_row(**q) for q in items])


def moodle_file(items: list[dict]) -> bytes:
    from app.models import Question, QuestionOption, Topic
    from app.services.bank.question_export import moodle_xml
    from app.services.bank.question_rules import tags_column

    pairs = [
        (
            Question(
                topic_id=0,
                kind=q["kind"],
                text=q["text"],
                explanation=q["explanation"],
                difficulty=q["difficulty"],
                tags=tags_column(q["tags"]),
            ),
            [QuestionOption(question_id=0, position=j, text=t, correct=c) for j, (t, c) in enumerate(q["options"])],
        )
        for q in items
    ]
    return moodle_xml(Topic(unit_id=0, name="Nghị quyết Đại hội"), pairs)


def prepare(kind: str, url: str, data_dir: Path) -> None:
    """Migrate; one unit with an organiser and two topics per file (a timed run and a traced one)."""
    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Member, MemberRole, Topic, Unit
    from app.services import migrate

    engine = make_engine(Settings(database_url=url, secret_key=seed.SECRET, data_dir=data_dir, _env_file=None))
    try:
        migrate.upgrade(engine)
        with session_scope(engine) as session:
            unit = Unit(code="BENCH", name="Đảng bộ Đo tải", kind="Đảng bộ", headcount=1)
            session.add(unit)
            session.flush()
            unit.path = f"/{unit.id}/"
            member = Member(full_name="Nguyễn Văn Tổ Chức", phone="0900000001", member_code="BTC001", unit_id=unit.id, password_hash="")
            session.add(member)
            session.flush()
            session.add(MemberRole(member_id=member.id, role="organiser", unit_id=unit.id))
            session.add_all([Topic(unit_id=unit.id, name=f"Chủ đề {i}") for i in range(1, 5)])
    finally:
        engine.dispose()


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(field + ":"))


def _reset_peak_rss() -> int:
    """Reset the peak resident set size to the current one (Linux: clear_refs 5) and return it, in KiB.
    ru_maxrss cannot serve: a child started by fork + exec inherits its parent's peak, and the parent
    held the generated files."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status_kib("VmRSS")


def measure(url: str, data_dir: str, path: str, timed_topic: int, traced_topic: int) -> dict:
    """In a fresh process: one timed import, a parse alone, one import under tracemalloc."""
    import charset_normalizer  # noqa: F401 - imported before the baseline, like in a running server
    import openpyxl  # noqa: F401

    from app.config import Settings
    from app.db import make_engine, session_scope
    from app.models import Member
    from app.services.bank import question_import as qi
    from app.services.org.access import actor_for

    content = Path(path).read_bytes()
    name = Path(path).name
    engine = make_engine(Settings(database_url=url, secret_key=seed.SECRET, data_dir=Path(data_dir), _env_file=None))

    def run(topic_id: int) -> int:
        with session_scope(engine) as session:
            member = session.get(Member, 1)
            assert member is not None
            actor = actor_for(session=session, member=member)
            return qi.commit(session=session, actor=actor, topic_id=topic_id, content=content, filename=name).created

    try:
        with session_scope(engine, write=False) as session:  # connect before the baseline
            session.get(Member, 1)
        rss_before = _reset_peak_rss()
        t0 = time.perf_counter()
        created = run(timed_topic)
        seconds = time.perf_counter() - t0
        rss_after = _status_kib("VmHWM")
        t0 = time.perf_counter()
        plan = qi.parse(content, name)
        parse_seconds = time.perf_counter() - t0
        assert plan.ok and len(plan.questions) == created
        tracemalloc.start()
        run(traced_topic)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        engine.dispose()
    return {
        "created": created,
        "seconds": seconds,
        "parse_seconds": parse_seconds,
        "rss_growth_mib": (rss_after - rss_before) / 1024,
        "tracemalloc_peak_mib": peak / 1024 / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.questions", description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--write",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="rewrite this issue's section of bench/RESULTS.md (default: yes)",
    )
    args = parser.parse_args(argv)
    items = questions(args.questions)
    spawn = multiprocessing.get_context("spawn")
    rows = []
    with tempfile.TemporaryDirectory(prefix="hoithi-bench-questions-") as tmp:
        files = {"XLSX": Path(tmp) / "ngan-hang.xlsx", "Moodle XML": Path(tmp) / "ngan-hang.xml"}
        files["XLSX"].write_bytes(xlsx_file(items))
        files["Moodle XML"].write_bytes(moodle_file(items))
        kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
        for kind in kinds:
            if kind == "postgresql" and (reason := seed.pg_available()):
                print(f"PostgreSQL unavailable, skipped: {reason}")
                continue
            db_dir = Path(tmp) / kind
            db_dir.mkdir()
            with seed.database(kind, db_dir) as url:
                prepare(kind, url, db_dir)
                for index, (fmt, path) in enumerate(files.items()):
                    with spawn.Pool(1) as pool:
                        r = pool.apply(measure, (url, str(db_dir), str(path), 1 + 2 * index, 2 + 2 * index))
                    rows.append((kind, fmt, path.stat().st_size, r))
                    print(f"{kind} {fmt}: {r}", flush=True)
        baseline = {fmt: _baseline(path) for fmt, path in files.items()}
    lines = [
        HEADER,
        "",
        f"Command: `python -m bench.questions` (part of `make bench`), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        f"{args.questions} questions per file; Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; "
        "each import in a fresh process, on the same 2-core machine as everything else.",
        "",
        "Baseline, same run: only reading the same file with its library (openpyxl read-only rows for XLSX, "
        "ElementTree for XML), nothing checked or written. The ratio says what the import adds to that.",
        "",
        "| database | file | size (MiB) | questions | import s | of which reading + checking s | "
        "baseline read s | import : baseline | RSS growth (MiB) | Python peak, tracemalloc (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, fmt, size, r in rows:
        base = baseline[fmt]
        lines.append(
            f"| {kind} | {fmt} | {size / 1024 / 1024:.1f} | {r['created']} | {r['seconds']:.2f} | "
            f"{r['parse_seconds']:.2f} | {base:.2f} | {r['seconds'] / base:.1f}× | {r['rss_growth_mib']:.0f} | "
            f"{r['tracemalloc_peak_mib']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        from bench.report import write_section

        print(f"wrote {write_section(HEADER, text)}")


HEADER = "## Issue 3 — question bank import"


def _baseline(path: Path) -> float:
    """Seconds to only read the file with the library the importer uses (median of 3)."""
    import statistics
    import xml.etree.ElementTree as ET

    import openpyxl

    samples = []
    for _ in range(3):
        started = time.perf_counter()
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
            for _row in wb.worksheets[0].iter_rows(values_only=True):
                pass
            wb.close()
        else:
            ET.parse(path)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


if __name__ == "__main__":
    main()
