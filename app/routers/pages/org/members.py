from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.deps import PageOrganiser, SecretDep, SessionDep
from app.errors import N_, AppError, Invalid
from app.routers.base import make_router
from app.routers.pages.common import form_failure, redirect
from app.services.org import members, roles, units
from app.services.org.access import Actor
from app.services.org.schemas import MemberCreate, MemberUpdate, RoleGrantIn
from app.templating import render, translate

router = make_router(prefix="/org/members")
_DONE = {
    "created": N_("Đã thêm hội viên."),
    "saved": N_("Đã lưu."),
    "deactivated": N_("Đã khoá tài khoản."),
    "activated": N_("Đã mở khoá tài khoản."),
    "password": N_("Đã đặt mật khẩu mới; hội viên sẽ phải đổi mật khẩu khi đăng nhập."),
    "role": N_("Đã cập nhật vai trò."),
}


def _parse_date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("Ngày sinh {value} không hợp lệ."), field="birth_date", value=value) from None


def _scope_units(session: Session, actor: Actor) -> dict:
    tree = units.tree_order(units.list_in_scope(session=session, actor=actor))
    return {"units": tree, "min_depth": min((u.depth for u in tree), default=0)}


@router.get("", response_class=HTMLResponse)
def member_list(request: Request, actor: PageOrganiser, session: SessionDep, q: str = "", unit: str = "", page: int = 1) -> HTMLResponse:
    # The unit filter comes from a <select> whose "all" option is empty.
    unit_id = int(unit) if unit.isascii() and unit.isdigit() else None  # "²".isdigit(), but int("²") fails
    result = members.search(session=session, actor=actor, q=q, unit_id=unit_id, page=page)
    ctx = {"actor": actor, "result": result, "q": q, "unit_id": unit_id, **_scope_units(session, actor)}
    if request.headers.get("hx-request") and request.headers.get("hx-target") == "member-results":
        return render(request, "partials/org/member_rows.html", ctx)
    return render(request, "pages/org/members.html", ctx)


def _form_ctx(session: Session, actor: Actor, **extra: Any) -> dict:
    return {"actor": actor, **_scope_units(session, actor), "errors": {}, **extra}


@router.get("/new", response_class=HTMLResponse)
def member_new(request: Request, actor: PageOrganiser, session: SessionDep, unit: str = "") -> HTMLResponse:
    return render(request, "pages/org/member_form.html", _form_ctx(session, actor, form={"unit_code": unit}, member=None))


@router.post("")
def member_create(
    request: Request,
    actor: PageOrganiser,
    session: SessionDep,
    secret: SecretDep,
    full_name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    member_code: Annotated[str, Form()] = "",
    birth_date: Annotated[str, Form()] = "",
    unit_code: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "full_name": full_name,
        "phone": phone,
        "member_code": member_code,
        "birth_date": birth_date,
        "unit_code": unit_code,
        "role": role,
    }
    try:
        roles = [RoleGrantIn(role=role, unit_code=unit_code)] if role in ("organiser", "judge") else []
        member = members.create(
            session=session,
            actor=actor,
            secret=secret,
            data=MemberCreate(
                full_name=full_name,
                phone=phone,
                member_code=member_code,
                birth_date=_parse_date(birth_date),
                unit_code=unit_code,
                id_number=id_number or None,
                password=password or None,
                roles=roles,
            ),
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/org/member_form.html",
            _form_ctx(session, actor, form=form, member=None, error=message, errors=errors),
            status_code=exc.status_code,
        )
    return redirect(f"/org/members/{member.id}?done=created")


def _detail_ctx(session: Session, actor: Actor, member_id: int, **extra: Any) -> dict:
    member, unit = members.get_in_scope(session=session, actor=actor, member_id=member_id)
    form = {
        "full_name": member.full_name,
        "phone": member.phone,
        "member_code": member.member_code,
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "unit_code": unit.code,
    }
    return _form_ctx(
        session,
        actor,
        member=member,
        unit=unit,
        form=form,
        masked_id=members.mask_id_number(member.id_number_last),
        duplicates=members.likely_duplicates(session=session, member=member, actor=actor),
        grants=roles.grants_of(session=session, member_id=member_id),
        **extra,
    )


