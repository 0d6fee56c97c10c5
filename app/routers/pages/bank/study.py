"""Study mode pages: members practise published topics, one question at a time, with feedback at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.deps import PageActor, PageOrganiser, SessionDep
from app.errors import AppError
from app.routers.base import make_router, public_base_url
from app.routers.pages.bank import questions as bank_pages
from app.routers.pages.common import form_failure, qr_response, redirect
from app.services.bank import study
from app.services.contests import sharing
from app.services.org.access import Actor
from app.templating import render

router = make_router()


@router.get("/study", response_class=HTMLResponse)
def study_sets(request: Request, actor: PageActor, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/bank/study/sets.html", {"actor": actor, "sets": study.sets_for(session=session, actor=actor)})


def _question_page(
    request: Request, actor: Actor, session: Session, topic_id: int, index: int, feedback: study.Feedback | None = None, status: int = 200
) -> HTMLResponse:
    s = study.open_set(session=session, actor=actor, topic_id=topic_id)
    return _render_set(request, actor, s, index, feedback, base=f"/study/{topic_id}", status=status)


def _render_set(
    request: Request,
    actor: Actor | None,
    s: study.StudySet,
    index: int,
    feedback: study.Feedback | None,
    *,
    base: str,
    public: bool = False,
    status: int = 200,
) -> HTMLResponse:
    index = max(0, min(index, len(s.questions) - 1)) if s.questions else 0
    question = s.questions[index] if s.questions else None
    return render(
        request,
        "pages/bank/study/question.html",
        {
            "actor": actor,
            "s": s,
            "index": index,
            "question": question,
            "base": base,
            "public": public,
            "options": s.options.get(question.id, []) if question and question.id is not None else [],
            "feedback": feedback,
        },
        status_code=status,
    )


@router.get("/s/{slug}", response_class=HTMLResponse)
def public_study(
    request: Request,
    slug: str,
    session: SessionDep,
    i: int = 0,
    question_id: int | None = None,
    option: Annotated[list[int] | None, Query()] = None,
) -> HTMLResponse:
    """A study set opened to everyone: no account; checking an answer is a plain GET (it changes nothing)."""
    s = study.public_set(session=session, slug=slug)
    feedback = study.check_answer(s, question_id, set(option or [])) if question_id is not None else None
    return _render_set(request, None, s, i, feedback, base=f"/s/{slug}", public=True)


@router.get("/s/{slug}/qr.{ext}")
def public_study_qr(request: Request, slug: str, ext: str, session: SessionDep) -> Response:
    s = study.public_set(session=session, slug=slug)
    return qr_response(request, sharing.study_url(public_base_url(request), s.topic.study_slug or slug), ext)


@router.get("/study/{topic_id}", response_class=HTMLResponse)
def study_question(request: Request, topic_id: int, actor: PageActor, session: SessionDep, i: int = 0) -> HTMLResponse:
    return _question_page(request, actor, session, topic_id, i)


@router.post("/study/{topic_id}", response_class=HTMLResponse)
def study_answer(
    request: Request,
    topic_id: int,
    actor: PageActor,
    session: SessionDep,
    question_id: Annotated[int, Form()],
    i: Annotated[int, Form()] = 0,
    option: Annotated[list[int], Form()] = [],  # noqa: B006
) -> HTMLResponse:
    s = study.open_set(session=session, actor=actor, topic_id=topic_id)
    feedback = study.check_answer(s, question_id, set(option))
    return _question_page(request, actor, session, topic_id, i, feedback=feedback)


@router.post("/bank/topics/{topic_id}/study")
def toggle_study(
    request: Request,
    topic_id: int,
    actor: PageOrganiser,
    session: SessionDep,
    published: Annotated[int, Form()] = 0,
    public: Annotated[int, Form()] = 0,
) -> Response:
    try:
        study.set_published(session=session, actor=actor, topic_id=topic_id, published=bool(published), public=bool(public))
    except AppError as exc:
        message, _ = form_failure(session, request, exc)
        return render(
            request,
            "pages/bank/topic.html",
            bank_pages.topic_ctx(request, session, actor, topic_id, error=message),
            status_code=exc.status_code,
        )
    return redirect(f"/bank/topics/{topic_id}?done=study")
