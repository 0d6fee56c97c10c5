"""The audit log for organisers and judges of a scope: filter, page through, download as CSV.
Rules (who reads which entries) in app.services.kit.audit."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from math import ceil
from typing import BinaryIO
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse

from app.deps import MAX_PAGE, PageActor, SessionDep
from app.errors import N_, Invalid
from app.routers.base import download, make_router
from app.services.kit import audit, audit_text
from app.services.kit.files import ExportFile, temp_file
from app.services.kit.sheets import Column, Part, iter_csv
from app.services.org.access import JUDGE, MANAGE
from app.templating import render, request_locale, translate

router = make_router()
PER_PAGE = 50
GROUPS = (
    ("round.", N_("Vòng thi: đóng, giải, niêm phong")),
    ("attempt.", N_("Lượt thi: loại, khôi phục")),
    ("member.", N_("Hội viên")),
    ("question.", N_("Câu hỏi")),
    ("contest.", N_("Cuộc thi")),
    ("essay.", N_("Bài thu hoạch: xem, trả lại, chấm")),
    ("auth.", N_("Đăng nhập")),
)


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(N_("Ngày không hợp lệ: {value}."), field=field, value=value) from None


def _filter(request: Request) -> tuple[audit.LogFilter, dict[str, str]]:
    q = request.query_params
    tz = ZoneInfo(request.app.state.settings.timezone)
    since, until = _day(q.get("since"), "since"), _day(q.get("until"), "until")
    f = audit.LogFilter(
        action=q.get("action") or None,
        who=(q.get("who") or "").strip() or None,
        entity=q.get("entity") or None,
        entity_id=q.get("entity_id") or None,
        since=datetime.combine(since, time(), tz) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), tz) if until else None,
    )
    shown = {
        k: v
        for k, v in (
            ("action", f.action),
            ("who", f.who),
            ("entity", f.entity),
            ("entity_id", f.entity_id),
            ("since", q.get("since")),
            ("until", q.get("until")),
        )
        if v
    }
    return f, shown


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, actor: PageActor, session: SessionDep, page: int = 1) -> HTMLResponse:
    actor.require_any((*MANAGE, *JUDGE))
    f, shown = _filter(request)
    page = min(max(page, 1), MAX_PAGE)  # a page past every list, but an OFFSET that fits
    total, rows = audit.search(session=session, actor=actor, log_filter=f, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render(
        request,
        "pages/org/audit_log.html",
        {
            "actor": actor,
            "f": f,
            "form": {"since": shown.get("since", ""), "until": shown.get("until", "")},
            "rows": [
                (
                    e,
                    audit_text.say(e, who, request_locale(request)),
                    unit,
                    json.dumps(e.detail, ensure_ascii=False, sort_keys=True) if e.detail else "",
                )
                for e, who, unit in rows
            ],
            "total": total,
            "page": page,
            "pages": max(1, ceil(total / PER_PAGE)),
            "query": urlencode(shown),
            "actions": [(a, audit_text.label(a, request_locale(request))) for a in audit.ACTIONS],
            "groups": [(g, translate(request, label)) for g, label in GROUPS],
        },
    )


@router.get("/audit/export.csv")
def audit_export(request: Request, actor: PageActor, session: SessionDep) -> FileResponse:
    actor.require_any((*MANAGE, *JUDGE))
    f, _shown = _filter(request)
    tz = ZoneInfo(request.app.state.settings.timezone)
    columns = [
        Column(translate(request, h), kind=k)
        for h, k in (
            (N_("Thời điểm"), "datetime"),
            (N_("Hoạt động"), "text"),
            (N_("Đối tượng"), "text"),
            (N_("Mã đối tượng"), "text"),
            (N_("Mã người thực hiện"), "text"),
            (N_("Người thực hiện"), "text"),
            (N_("Đơn vị"), "text"),
            (N_("Địa chỉ IP"), "text"),
            (N_("Chi tiết"), "text"),
        )
    ]
    part = Part(translate(request, N_("Nhật ký")), columns, audit.iter_entries(session=session, actor=actor, log_filter=f))

    def write(fh: BinaryIO) -> None:
        for chunk in iter_csv(part, tz):
            fh.write(chunk)

    return download(ExportFile(temp_file(".csv", write), "nhat-ky.csv", "nhat-ky.csv", "text/csv; charset=utf-8"))