@router.get("/{member_id}", response_class=HTMLResponse)
def member_detail(request: Request, member_id: int, actor: PageOrganiser, session: SessionDep, done: str = "") -> HTMLResponse:
    flash = translate(request, _DONE[done]) if done in _DONE else None
    return render(request, "pages/org/member_form.html", _detail_ctx(session, actor, member_id, flash=flash))


def _failed(request: Request, session: Session, actor: Actor, member_id: int, exc: AppError, form: dict | None = None) -> HTMLResponse:
    message, errors = form_failure(session, request, exc)
    ctx = _detail_ctx(session, actor, member_id, error=message, errors=errors)
    if form:
        ctx["form"] = {**ctx["form"], **form}
    return render(request, "pages/org/member_form.html", ctx, status_code=exc.status_code)


@router.post("/{member_id}")
def member_update(
    request: Request,
    member_id: int,
    actor: PageOrganiser,
    session: SessionDep,
    secret: SecretDep,
    full_name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    member_code: Annotated[str, Form()] = "",
    birth_date: Annotated[str, Form()] = "",
    unit_code: Annotated[str, Form()] = "",
    id_number: Annotated[str, Form()] = "",
) -> Response:
    form = {"full_name": full_name, "phone": phone, "member_code": member_code, "birth_date": birth_date, "unit_code": unit_code}
    try:
        members.update(
            session=session,
            actor=actor,
            member_id=member_id,
            secret=secret,
            data=MemberUpdate(
                full_name=full_name,
                phone=phone,
                member_code=member_code,
                birth_date=_parse_date(birth_date),
                unit_code=unit_code or None,
                id_number=id_number or None,
            ),
        )
    except AppError as exc:
        return _failed(request, session, actor, member_id, exc, form)
    return redirect(f"/org/members/{member_id}?done=saved")


@router.post("/{member_id}/active")
def member_active(
    request: Request, member_id: int, actor: PageOrganiser, session: SessionDep, active: Annotated[int, Form()] = 0
) -> Response:
    try:
        members.set_active(session=session, actor=actor, member_id=member_id, active=bool(active))
    except AppError as exc:
        return _failed(request, session, actor, member_id, exc)
    return redirect(f"/org/members/{member_id}?done={'activated' if active else 'deactivated'}")


@router.post("/{member_id}/password")
def member_password(
    request: Request, member_id: int, actor: PageOrganiser, session: SessionDep, new_password: Annotated[str, Form()] = ""
) -> Response:
    try:
        members.reset_password(session=session, actor=actor, member_id=member_id, new_password=new_password)
    except AppError as exc:
        return _failed(request, session, actor, member_id, exc)
    return redirect(f"/org/members/{member_id}?done=password")


@router.post("/{member_id}/roles")
def member_grant(
    request: Request,
    member_id: int,
    actor: PageOrganiser,
    session: SessionDep,
    role: Annotated[str, Form()] = "",
    unit_code: Annotated[str, Form()] = "",
) -> Response:
    try:
        members.grant_role(session=session, actor=actor, member_id=member_id, role=role, unit_code=unit_code)
    except AppError as exc:
        return _failed(request, session, actor, member_id, exc)
    return redirect(f"/org/members/{member_id}?done=role")


@router.post("/{member_id}/roles/{role_id}/delete")
def member_revoke(request: Request, member_id: int, role_id: int, actor: PageOrganiser, session: SessionDep) -> Response:
    try:
        members.revoke_role(session=session, actor=actor, member_id=member_id, role_id=role_id)
    except AppError as exc:
        return _failed(request, session, actor, member_id, exc)
    return redirect(f"/org/members/{member_id}?done=role")
