"""The contest and round forms as the pages post them, read into the contests domain's schemas: a number that
is not one is refused with its field named; the domain then checks the settings (contests.checks)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.routers.pages.common import form_list, whole_number
from app.services.contests.schemas import ContestCreate, DrawLine, PredictionIn, RoundIn

TIE_BREAK_PRESETS = {
    "default": ["score", "prediction_error", "duration", "submitted_at"],
    "duration_first": ["score", "duration", "prediction_error", "submitted_at"],
    "no_prediction": ["score", "duration", "submitted_at"],
}


def form_int(form: dict[str, Any], key: str, default: int) -> int:
    return whole_number(form.get(key), key, default)


def form_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def draw_from_form(form: dict[str, Any]) -> list[DrawLine]:
    """The draw rows (topic × difficulty × count); a row without a topic is an empty row of the form."""
    topics, diffs, counts = form_list(form, "draw_topic_id"), form_list(form, "draw_difficulty"), form_list(form, "draw_count")
    lines = []
    for i, topic in enumerate(topics):
        if not topic.strip():
            continue
        row = {"topic": topic, "count": counts[i] if i < len(counts) else ""}
        lines.append(
            DrawLine(
                topic_id=form_int(row, "topic", 0), count=form_int(row, "count", 0), difficulty=(diffs[i] if i < len(diffs) else "") or None
            )
        )
    return lines


def source_from_form(form: dict[str, Any]) -> tuple[list[DrawLine] | None, list[int] | None]:
    """(draw, question_ids): one source of questions, as the organiser chose it."""
    if form.get("source") == "fixed":
        ids = [form_int({"id": v}, "id", 0) for v in form_list(form, "question_ids")]
        return None, ids
    return draw_from_form(form), None


def prediction_from_form(form: dict[str, Any]) -> PredictionIn | None:
    if not form.get("prediction_kind"):
        return None
    return PredictionIn(
        kind=form["prediction_kind"], prompt=form.get("prediction_prompt") or "", lock_first=bool(form.get("prediction_lock_first"))
    )


def contest_from_form(form: dict[str, Any]) -> ContestCreate:
    """The create form: one round's settings repeated weekly (Monday to Monday is the common pattern)."""
    weeks = max(1, min(form_int(form, "weeks", 1), 52))
    opens, closes = form_time(form.get("opens_at")), form_time(form.get("closes_at"))
    draw, question_ids = source_from_form(form)
    prediction = prediction_from_form(form)
    rounds = []
    for week in range(weeks):
        shift = timedelta(days=7 * week)
        rounds.append(
            RoundIn(
                title=f"{(form.get('round_title') or 'Tuần').strip()} {week + 1}" if weeks > 1 else (form.get("round_title") or ""),
                opens_at=opens + shift if opens else None,
                closes_at=closes + shift if closes else None,
                time_limit_s=form_int(form, "time_limit_min", 15) * 60,
                draw=draw,
                question_ids=question_ids,
                shuffle_questions=bool(form.get("shuffle_questions")),
                shuffle_options=bool(form.get("shuffle_options")),
                attempts_allowed=form_int(form, "attempts_allowed", 1),
                cooldown_s=form_int(form, "cooldown_min", 0) * 60,
                counted_attempt=form.get("counted_attempt") or "best",
                points_per_question=form_int(form, "points", 1),
                results_visibility=form.get("results_visibility") or "after_close",
                prediction=prediction,
            )
        )
    return ContestCreate(
        title=form.get("title") or "",
        rules_text=form.get("rules_text") or "",
        scope_unit_code=form.get("scope_unit_code") or "",
        tie_break=TIE_BREAK_PRESETS.get(form.get("tie_break") or "default"),
        study_draw=bool(form.get("study_draw")),
        rounds=rounds,
    )
