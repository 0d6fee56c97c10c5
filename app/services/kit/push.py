"""Web Push (RFC 8030 with VAPID, RFC 8292, and aes128gcm payloads, RFC 8291) through pywebpush: the server's
key pair, made once and kept beside the database like the secret key, and one send to one subscription."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid01
from pywebpush import WebPusher

from app.config import keep_once

TIMEOUT_S = 10.0
GONE = (404, 410)  # the push service says the subscription no longer exists


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None
    gone: bool  # the subscription should be deleted


def vapid(data_dir: Path) -> Vapid01:
    """The server's VAPID key, created (PEM, mode 0600) by the first worker that needs it."""
    pem = keep_once(data_dir / ".hoithi-vapid.pem", _new_pem)
    return Vapid01.from_pem(pem.encode())


def _new_pem() -> str:
    key = Vapid01()
    key.generate_keys()
    return key.private_pem().decode()


def public_key(key: Vapid01) -> str:
    """The applicationServerKey a browser subscribes with: the uncompressed P-256 point, base64url."""
    raw = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Pusher:
    """Posts many messages for one key: one HTTP session (kept-alive connections to each push service) and
    the VAPID header signed once per push service for its 12 hours, not once per message."""

    def __init__(self, key: Vapid01, contact: str) -> None:
        self.key, self.contact = key, contact
        self.session = requests.Session()
        self._signed: dict[str, tuple[float, dict[str, str]]] = {}

    def _vapid(self, endpoint: str) -> dict[str, str]:
        url = urlparse(endpoint)
        audience = f"{url.scheme}://{url.netloc}"
        found = self._signed.get(audience)
        if found is None or found[0] < time.time() + 600:
            expires = int(time.time()) + 12 * 3600
            found = (expires, self.key.sign({"sub": self.contact, "aud": audience, "exp": expires}))
            self._signed[audience] = found
        return dict(found[1])

    def send(self, *, endpoint: str, p256dh: str, auth: str, message: dict[str, Any]) -> Outcome:
        """Encrypt the message (JSON) for this subscription and post it to its push service."""
        subscription = {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
        try:
            response: Any = WebPusher(subscription, requests_session=self.session).send(
                json.dumps(message, ensure_ascii=False),
                self._vapid(endpoint),
                ttl=24 * 3600,
                content_encoding="aes128gcm",
                timeout=TIMEOUT_S,
            )
        except Exception:  # a push service that cannot be reached: counted as failed, tried again next time
            return Outcome(ok=False, status=None, gone=False)
        status = int(response.status_code)
        return Outcome(ok=status <= 202, status=status, gone=status in GONE)

    def close(self) -> None:
        self.session.close()


def send(*, endpoint: str, p256dh: str, auth: str, message: dict[str, Any], key: Vapid01, contact: str) -> Outcome:
    """One message (see Pusher for many)."""
    pusher = Pusher(key, contact)
    try:
        return pusher.send(endpoint=endpoint, p256dh=p256dh, auth=auth, message=message)
    finally:
        pusher.close()
