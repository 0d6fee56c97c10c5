from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.deps import PageOrganiser, SessionDep
from app.errors import AppError
from app.routers.base import make_router
from app.routers.pages.common import form_failure, redirect
from app.services.org import units
from app.services.org.access import Actor
from app.services.org.schemas import UnitCreate, UnitUpdate
from app.templating import render

router = make_router(prefix="/org/units")


def _tree_context(session: Session, actor: Actor) -> dict:
    tree = units.tree_order(units.list_in_scope(session=session, actor=actor))
    return {"actor": actor, "units": tree, "min_depth": min((u.depth for u in tree), default=0)}


@router.get("", response_class=HTMLResponse)
def unit_tree(request: Request, actor: PageOrganiser, session: SessionDep, created: str = "") -> HTMLResponse:
    return render(request, "pages/org/units.html", {**_tree_context(session, actor), "created": created, "form": {}})


@router.post("")
def unit_create(
    request: Request,
    actor: PageOrganiser,
    session: SessionDep,
    code: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    parent_code: Annotated[str, Form()] = "",
    headcount: Annotated[int, Form()] = 0,
) -> Response:
    form = {"code": code, "name": name, "kind": kind, "parent_code": parent_code, "headcount": headcount}
    try:
        unit = units.create(
            session=session,
            actor=actor,
            data=UnitCreate(code=code, name=name, kind=kind, parent_code=parent_code or None, headcount=headcount),
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/org/units.html",
            {**_tree_context(session, actor), "error": message, "errors": errors, "form": form},
            status_code=exc.status_code,
        )
    return redirect(f"/org/units?created={unit.code}#u-{unit.code}")


def _edit_context(session: Session, actor: Actor, unit_id: int) -> dict:
    unit = units.get(session=session, unit_id=unit_id)
    actor.require(unit)
    ctx = _tree_context(session, actor)
    # A unit cannot move under itself or its own descendants.
    ctx["targets"] = [u for u in ctx["units"] if not u.path.startswith(unit.path)]
    parent = units.get(session=session, unit_id=unit.parent_id) if unit.parent_id else None
    return {**ctx, "unit": unit, "parent": parent}


@router.get("/{unit_id}", response_class=HTMLResponse)
def unit_edit(request: Request, unit_id: int, actor: PageOrganiser, session: SessionDep, saved: int = 0) -> HTMLResponse:
    return render(request, "pages/org/unit_edit.html", {**_edit_context(session, actor, unit_id), "saved": saved})


@router.post("/{unit_id}")
def unit_update(
    request: Request,
    unit_id: int,
    actor: PageOrganiser,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    headcount: Annotated[int, Form()] = 0,
) -> Response:
    try:
        units.update_unit(session=session, actor=actor, unit_id=unit_id, data=UnitUpdate(name=name, kind=kind, headcount=headcount))
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/org/unit_edit.html",
            {**_edit_context(session, actor, unit_id), "error": message, "errors": errors},
            status_code=exc.status_code,
        )
    return redirect(f"/org/units/{unit_id}?saved=1")


@router.post("/{unit_id}/move")
def unit_move(
    request: Request, unit_id: int, actor: PageOrganiser, session: SessionDep, parent_code: Annotated[str, Form()] = ""
) -> Response:
    try:
        units.move(session=session, actor=actor, unit_id=unit_id, new_parent_code=parent_code)
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/org/unit_edit.html",
            {**_edit_context(session, actor, unit_id), "error": message, "errors": errors},
            status_code=exc.status_code,
        )
    return redirect(f"/org/units/{unit_id}?saved=1")
