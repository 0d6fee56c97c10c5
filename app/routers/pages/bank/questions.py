"""Organiser pages of the question bank: topics, filtered question lists, the editor with a live preview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.deps import PageOrganiser, SessionDep
from app.errors import AppError, ImportFailed
from app.models.bank import Difficulty, Question, QuestionKind, QuestionOption, Topic
from app.routers.base import make_router, public_base_url
from app.routers.pages.common import FormDep, form_failure, redirect
from app.services.bank import import_sheet as question_sheet
from app.services.bank import question_rules
from app.services.bank import questions as bank
from app.services.bank.schemas import TopicCreate
from app.services.contests import sharing
from app.services.kit.legacy_text import legacy_code
from app.services.org import units
from app.services.org.access import Actor
from app.services.results import rescoring
from app.templating import render, request_locale, translate

router = make_router(prefix="/bank")
OPTION_SLOTS = 8


def _editor_values(form: dict[str, Any]) -> dict[str, Any]:
    options = []
    for i in range(OPTION_SLOTS):
        text = (form.get(f"opt_text_{i}") or "").strip()
        correct = bool(form.get(f"opt_correct_{i}"))
        options.append({"text": text, "correct": correct})
    return {
        "kind": form.get("kind") or QuestionKind.single,
        "text": form.get("text") or "",
        "explanation": form.get("explanation") or "",
        "difficulty": form.get("difficulty") or Difficulty.medium,
        "source_ref": form.get("source_ref") or "",
        "tags": form.get("tags") or "",
        "options": options,
    }


def _check(values: dict[str, Any]) -> tuple[question_rules.CleanQuestion, list]:
    return question_rules.check_question(
        kind=values["kind"],
        text=values["text"],
        options=[(o["text"], o["correct"]) for o in values["options"] if o["text"]],
        explanation=values["explanation"],
        difficulty=values["difficulty"],
        source_ref=values["source_ref"],
        tags=values["tags"].split(","),
    )


def _values_of(question: Question, options: list[QuestionOption]) -> dict[str, Any]:
    slots = [{"text": o.text, "correct": o.correct} for o in options]
    slots += [{"text": "", "correct": False}] * (OPTION_SLOTS - len(slots))
    return {
        "kind": question.kind,
        "text": question.text,
        "explanation": question.explanation,
        "difficulty": question.difficulty,
        "source_ref": question.source_ref,
        "tags": ", ".join(question_rules.tags_list(question.tags)),
        "options": slots,
    }


def _blank_values() -> dict[str, Any]:
    return {
        "kind": QuestionKind.single,
        "text": "",
        "explanation": "",
        "difficulty": Difficulty.medium,
        "source_ref": "",
        "tags": "",
        "options": [{"text": "", "correct": False}] * 4 + [{"text": "", "correct": False}] * (OPTION_SLOTS - 4),
    }


@router.get("", response_class=HTMLResponse)
def topics(request: Request, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    return render(request, "pages/bank/topics.html", _topics_ctx(session, actor))


def _topics_ctx(session: Session, actor: Actor, **extra: Any) -> dict[str, Any]:
    scope = units.tree_order(units.list_in_scope(session=session, actor=actor))
    return {
        "actor": actor,
        "topics": bank.list_topics(session=session, actor=actor),
        "units": scope,
        "min_depth": min((u.depth for u in scope), default=0),
        "form": {},
        "errors": {},
        **extra,
    }


@router.post("/topics")
def topic_create(
    request: Request,
    actor: PageOrganiser,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    unit_code: Annotated[str, Form()] = "",
) -> Response:
    try:
        topic = bank.create_topic(
            session=session, actor=actor, data=TopicCreate(name=name, description=description, unit_code=unit_code or None)
        )
    except AppError as exc:
        message, errors = form_failure(session, request, exc)
        return render(
            request,
            "pages/bank/topics.html",
            _topics_ctx(
                session, actor, error=message, errors=errors, form={"name": name, "description": description, "unit_code": unit_code}
            ),
            status_code=exc.status_code,
        )
    return redirect(f"/bank/topics/{topic.id}")


@router.get("/topics/{topic_id}", response_class=HTMLResponse)
def topic_page(
    request: Request,
    topic_id: int,
    actor: PageOrganiser,
    session: SessionDep,
    q: str = "",
    difficulty: str = "",
    tag: str = "",
    done: str = "",
) -> HTMLResponse:
    ctx = topic_ctx(request, session, actor, topic_id, q=q, difficulty=difficulty, tag=tag, done=done)
    if request.headers.get("hx-target") == "question-results":
        return render(request, "partials/bank/question_rows.html", ctx)
    return render(request, "pages/bank/topic.html", ctx)


def topic_ctx(
    request: Request,
    session: Any,
    actor: Actor,
    topic_id: int,
    *,
    q: str = "",
    difficulty: str = "",
    tag: str = "",
    done: str = "",
    error: str | None = None,
) -> dict[str, Any]:
    topic, unit = bank.get_topic(session=session, actor=actor, topic_id=topic_id)
    questions = bank.list_questions(session=session, actor=actor, topic_id=topic_id, q=q, difficulty=difficulty, tag=tag)
    options = bank.options_of(session=session, question_ids=[x.id for x in questions if x.id is not None])
    return {
        "actor": actor,
        "topic": topic,
        "unit": unit,
        "rows": [(x, options[x.id]) for x in questions if x.id is not None],
        "q": q,
        "difficulty": difficulty,
        "tag": tag,
        "done": done,
        "tags_list": question_rules.tags_list,
        "error": error,
        "share_url": sharing.study_url(public_base_url(request), topic.study_slug) if topic.study_slug else None,
    }


def _editor(
    request: Request,
    actor: Actor,
    topic: Topic,
    values: dict[str, Any],
    *,
    question: Question | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    rescored: rescoring.Rescore | None = None,
) -> HTMLResponse:
    return render(
        request,
        "pages/bank/question_form.html",
        {
            "actor": actor,
            "topic": topic,
            "question": question,
            "v": values,
            "error": error,
            "errors": errors or {},
            "kinds": list(QuestionKind),
            "difficulties": list(Difficulty),
            "rescored": rescored,
        },
        status_code=status,
    )


@router.get("/topics/{topic_id}/questions/new", response_class=HTMLResponse)
def question_new(request: Request, topic_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    topic, _unit = bank.get_topic(session=session, actor=actor, topic_id=topic_id)
    return _editor(request, actor, topic, _blank_values())


@router.post("/topics/{topic_id}/questions")
def question_create(request: Request, topic_id: int, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    topic, _unit = bank.get_topic(session=session, actor=actor, topic_id=topic_id)
    values = _editor_values(form)
    q, problems = _check(values)
    if problems:
        errors = {p.field: translate(request, p.message, **p.params) for p in problems}
        return _editor(request, actor, topic, values, error=next(iter(errors.values())), errors=errors, status=422)
    question = bank.create_checked(session=session, actor=actor, topic=topic, q=q)
    return redirect(f"/bank/topics/{topic.id}?done=created#q-{question.id}")


@router.get("/questions/{question_id}", response_class=HTMLResponse)
def question_edit(request: Request, question_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    question, topic = bank.get_question(session=session, actor=actor, question_id=question_id)
    options = bank.options_of(session=session, question_ids=[question_id])[question_id]
    return _editor(request, actor, topic, _values_of(question, options), question=question)


@router.post("/questions/{question_id}")
def question_update(request: Request, question_id: int, actor: PageOrganiser, session: SessionDep, form: FormDep) -> Response:
    question, topic = bank.get_question(session=session, actor=actor, question_id=question_id)
    values = _editor_values(form)
    q, problems = _check(values)
    if problems:
        errors = {p.field: translate(request, p.message, **p.params) for p in problems}
        return _editor(request, actor, topic, values, question=question, error=next(iter(errors.values())), errors=errors, status=422)
    bank.update_question(session=session, actor=actor, question_id=question_id, q=q)
    return redirect(f"/bank/topics/{topic.id}?done=saved#q-{question_id}")


@router.post("/questions/{question_id}/active")
def question_active(
    request: Request, question_id: int, actor: PageOrganiser, session: SessionDep, active: Annotated[int, Form()] = 0
) -> RedirectResponse:
    question = bank.set_question_active(session=session, actor=actor, question_id=question_id, active=bool(active))
    return redirect(f"/bank/topics/{question.topic_id}?done={'activated' if active else 'deactivated'}#q-{question_id}")


@router.post("/questions/{question_id}/rescore", response_class=HTMLResponse)
def question_rescore(request: Request, question_id: int, actor: PageOrganiser, session: SessionDep) -> HTMLResponse:
    result = rescoring.rescore_question(session=session, actor=actor, question_id=question_id)
    question, topic = bank.get_question(session=session, actor=actor, question_id=question_id)
    options = bank.options_of(session=session, question_ids=[question_id])[question_id]
    return _editor(request, actor, topic, _values_of(question, options), question=question, rescored=result)


@router.post("/questions/{question_id}/duplicate")
def question_duplicate(request: Request, question_id: int, actor: PageOrganiser, session: SessionDep) -> RedirectResponse:
    copy = bank.duplicate_question(session=session, actor=actor, question_id=question_id)
    return redirect(f"/bank/questions/{copy.id}")


@router.post("/preview", response_class=HTMLResponse)
def preview(request: Request, actor: PageOrganiser, form: FormDep) -> HTMLResponse:
    """The question as a member will see it on a phone (no correctness shown), and any problem with it."""
    values = _editor_values(form)
    _q, problems = _check(values)
    messages = [translate(request, p.message, **p.params) for p in problems if values["text"]]
    return render(request, "partials/bank/preview.html", {"v": values, "problems": messages})


@router.post("/topics/{topic_id}/import", response_class=HTMLResponse)
def topic_import(
    request: Request,
    topic_id: int,
    actor: PageOrganiser,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    legacy: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """All or nothing: either every question of the file is added, or the page lists every bad line."""
    from app.services.bank import question_import
    from app.services.kit.tables import MAX_BYTES

    topic, unit = bank.get_topic(session=session, actor=actor, topic_id=topic_id)
    content = file.file.read(MAX_BYTES + 1)
    try:
        result = question_import.commit(
            session=session,
            actor=actor,
            topic_id=topic_id,
            content=content,
            filename=file.filename or "",
            locale=request_locale(request),
            legacy=legacy_code(legacy),
        )
    except ImportFailed as exc:
        session.rollback()
        return render(
            request,
            "pages/bank/import_result.html",
            {
                "actor": actor,
                "topic": topic,
                "errors": exc.errors,
                "skipped": exc.extra.get("skipped", []),
                "filename": file.filename,
                "headers": question_sheet.HEADERS,
            },
            status_code=422,
        )
    return render(
        request,
        "pages/bank/import_result.html",
        {
            "actor": actor,
            "topic": topic,
            "created": result.created,
            "skipped": result.skipped,
            "notes": result.notes,
            "filename": file.filename,
            "errors": [],
            "headers": question_sheet.HEADERS,
        },
    )
