from __future__ import annotations

import stat
import threading

from app.config import Settings


def test_secret_generated_once_with_0600(tmp_path):
    s = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", _env_file=None)
    key = s.resolved_secret_key()
    path = tmp_path / ".hoithi-secret"
    assert path.exists() and len(key) >= 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", _env_file=None).resolved_secret_key() == key


def test_secret_race_between_workers_gives_one_key(tmp_path):
    s = Settings(database_url=f"sqlite:///{tmp_path / 'y.db'}", _env_file=None)
    keys: list[str] = []
    threads = [threading.Thread(target=lambda: keys.append(s.resolved_secret_key())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1


def test_explicit_secret_wins_and_defaults_are_secure(tmp_path, monkeypatch):
    monkeypatch.setenv("HOITHI_SECRET_KEY", "from-the-environment-0123456789")
    s = Settings(_env_file=None)
    assert s.resolved_secret_key() == "from-the-environment-0123456789"
    assert s.insecure_cookies is False
    assert s.timezone == "Asia/Ho_Chi_Minh"
    assert s.database_url.startswith("sqlite")
