"""Study mode pages: members practise published topics, one question at a time, with feedback at once."""
from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from app.deps import PageActor, PageOrganiser, SessionDep
from app.routers.base import make_router
from app.routers.pages.common import redirect
from app.services import study
from app.templating import render

router = make_router()


@router.get("/study", response_class=HTMLResponse)
def study_sets(request: Request, actor: PageActor, session: SessionDep):  # noqa: ANN201
    return render(request, "pages/study/sets.html", {"actor": actor, "sets": study.sets_for(session=session, actor=actor)})


def _question_page(request: Request, actor, session, topic_id: int, index: int, feedback=None,  # noqa: ANN001
                   status: int = 200):  # noqa: ANN202
    s = study.open_set(session=session, actor=actor, topic_id=topic_id)
    index = max(0, min(index, len(s.questions) - 1)) if s.questions else 0
    question = s.questions[index] if s.questions else None
    return render(request, "pages/study/question.html", {
        "actor": actor, "s": s, "index": index, "question": question,
        "options": s.options.get(question.id, []) if question else [], "feedback": feedback}, status_code=status)


@router.get("/study/{topic_id}", response_class=HTMLResponse)
def study_question(request: Request, topic_id: int, actor: PageActor, session: SessionDep, i: int = 0):  # noqa: ANN201
    return _question_page(request, actor, session, topic_id, i)


@router.post("/study/{topic_id}", response_class=HTMLResponse)
def study_answer(request: Request, topic_id: int, actor: PageActor, session: SessionDep,
                 question_id: Annotated[int, Form()], i: Annotated[int, Form()] = 0,
                 option: Annotated[list[int], Form()] = []):  # noqa: B006, ANN201
    s = study.open_set(session=session, actor=actor, topic_id=topic_id)
    feedback = study.check_answer(s, question_id, set(option))
    return _question_page(request, actor, session, topic_id, i, feedback=feedback)


@router.post("/bank/topics/{topic_id}/study")
def toggle_study(topic_id: int, actor: PageOrganiser, session: SessionDep,
                 published: Annotated[int, Form()] = 0):  # noqa: ANN201
    study.set_published(session=session, actor=actor, topic_id=topic_id, published=bool(published))
    return redirect(f"/bank/topics/{topic_id}?done=study")
