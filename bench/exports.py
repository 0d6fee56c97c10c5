"""`python -m bench.exports`: the judges' result exports (issue 6) of a 100,000-member ranked list, as XLSX,
CSV and the PDF minutes (100 winners plus the whole list as annex): seconds and peak memory of each. XLSX is
measured twice: on the 9-column synthetic shape the other lines use, and on the 14 columns of the real ranked
list (app.services.results.results.ranking_columns), which is what a judge downloads.

Each export runs in a fresh interpreter (`python -m bench.exports --child FORMAT`), so its memory figures are
its own. The child imports everything first, then resets its peak resident size (clear_refs, as
bench.questions does) and reads the resident size: the baseline. After the export, the peak is
getrusage(RUSAGE_SELF).ru_maxrss; the growth is peak minus baseline. Rows come from a generator, as they
would from a database cursor, so any growth is the writer's own.

Same-run baselines: only generating the rows (what every line includes), and writing them with the plain
`csv` module (csv.writer.writerows, values as str() makes them). The ratios say what an export adds to that.
With --write-results the table replaces this issue's section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.services.kit.sheets import Column

HEADER = "## Issue 6 — result exports (`python -m bench.exports`)"
XLSX_WIDE = "XLSX 14 columns"
FORMATS = ("rows only", "plain csv", "CSV", "XLSX", XLSX_WIDE, "PDF")
GOAL_XLSX_S, GOAL_XLSX_MB = 15.0, 300.0
WINNERS = 100
ROOT = Path(__file__).resolve().parent.parent

FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trịnh",
    "Mai",
    "Tạ",
)
MIDDLE = (
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Minh",
    "Ngọc",
    "Thu",
    "Thanh",
    "Quang",
    "Hoàng",
    "Phương",
    "Thị Thu",
    "Văn Đức",
    "Thị Ngọc",
    "Xuân",
    "Kim",
)
GIVEN = (
    "Anh",
    "Bảo",
    "Châu",
    "Dũng",
    "Hà",
    "Hường",
    "Khôi",
    "Linh",
    "Mạnh",
    "Nghĩa",
    "Phúc",
    "Quỳnh",
    "Tuyết",
    "Thảo",
    "Trang",
    "Việt",
    "Yến",
    "Ánh",
    "Đạt",
    "Giang",
    "Huệ",
    "Lộc",
    "Nhung",
    "Sơn",
    "Tâm",
    "Ước",
)
COMMUNES = (
    "Yên Phong",
    "Đông Xuyên",
    "Tam Đa",
    "Văn Môn",
    "Dũng Liệt",
    "Hòa Tiến",
    "Long Châu",
    "Đông Phong",
    "Thụy Hòa",
    "Trung Nghĩa",
    "Đông Tiến",
    "Yên Trung",
    "Tam Giang",
    "Đông Thọ",
    "Song Hồ",
    "Xuân Lâm",
    "Hà Mãn",
    "Ngũ Thái",
    "Nguyệt Đức",
    "Ninh Xá",
)
CELLS = ("Chi đoàn Thôn", "Chi đoàn Khu phố", "Chi đoàn Trường THPT", "Chi đoàn Trạm Y tế", "Chi đoàn Công an")
SEALED_AT = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


def columns() -> list[Column]:
    from app.services.kit.sheets import Column  # here, so that the parent process stays small

    return [
        Column("Hạng", 7, "int"),
        Column("Họ và tên", 28),
        Column("Mã hội viên", 12),
        Column("Đơn vị", 44),
        Column("Điểm", 7, "int"),
        Column("Tỉ lệ đúng", 10, "percent"),
        Column("Thời gian làm bài", 10),
        Column("Dự đoán", 9, "int"),
        Column("Nộp bài lúc", 20, "datetime"),
    ]


def wide_columns() -> list[Column]:
    from app.services.results.results import ranking_columns

    return ranking_columns()


def ranked_rows(n: int, seed: int = 6) -> Iterator[tuple]:
    """n members in rank order: score falls, time taken rises; a lazily made, realistic ranked list."""
    rng = random.Random(seed)
    units = [f"{CELLS[i % len(CELLS)]} {i // 50 + 1}, Đoàn xã {COMMUNES[(i * 7) % len(COMMUNES)]}" for i in range(1000)]
    start = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
    for rank in range(1, n + 1):
        score = max(0, 20 - (rank * 21) // (n + 1))
        seconds = 120 + (rank * 1080) // n + rng.randrange(0, 30)
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        submitted = start + timedelta(seconds=rng.randrange(0, 6 * 24 * 3600))
        yield (
            rank,
            name,
            f"BN{rank:06d}",
            units[rng.randrange(len(units))],
            score,
            score / 20,
            f"{seconds // 60:02d}:{seconds % 60:02d}",
            4000 + rng.randrange(-500, 500),
            submitted,
        )


def wide_rows(n: int, seed: int = 6) -> Iterator[tuple]:
    """The same members in the shape results.ranking_rows yields: rank, member code, name, unit code, unit name,
    score, right answers, questions, prediction, prediction error, duration (ms), submitted at, attempts, prize."""
    prizes = ["Giải Nhất"] + ["Giải Nhì"] * 2 + ["Giải Ba"] * 3 + ["Giải Khuyến khích"] * (WINNERS - 6)
    for rank, name, code, unit, score, _share, taken, prediction, submitted in ranked_rows(n, seed):
        minutes, seconds = (int(x) for x in taken.split(":"))
        yield (
            rank,
            code,
            name,
            f"CB{zlib.crc32(unit.encode()) % 1000:04d}",
            unit,
            score,
            score,
            20,
            prediction,
            abs(prediction - 4000),
            (minutes * 60 + seconds) * 1000 + rank % 1000,
            submitted,
            1 + rank % 3,
            prizes[rank - 1] if rank <= WINNERS else None,
        )


def _export(fmt: str, rows: int, out: Path) -> Path:
    from zoneinfo import ZoneInfo

    from app.services.kit.sheets import Column, Part, Report, iter_csv, write_xlsx
    from app.services.results.minutes_pdf import Minutes, write_minutes_pdf

    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    cols = columns()
    if fmt == "rows only":
        for _row in ranked_rows(rows):
            pass
        return out
    if fmt == "plain csv":
        path = out / "plain.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.header for c in cols])
            writer.writerows(ranked_rows(rows))
        return path
    if fmt == "CSV":
        path = out / "xep-hang.csv"
        with path.open("wb") as fh:
            for chunk in iter_csv(Part("Xếp hạng", cols, ranked_rows(rows)), tz):
                fh.write(chunk)
        return path
    if fmt in ("XLSX", XLSX_WIDE):
        part = Part("Xếp hạng", cols, ranked_rows(rows)) if fmt == "XLSX" else Part("Xếp hạng", wide_columns(), wide_rows(rows))
        path = out / "xep-hang.xlsx"
        with path.open("wb") as fh:
            write_xlsx(
                Report(
                    "Danh sách xếp hạng — Tuần 1",
                    [part],
                    tz,
                    note_lines=["Mã niêm phong SHA-256: " + "0f" * 32, "Niêm phong lúc 26/11/2026 09:00:00"],
                ),
                fh,
            )
        return path
    prizes = ["Giải Nhất"] + ["Giải Nhì"] * 2 + ["Giải Ba"] * 3 + ["Giải Khuyến khích"] * (WINNERS - 6)
    winners = Part(
        "Đạt giải",
        [Column("Giải", 16), *cols[:2], cols[3], cols[4], cols[8]],
        ((prizes[i], r[0], r[1], r[3], r[4], r[8]) for i, r in enumerate(ranked_rows(WINNERS))),
    )
    minutes = Minutes(
        organisation="Đoàn Thanh niên tỉnh Bắc Ninh",
        contest_title="Cuộc thi trực tuyến tìm hiểu Nghị quyết Đại hội Đảng bộ tỉnh lần thứ XX",
        round_title="Tuần 1 (từ 20/11 đến 26/11/2026)",
        place_date="Bắc Ninh, ngày 26 tháng 11 năm 2026",
        criteria=["Mỗi người tính lượt thi có điểm cao nhất.", "Bằng điểm: dự đoán gần đúng hơn, rồi làm nhanh hơn."],
        totals=[("Số người dự thi", f"{rows:,}".replace(",", ".")), ("Số lượt thi", f"{2 * rows:,}".replace(",", "."))],
        prediction=("Có bao nhiêu người trả lời đúng tất cả câu hỏi?", "4.000"),
        winners=winners,
        unit_winners=None,
        digest="0f" * 32,
        sealed_at="26/11/2026 09:00:00",
        signatures=["TRƯỞNG BAN GIÁM KHẢO", "THƯ KÝ"],
        annex=Part("Xếp hạng", cols, ranked_rows(rows)),
        tz=tz,
    )
    path = out / "bien-ban.pdf"
    with path.open("wb") as fh:
        write_minutes_pdf(minutes, fh)
    return path


def child(fmt: str, rows: int, out: Path) -> dict:
    import fpdf  # noqa: F401 - every library loaded before the baseline, as in a running server

    import app.services.kit.sheets
    import app.services.results.minutes_pdf
    import app.services.results.results  # noqa: F401 - the real ranked list's columns (XLSX 14 columns)
    from bench.questions import _reset_peak_rss, _status_kib

    baseline_kib = _reset_peak_rss()
    t0, c0 = time.perf_counter(), time.process_time()
    path = _export(fmt, rows, out)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "format": fmt,
        "rows": rows,
        "seconds": seconds,
        "cpu_s": cpu,
        "baseline_mb": baseline_kib / 1024,
        "peak_mb": peak_kib / 1024,
        "delta_mb": max(peak_kib - baseline_kib, 0) / 1024,
        "hwm_mb": _status_kib("VmHWM") / 1024,
        "bytes": path.stat().st_size if path.is_file() else 0,
    }


def run_child(fmt: str, rows: int, out: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.exports", "--child", fmt, "--rows", str(rows), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"{fmt}: exit {proc.returncode}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _machine() -> str:
    from bench.run import machine_facts

    m = machine_facts()

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    return (
        f"Machine: nproc = {m['nproc']} ({m['cpu_model']}), {m['mem_gib']} GiB, Linux {m['kernel']}, load average "
        f"at start {m['loadavg_at_start'][0]:.2f}; Python {m['python']}, zlib {zlib.ZLIB_RUNTIME_VERSION}, "
        f"fpdf2 {version('fpdf2')}."
    )


def table(results: list[dict]) -> str:
    base = next(r for r in results if r["format"] == "plain csv")
    lines = [
        "| export | rows | file MB | wall s | CPU s | wall : plain csv | CPU : plain csv | peak RSS MB | baseline RSS MB | growth MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        size = f"{r['bytes'] / 1e6:.1f}" if r["bytes"] else "–"
        lines.append(
            f"| {r['format']} | {r['rows']:,} | {size} | {r['seconds']:.2f} | {r['cpu_s']:.2f} | "
            f"{r['seconds'] / base['seconds']:.1f}× | {r['cpu_s'] / base['cpu_s']:.1f}× | {r['peak_mb']:.0f} | "
            f"{r['baseline_mb']:.0f} | {r['delta_mb']:.0f} |"
        )
    return "\n".join(lines)


def verdict(results: list[dict]) -> str:
    lines = []
    for x in results:
        if x["format"] not in ("XLSX", XLSX_WIDE):
            continue
        ok = x["seconds"] < GOAL_XLSX_S and x["peak_mb"] < GOAL_XLSX_MB
        shape = "14 columns, the real ranked list" if x["format"] == XLSX_WIDE else "9 columns"
        lines.append(
            f"Goal for {x['rows']:,} rows: XLSX ({shape}) under {GOAL_XLSX_S:.0f} s and under "
            f"{GOAL_XLSX_MB:.0f} MB: {'**met**' if ok else '**not met**'} ({x['seconds']:.2f} s wall, "
            f"{x['cpu_s']:.2f} s CPU, peak {x['peak_mb']:.0f} MB of which {x['delta_mb']:.0f} MB grew during "
            "the export)."
        )
    return "\n\n".join(lines)


def section(results: list[dict], args: argparse.Namespace, started: datetime, elapsed: float) -> str:
    from app.services.kit import xlsx
    from bench import report

    return "\n".join(
        [
            HEADER,
            "",
            f"Command: `python -m bench.exports --rows {args.rows}`, started {started:%Y-%m-%d %H:%M:%S} UTC, took "
            f"{elapsed:.0f} s. Code: {report._git_rev()}.",
            "",
            _machine(),
            "",
            f"Data: a ranked list of {args.rows:,} members made lazily by a generator (Vietnamese names, 1,000 cells, "
            "9 columns: rank, name, member code, unit, score, share right, time taken, prediction, submitted at), as a "
            'database cursor would hand it over; "XLSX 14 columns" writes the same members in the 14 columns of the real '
            "ranked list (app.services.results.results.ranking_columns: rank, member code, name, unit code, unit, score, right "
            "answers, questions, prediction, prediction error, duration, submitted at, attempts, prize). "
            "XLSX: app.services.kit.sheets.write_xlsx (our streaming OOXML writer app.services.kit.xlsx, deflate level "
            f'{xlsx.COMPRESSLEVEL}, typed cells, plus the "Ghi chú" sheet); CSV: sheets.iter_csv written chunk by chunk; PDF: the minutes '
            f"(minutes_pdf.write_minutes_pdf) with {WINNERS} winners and the whole list as annex. Each line runs in a fresh "
            "process: baseline RSS is the resident size after imports, just before the export; peak is ru_maxrss "
            'after it (the peak reset just before the baseline); growth is the difference. "rows only" consumes the '
            'generator and writes nothing; "plain csv" is csv.writer.writerows of the same rows: the yardstick.',
            "",
            table(results),
            "",
            verdict(results),
            "",
            per_cell(results),
            "",
        ]
    )


def per_cell(results: list[dict]) -> str:
    """Time per cell, from which a list with more columns can be estimated."""
    parts = []
    for r in results:
        if r["format"] in ("CSV", "XLSX", XLSX_WIDE, "PDF"):
            n_cols = len(wide_columns() if r["format"] == XLSX_WIDE else columns())
            parts.append(f"{r['format']} {r['seconds'] * 1e6 / (r['rows'] * n_cols):.1f} µs ({n_cols} columns)")
    return (
        "Per cell (wall time): " + ", ".join(parts) + ". The time grows with the cells, so a ranked list with "
        "more columns takes longer in proportion; memory stays flat except for the PDF, which fpdf2 assembles "
        "in memory before writing it out."
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated subset of: " + ", ".join(FORMATS))
    parser.add_argument("--write-results", action="store_true", help="replace this issue's section of bench/RESULTS.md")
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.out)))
        return
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        parser.error(f"unknown format(s): {', '.join(unknown)}")
    if "plain csv" not in formats:
        formats.insert(0, "plain csv")  # every ratio is to it
    started, t0 = datetime.now(timezone.utc), time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="hoithi-bench-exports-") as tmp:
        for fmt in formats:
            out = Path(tmp) / fmt.replace(" ", "-")
            out.mkdir()
            results.append(run_child(fmt, args.rows, out))
            r = results[-1]
            print(
                f"{fmt}: {r['seconds']:.2f} s, CPU {r['cpu_s']:.2f} s, peak {r['peak_mb']:.0f} MB "
                f"(+{r['delta_mb']:.0f}), {r['bytes']:,} bytes",
                file=sys.stderr,
                flush=True,
            )
    text = section(results, args, started, time.perf_counter() - t0)
    print(text)
    if args.write_results:
        from bench.report import write_section

        print(f"wrote {write_section(HEADER, text)}", file=sys.stderr)


if __name__ == "__main__":
    main()
