"""`python -m bench.multihost`: two app instances that share nothing but PostgreSQL, behind nginx, as two
hosts would be (issue 15, point 18). Each instance is its own process with its own port, data directory
(key file, lock files) and caches; nginx (Debian's package) spreads requests over both.

1. whole round: M members play a round through nginx (start, every answer, some again, prediction, submit);
   mid-run one instance is killed with SIGKILL; afterwards the database is read directly and every
   acknowledged save is held against it (bench.flows.check_lost).
2. logout across hosts: a member logged in through instance A is seen by B; A logs them out; B refuses the
   token within HOITHI_AUTH_CACHE_S (the member change feed), polled every 100 ms.
3. standings built once: the round is closed through both instances at the same moment; one close is
   recorded and the standings hold one row per participant.

The figures replace this issue's section of bench/RESULTS.md with --write-results. Needs nginx on PATH
(`make bench` installs Debian's nginx-light) and the PostgreSQL the tests use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import flows, report, seed
from bench.attempts import prepare_round
from bench.run import log
from bench.servers import HOST, ROOT, Server, free_port

AUTH_CACHE_S = 5
NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
  uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  upstream hoithi {{ server {host}:{a}; server {host}:{b}; keepalive 64; }}
  server {{
    listen {host}:{port};
    location / {{
      proxy_pass http://hoithi;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_next_upstream error timeout http_502;
      proxy_connect_timeout 2s;
    }}
  }}
}}
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=600, help="members who play the whole round")
    p.add_argument("--concurrency", type=int, default=40)
    p.add_argument("--kill-after", type=float, default=6.0, help="seconds into the round when instance A dies")
    p.add_argument("--write-results", action="store_true")
    return p.parse_args(argv)


class Nginx:
    def __init__(self, tmp: Path, ports: tuple[int, int]) -> None:
        self.tmp, self.port = tmp, free_port()
        (tmp / "nginx.conf").write_text(NGINX_CONF.format(tmp=tmp, host=HOST, a=ports[0], b=ports[1], port=self.port))
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Nginx:
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen(
            [exe, "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf"), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(100):
            try:
                httpx.get(f"http://{HOST}:{self.port}/healthz", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start; see {self.tmp / 'nginx-error.log'}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)


def logout_across(a: Server, b: Server, phone: str) -> dict:
    """Seconds from a logout through A until B refuses the member's cookie."""
    with httpx.Client(base_url=a.base_url, timeout=10) as on_a:
        page = on_a.get("/login").text
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        r = on_a.post("/login", data={"username": phone, "password": seed.PASSWORD, "csrf_token": token})
        assert r.status_code in (200, 303), r.status_code
        cookies = dict(on_a.cookies)
        with httpx.Client(base_url=b.base_url, timeout=10, cookies=cookies) as on_b:
            assert on_b.get("/api/v1/me").status_code == 200  # B knows the member (and caches the snapshot)
            home = on_a.get("/").text
            csrf = home.split('name="csrf_token" value="')[1].split('"')[0]
            t0 = time.monotonic()
            assert on_a.post("/logout", data={"csrf_token": csrf}).status_code in (200, 303)
            while time.monotonic() - t0 < 30:
                if on_b.get("/api/v1/me").status_code == 401:
                    return {"seen_by_b_after_s": round(time.monotonic() - t0, 2), "limit_s": AUTH_CACHE_S}
                time.sleep(0.1)
    return {"seen_by_b_after_s": None, "limit_s": AUTH_CACHE_S}


def close_twice(a: Server, b: Server, round_id: int, organiser_token: str, db: seed.BenchDB) -> dict:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from app.models import AuditEntry, Round, Standing

    headers = {"Authorization": f"Bearer {organiser_token}"}
    with ThreadPoolExecutor(2) as pool:
        codes = list(
            pool.map(lambda s: httpx.post(f"{s.base_url}/api/v1/rounds/{round_id}/close", headers=headers, timeout=120).status_code, (a, b))
        )
    engine = flows.engine_for(db.url, db.data_dir)
    try:
        with Session(engine) as s:
            closes = s.exec(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "round.close", AuditEntry.entity_id == str(round_id))
            ).one()
            rows = s.exec(select(func.count()).select_from(Standing).where(Standing.round_id == round_id)).one()
            participants = (s.get(Round, round_id).totals or {}).get("participants")
    finally:
        engine.dispose()
    return {"answers": codes, "closes_recorded": int(closes), "standing_rows": int(rows), "participants": participants}


