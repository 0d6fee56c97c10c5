"""Request and response shapes of the org domain (API and pages alike)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlmodel import SQLModel


class UnitCreate(SQLModel):
    code: str
    name: str
    kind: str = ""
    parent_code: str | None = None
    headcount: int = 0


class UnitUpdate(SQLModel):
    name: str | None = None
    kind: str | None = None
    headcount: int | None = None


class UnitPublic(SQLModel):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    headcount: int


class UnitRef(SQLModel):
    id: int
    code: str
    name: str


class RoleGrantIn(SQLModel):
    role: str
    unit_code: str


class RoleGrantOut(SQLModel):
    role: str
    unit_code: str


class MemberCreate(SQLModel):
    full_name: str
    phone: str
    member_code: str
    birth_date: date | None = None
    unit_code: str
    password: str | None = None
    id_number: str | None = None
    roles: list[RoleGrantIn] = []
    # Members created by someone else choose their own password at first login.
    must_change_password: bool = True


class MemberUpdate(SQLModel):
    full_name: str | None = None
    phone: str | None = None
    member_code: str | None = None
    birth_date: date | None = None
    unit_code: str | None = None
    id_number: str | None = None


class MemberPublic(SQLModel):
    id: int
    full_name: str
    phone: str
    member_code: str
    birth_date: date | None = None
    id_number_masked: str | None = None
    active: bool
    unit: UnitRef
    roles: list[RoleGrantOut]


class Credentials(BaseModel):
    username: str
    password: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


class ImportRowError(BaseModel):
    row: int
    field: str | None
    message: str


class MemberChangeOut(BaseModel):
    """A field of an existing member the import changed (so a rename through the API is not silent either)."""

    row: int
    member_code: str
    field: str
    old: str
    new: str


class MemberImportOut(BaseModel):
    created: int
    updated: int
    # New accounts left without a password (no row password, no initial_password): they cannot log in until
    # an organiser sets one.
    without_password: int = 0
    changes: list[MemberChangeOut] = []
    errors: list[ImportRowError] = []
