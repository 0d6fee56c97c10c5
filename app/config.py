"""One Settings object, read from HOITHI_* environment variables and `.env`."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOITHI_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///hoithi.db"
    # Where the generated secret key file lives when no secret_key is given. Several hosts behind one
    # load balancer must share one key: set HOITHI_SECRET_KEY on each of them.
    data_dir: Path | None = None
    secret_key: str | None = Field(default=None, repr=False)
    timezone: str = "Asia/Ho_Chi_Minh"
    # The address people reach the site at, for share links and QR codes (e.g. https://thi.tdm.vn). When
    # unset, the address of the request is used.
    public_url: str | None = None
    # who push services may write to about this server's reminders (VAPID "sub": mailto: or https:)
    push_contact: str = "mailto:bantochuc@hoithi.vn"
    # Host names this server answers to (comma-separated); others get 400. Share links and QR codes use
    # public_url, else the request's host only when it is one of these (or, with neither set, a loopback or
    # LAN address: a trial on a laptop).
    allowed_hosts: str = ""

    @property
    def allowed_host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]

    token_lifetime_s: int = 12 * 3600
    jwt_audience: str = "hoithi"
    # Production default: cookies only travel over HTTPS. A plain-HTTP trial on a LAN (phones hitting a
    # laptop) sets HOITHI_INSECURE_COOKIES=true.
    insecure_cookies: bool = False
    default_locale: str = "vi"
    # What pages call members: "auto" takes it from the top unit's kind (Đảng bộ → đảng viên, Đoàn → đoàn
    # viên, else hội viên); or one of hoi_vien, dang_vien, doan_vien.
    member_term: str = "auto"
    # Login throttling (failures per window).
    login_window_s: int = 900
    login_max_failures_per_account: int = 10
    # Generous: a whole office or a mobile carrier's NAT can share one address.
    login_max_failures_per_ip: int = 100
    # Correct logins to one account per window: beyond this a burst (a script, a shared password) waits.
    login_max_successes_per_account: int = 30
    # Phones or member codes an organiser may find taken by members outside their scope per hour (phones
    # are unique across the whole system, so each refusal says one exists); beyond it they wait.
    foreign_matches_per_hour: int = 50
    # Guests joining live games from one address per 10 minutes (app.services.live.guests). Generous: a hall's
    # Wi-Fi puts a whole room of guests behind one address; it stops a script filling a game with names.
    live_guest_joins_per_ip: int = 200
    # How stale a worker's snapshot of a token's member (roles, active, token version) may be: a logout,
    # deactivation or role change done through another worker or host takes effect within this many
    # seconds (each worker reads the change feed twice as often; app.services.org.principals).
    auth_cache_s: float = 5.0
    # How long a snapshot is kept while the change feed is read (a change made in the database by hand,
    # outside the app, writes no feed entry and is seen after this long).
    auth_max_age_s: float = 600.0
    # Threads per worker for blocking work (database, argon2), and database connections per worker.
    threads: int = 16
    # PostgreSQL: how a member's page reads its own rows on the event loop. "block" holds the loop for the
    # round trip (cheaper in CPU, for a server on this machine); "wait" awaits it; "auto" blocks when the
    # server is on a loopback address or a Unix socket (docs/performance.md#postgresql-reads-that-hold-the-loop).
    pg_loop_reads: Literal["auto", "block", "wait"] = "auto"
    # How often each worker finalises attempts whose time ran out and closes rounds past closes_at
    # (0 turns the sweep off).
    sweep_every_s: float = 30.0
    # How often each worker looks for open rounds whose live standings are due a rebuild (every round is
    # rebuilt at most every 5 s across all workers, and only when it has new submissions).
    live_every_s: float = 5.0
    # How long a worker may serve a leaderboard it has already read (0 turns the cache off).
    board_cache_s: float = 5.0
    sql_echo: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_data_dir(self) -> Path:
        if self.data_dir is not None:
            return Path(self.data_dir)
        if self.is_sqlite:
            db_path = self.database_url.split("///", 1)[-1]
            if db_path and db_path != ":memory:":
                return Path(db_path).resolve().parent
        return Path("var").resolve()

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        return keep_once(self.resolved_data_dir() / ".hoithi-secret", lambda: secrets.token_urlsafe(48))


def keep_once(path: Path, make: Callable[[], str]) -> str:
    """Read a key kept beside the database, creating it with make() (mode 0600) the first time.

    The key is written to a private temporary file and then hard-linked into place: the link either
    appears whole or fails because another worker won the race, so nobody ever reads a half-written key.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(make())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read_key(path)


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"secret key file {path} is empty; delete it or set HOITHI_SECRET_KEY")
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