def organiser_token(db: seed.BenchDB) -> str:
    from sqlmodel import Session, select

    from app.models import Member
    from app.security import create_token

    engine = flows.engine_for(db.url, db.data_dir)
    try:
        with Session(engine) as s:
            org = s.exec(select(Member).where(Member.phone == "0800000001")).one()
            return create_token(member_id=org.id, token_version=org.token_version, secret=seed.SECRET, audience="hoithi", lifetime_s=3600)
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> dict:
    reason = seed.pg_available()
    if reason:
        raise SystemExit(f"multihost: PostgreSQL unavailable: {reason}")
    out: dict = {"members": args.members, "concurrency": args.concurrency, "kill_after_s": args.kill_after}
    with tempfile.TemporaryDirectory(prefix="hoithi-multihost-") as tmp_s, seed.database("postgresql", Path(tmp_s)) as url:
        tmp = Path(tmp_s)
        db = seed.populate("postgresql", url, tmp, members=args.members + 1)
        round_id = prepare_round(db, questions=40, draw=20)
        # plain HTTP on loopback: cookies without Secure, so the login page works for the logout check
        env = {**db.server_env(), "HOITHI_AUTH_CACHE_S": str(AUTH_CACHE_S), "HOITHI_SWEEP_EVERY_S": "0", "HOITHI_INSECURE_COOKIES": "true"}
        hosts = []
        for name in ("a", "b"):
            (tmp / name).mkdir()
            hosts.append(
                Server(
                    f"host-{name}", "app.main:app", workers=1, env={**env, "HOITHI_DATA_DIR": str(tmp / name)}, log_path=tmp / f"{name}.log"
                )
            )
        a, b = hosts
        with a, b, Nginx(tmp, (a.port, b.port)) as proxy:
            log(f"multihost: A :{a.port}, B :{b.port}, nginx :{proxy.port}; {args.members} members play the round")
            out["logout"] = logout_across(a, b, db.usernames[args.members])
            log(f"multihost: logout through A seen by B after {out['logout']['seen_by_b_after_s']} s")
            killed: dict = {}

            def kill_a() -> None:
                time.sleep(args.kill_after)
                assert a.proc is not None
                killed["at_s"] = args.kill_after
                os.killpg(a.proc.pid, signal.SIGKILL)  # the whole host, as a power cut would

            threading.Thread(target=kill_a, daemon=True).start()
            played = flows.run_async(
                flows.play_round(proxy.port, round_id, db.tokens[: args.members], concurrency=args.concurrency, reanswer_share=0.2)
            )
            flows.check_played(played, db.url, db.data_dir)
            assert a.proc is not None and a.proc.poll() is not None, "instance A was still running"
            played["killed_a_at_s"] = killed.get("at_s")
            played["a_exit_code"] = a.proc.returncode
            out["round"] = played
            c = played["check"]
            log(
                f"multihost: {played['requests']} requests in {played['wall_s']:.1f} s, errors {played['errors']}, "
                f"{c['acknowledged_saves']} saves acknowledged, lost {c['lost']}"
            )
            a.proc = None
            a.start()  # the host comes back: both close the round at once
            out["close"] = close_twice(a, b, round_id, organiser_token(db), db)
            log(f"multihost: close through both at once: {out['close']}")
    return out


def results_section(r: dict) -> str:
    c, rnd, lo, cl = r["round"]["check"], r["round"], r["logout"], r["close"]
    return "\n".join(
        [
            "Command: `python -m bench.multihost --write-results` (part of `make bench`): two app instances (one worker",
            "each, own port, data directory, lock files and caches) sharing only PostgreSQL, behind Debian's nginx.",
            "",
            "| what | figure |",
            "|---|---|",
            f"| whole round through nginx | {rnd['members']} members, {rnd['requests']:,} requests in {rnd['wall_s']:.1f} s "
            f"({rnd['requests_per_s']:.0f}/s), concurrency {rnd['concurrency']} |",
            f"| instance A killed (SIGKILL, whole process group) | {rnd['killed_a_at_s']} s into the round |",
            f"| requests that failed (the dead host's in-flight ones) | {rnd['errors']} |",
            f"| acknowledged saves / lost | {c['acknowledged_saves']:,} / **{c['lost']}** (missing {c['missing']}, "
            f"differing {c['differing']}) |",
            f"| acknowledged predictions lost | {c['predictions_lost']} |",
            f"| logout through A refused by B after | {lo['seen_by_b_after_s']} s (limit HOITHI_AUTH_CACHE_S = {lo['limit_s']} s) |",
            f"| close sent to A and B at once | answers {cl['answers']}; `round.close` recorded {cl['closes_recorded']}×; "
            f"{cl['standing_rows']} standing rows for {cl['participants']} participants |",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=1, default=str)[:4000])
    section = results_section(result)
    print(section)
    if args.write_results:
        header = "## Issue 15, point 18: two hosts behind nginx"
        report.write_section(header, f"{header}\n\n{section}")
        log(f"wrote {report.RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
