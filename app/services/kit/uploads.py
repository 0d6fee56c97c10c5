"""Files kept between an import's preview and its commit (the two requests may reach different workers)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from app.errors import N_, Conflict, NotFound
from app.models import Upload
from app.models.types import utcnow
from app.services.org.access import Actor

KEEP_FOR = timedelta(days=1)


def save(*, session: Session, actor: Actor, kind: str, filename: str, content: bytes) -> Upload:
    # Old previews nobody committed are not worth keeping: they hold personal data.
    session.execute(delete(Upload).where(col(Upload.created_at) < utcnow() - KEEP_FOR))
    upload = Upload(kind=kind, filename=filename[:255], content=content, created_by_id=actor.id)
    session.add(upload)
    session.flush()
    return upload


def pending(*, session: Session, actor: Actor, upload_id: int, kind: str) -> Upload:
    """An upload of this actor's that is still waiting for its commit."""
    upload = session.get(Upload, upload_id)
    if upload is None or upload.kind != kind or upload.created_by_id != actor.id:
        raise NotFound(N_("Không tìm thấy tệp đã tải lên. Vui lòng tải tệp lên lại."))
    if upload.committed_at is not None:
        raise Conflict(N_("Tệp này đã được nhập rồi."))
    return upload


def mark_committed(*, session: Session, upload: Upload) -> None:
    upload.committed_at = utcnow()
    upload.content = b""  # the members are in their table now; the file need not linger
    session.flush()
