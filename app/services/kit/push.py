"""Web Push (RFC 8030 with VAPID, RFC 8292, and aes128gcm payloads, RFC 8291) through pywebpush: the server's
key pair, made once and kept beside the database like the secret key, and one send to one subscription."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid01
from pywebpush import WebPushException, webpush

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


def send(*, endpoint: str, p256dh: str, auth: str, message: dict[str, Any], key: Vapid01, contact: str) -> Outcome:
    """Encrypt the message (JSON) for this subscription and post it to its push service."""
    try:
        response: Any = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=json.dumps(message, ensure_ascii=False),
            vapid_private_key=key,
            vapid_claims={"sub": contact},
            timeout=TIMEOUT_S,
            ttl=24 * 3600,
        )
        status = getattr(response, "status_code", None)
        return Outcome(ok=True, status=status, gone=False)
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        return Outcome(ok=False, status=status, gone=status in GONE)
    except Exception:  # a push service that cannot be reached: counted as failed, tried again next time
        return Outcome(ok=False, status=None, gone=False)
