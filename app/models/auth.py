"""Login throttling lives in the database so that every worker and host sees the same counts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from app.models.types import UTCDateTime


class LoginThrottle(SQLModel, table=True):
    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=160)  # "ip:203.0.113.7" or "acct:0912345678"
    window_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    failures: int = 0
