"""A member's result card, shared as a link (no login) with its image for Zalo and Facebook previews.
Rules in app.services.results.share."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.deps import SecretDep, SessionDep
from app.routers.base import make_router, public_base_url
from app.services.results import share
from app.templating import render, request_locale

router = make_router()


@router.get("/r/{code}.png")
def shared_result_image(request: Request, code: str, session: SessionDep, secret: SecretDep) -> Response:
    result = share.shared(session=session, code=code, secret=secret, cache=request.app.state.boards)
    site = public_base_url(request).rstrip("/").split("://")[-1] or "hoithi"
    png = share.image(result, site=site, locale=request_locale(request))
    return Response(png, media_type="image/png", headers={"Cache-Control": "public, max-age=3600"})


# after the image: "/r/{code}" would take "….png" as a code
@router.get("/r/{code}", response_class=HTMLResponse)
def shared_result(request: Request, code: str, session: SessionDep, secret: SecretDep) -> HTMLResponse:
    result = share.shared(session=session, code=code, secret=secret, cache=request.app.state.boards)
    base = public_base_url(request).rstrip("/")
    return render(
        request,
        "pages/results/share.html",
        {
            "r": result,
            "share_url": f"{base}/r/{code}",
            "image_url": f"{base}/r/{code}.png",
            "contest_url": f"{base}/rounds/{result.info.round_id}/enter",
        },
    )
