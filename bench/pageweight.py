"""`python -m bench.pageweight`: what the quiz costs a phone on 3G, in bytes over the wire (issue 4).

A member of a throw-away SQLite bench database starts a round of 20 drawn questions (bench.attempts'
round); the quiz page, its CSS and scripts are fetched as a phone would (Accept-Encoding: gzip) and
without compression, then one tap-save. Static files carry a content hash in their URL and are cached
for a year (Cache-Control immutable), so a second visit costs the HTML alone. Body bytes as sent
(httpx's num_bytes_downloaded); HTTP headers add a few hundred bytes per response. Times at 3G are the
bytes over 50 kB/s (400 kbit/s, a poor 3G link), latency excluded. Rewrites the "Issue 4 — quiz page weight"
section of bench/RESULTS.md.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from bench import report, seed
from bench.attempts import prepare_round

HEADER = "## Issue 4 — quiz page weight"
LINK_3G = 50_000  # bytes per second


def measure() -> list[tuple[str, int, int]]:
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    with tempfile.TemporaryDirectory(prefix="hoithi-weight-") as tmp:
        db = seed.populate("sqlite", f"sqlite:///{Path(tmp) / 'w.db'}", Path(tmp), members=2)
        round_id = prepare_round(db, questions=40, draw=20)
        app = create_app(
            Settings(
                database_url=db.url, secret_key=seed.SECRET, data_dir=Path(tmp), _env_file=None, sweep_every_s=0, insecure_cookies=True
            )
        )
        rows = []
        with TestClient(app, base_url="http://127.0.0.1") as client:
            client.cookies.set("hoithi_token", db.tokens[0])
            started = client.post(f"/api/v1/rounds/{round_id}/attempts", headers={"Authorization": f"Bearer {db.tokens[0]}"}).json()
            page_path = f"/attempts/{started['id']}"

            def fetch(path: str) -> tuple[int, int, str]:
                gz = client.get(path, headers={"Accept-Encoding": "gzip"})
                plain = client.get(path, headers={"Accept-Encoding": "identity"})
                assert gz.status_code == 200 and plain.status_code == 200, (path, gz.status_code)
                return gz.num_bytes_downloaded, plain.num_bytes_downloaded, gz.text

            html_gz, html_plain, html = fetch(page_path)
            rows.append(("quiz page HTML (20 questions, 4 options each)", html_gz, html_plain))
            for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
                gz, plain, _ = fetch(asset)
                rows.append((asset.split("?")[0], gz, plain))
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
            option = started["questions"][0]["options"][0]["id"]
            tap = client.post(
                f"{page_path}/answer/1",
                data={"q1": option},
                headers={"HX-Request": "true", "X-CSRF-Token": csrf, "Accept-Encoding": "gzip"},
            )
            assert tap.status_code == 200, tap.text
            rows.append(("one tap-save (htmx fragment)", tap.num_bytes_downloaded, len(tap.content)))
        app.state.engine.dispose()
    return rows


def section(rows: list[tuple[str, int, int]]) -> str:
    first = sum(gz for name, gz, _ in rows if not name.startswith("one tap"))
    html = rows[0][1]
    lines = [
        HEADER,
        "",
        "Command: `python -m bench.pageweight` (in `make bench`). Code: " + report._git_rev() + ".",
        "",
        __doc__.split("\n\n", 1)[1].strip().replace("\n", " "),
        "",
        "| what | bytes gzip (as sent to a phone) | bytes uncompressed |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {gz:,} | {plain:,} |" for name, gz, plain in rows]
    lines += [
        "",
        f"First visit: **{first:,} bytes** (≈ {first / LINK_3G:.1f} s at 50 kB/s); a later visit or a reload "
        f"halfway: **{html:,} bytes** (≈ {html / LINK_3G:.2f} s); each tap: {rows[-1][1]:,} bytes.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    text = section(measure())
    print(text)
    report.write_section(HEADER, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
