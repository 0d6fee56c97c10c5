from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.deps import PageOrganiser, SecretDep, SessionDep
from app.errors import AppError, ImportFailed
from app.routers.base import make_router
from app.routers.pages.common import form_failure
from app.services.kit import uploads
from app.services.kit.legacy_text import CODES, legacy_code
from app.services.kit.tables import MAX_BYTES
from app.services.org import member_import
from app.templating import render, request_locale

router = make_router(prefix="/org/members/import")
HEADERS = {c.field: c.header for c in member_import.COLUMNS}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("", response_class=HTMLResponse)
def import_page(request: Request, actor: PageOrganiser) -> HTMLResponse:
    return render(request, "pages/org/import.html", {"actor": actor, "columns": member_import.COLUMNS})


@router.get("/template.xlsx")
def template_xlsx(actor: PageOrganiser) -> Response:
    return Response(
        member_import.template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="mau-danh-sach-hoi-vien.xlsx"'},
    )


@router.get("/template.csv")
def template_csv(actor: PageOrganiser) -> Response:
    return Response(
        member_import.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mau-danh-sach-hoi-vien.csv"'},
    )


@router.post("", response_class=HTMLResponse)
def import_upload(
    request: Request,
    actor: PageOrganiser,
    session: SessionDep,
    secret: SecretDep,
    file: Annotated[UploadFile, File()],
    initial_password: Annotated[str, Form()] = "",
    legacy: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Step 1: keep the file and show what it would do — every bad row with its number, or the rows to add."""
    content = file.file.read(MAX_BYTES + 1)
    filename = file.filename or ""
    plan = member_import.preview(
        session=session,
        actor=actor,
        content=content,
        filename=filename,
        secret=secret,
        initial_password=initial_password or None,
        locale=request_locale(request),
        legacy=legacy_code(legacy),
    )
    detected = None
    if not legacy and plan.detected_legacy:
        # Typed in an old font: show the list converted, for the organiser to check before confirming.
        detected = legacy = plan.detected_legacy
        plan = member_import.preview(
            session=session,
            actor=actor,
            content=content,
            filename=filename,
            secret=secret,
            initial_password=initial_password or None,
            locale=request_locale(request),
            legacy=legacy,
        )
    upload = None
    if plan.ok:
        upload = uploads.save(session=session, actor=actor, kind="members", filename=filename, content=content)
    return render(
        request,
        "pages/org/import_preview.html",
        {
            "actor": actor,
            "plan": plan,
            "upload": upload,
            "initial_password": initial_password,
            "headers": HEADERS,
            "legacy": legacy,
            "detected_font": CODES[detected] if detected else None,
        },
        status_code=200 if plan.ok else 422,
    )


@router.post("/{upload_id}/commit", response_class=HTMLResponse)
def import_commit(
    request: Request,
    upload_id: int,
    actor: PageOrganiser,
    session: SessionDep,
    secret: SecretDep,
    initial_password: Annotated[str, Form()] = "",
    confirm_changes: Annotated[str, Form()] = "",
    legacy: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Step 2: all or nothing. The file is checked again: the database may have changed since the preview, and
    changes to existing members are written only as the organiser confirmed them (never a silent rename)."""
    try:
        upload = uploads.pending(session=session, actor=actor, upload_id=upload_id, kind="members")
        result = member_import.commit(
            session=session,
            actor=actor,
            content=upload.content,
            filename=upload.filename,
            secret=secret,
            initial_password=initial_password or None,
            locale=request_locale(request),
            confirmed_changes=confirm_changes,
            legacy=legacy_code(legacy),
        )
        uploads.mark_committed(session=session, upload=upload)
    except ImportFailed as exc:
        session.rollback()
        plan = member_import.ImportPlan(filename="", errors=exc.errors)
        return render(
            request, "pages/org/import_preview.html", {"actor": actor, "plan": plan, "upload": None, "headers": HEADERS}, status_code=422
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        if "confirm_changes" in errors:  # the same file, the changes as they are now, to confirm again
            plan = member_import.preview(
                session=session,
                actor=actor,
                content=upload.content,
                filename=upload.filename,
                secret=secret,
                initial_password=initial_password or None,
                locale=request_locale(request),
                legacy=legacy_code(legacy),
            )
            return render(
                request,
                "pages/org/import_preview.html",
                {
                    "actor": actor,
                    "plan": plan,
                    "upload": upload,
                    "initial_password": initial_password,
                    "headers": HEADERS,
                    "error": message,
                    "legacy": legacy,
                },
                status_code=exc.status_code,
            )
        return render(
            request,
            "pages/org/import.html",
            {"actor": actor, "columns": member_import.COLUMNS, "error": message},
            status_code=exc.status_code,
        )
    return render(request, "pages/org/import_done.html", {"actor": actor, "result": result, "filename": upload.filename})
