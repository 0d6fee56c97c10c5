"""The one check of an essay campaign's settings: each field cleaned and checked (check), then the rules
between fields on the settings as they would be after a create or an update (check_whole). The first problem
raises Invalid, naming its field."""

from __future__ import annotations

import math
import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.errors import N_, Invalid, NotFound
from app.services.contests.checks import to_utc
from app.services.essays.schemas import CriterionIn
from app.services.kit.files import ascii_slug
from app.services.kit.text import clean, nfc
from app.services.org.access import Actor

MAX_PROMPT = 20_000
MAX_TOPICS, MAX_TOPIC = 30, 300
MAX_WORD_LIMIT = 20_000
MAX_CRITERIA, MAX_CRITERION_POINTS = 12, 1000
MAX_GRADERS = 5
MAX_WEIGHT = 100
_KEY = re.compile(r"^[a-z0-9_]{1,40}$")


def _topics(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        topic = clean(value)
        if not topic or topic in out:
            continue
        if len(topic) > MAX_TOPIC:
            raise Invalid(N_("Mỗi chủ đề dài tối đa {max} ký tự."), field="topics", max=MAX_TOPIC)
        out.append(topic)
    if len(out) > MAX_TOPICS:
        raise Invalid(N_("Tối đa {max} chủ đề để chọn."), field="topics", max=MAX_TOPICS)
    return out


def _rubric(criteria: list[Any]) -> list[dict[str, Any]]:
    if not criteria:
        raise Invalid(N_("Cần ít nhất một tiêu chí chấm điểm."), field="rubric")
    if len(criteria) > MAX_CRITERIA:
        raise Invalid(N_("Tối đa {max} tiêu chí chấm điểm."), field="rubric", max=MAX_CRITERIA)
    out: list[dict[str, Any]] = []
    for n, item in enumerate(criteria, start=1):
        c = item if isinstance(item, CriterionIn) else CriterionIn.model_validate(item)
        label = clean(c.label)
        if not label or len(label) > 200:
            raise Invalid(N_("Tiêu chí {n}: cần tên tiêu chí (tối đa 200 ký tự)."), field="rubric", n=n)
        key = clean(c.key).lower() or ascii_slug(label, fallback=f"tieu_chi_{n}").replace("-", "_")[:40]
        if not _KEY.match(key):
            raise Invalid(N_("Tiêu chí {n}: mã «{key}» chỉ gồm chữ thường không dấu, số và dấu gạch dưới."), field="rubric", n=n, key=key)
        if any(o["key"] == key for o in out):
            raise Invalid(N_("Tiêu chí {n}: mã «{key}» bị trùng."), field="rubric", n=n, key=key)
        points = c.max_points
        if not isinstance(points, int | float) or not math.isfinite(points) or not 0 < points <= MAX_CRITERION_POINTS:
            raise Invalid(N_("Tiêu chí {n}: điểm tối đa phải lớn hơn 0 và không quá {max}."), field="rubric", n=n, max=MAX_CRITERION_POINTS)
        out.append({"key": key, "label": label, "max_points": int(points) if float(points).is_integer() else float(points)})
    return out


def check(session: Session, actor: Actor, values: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Clean and check every setting given (a create passes them all, an update those sent)."""
    # The first problem raises, so the groups keep the order of the settings; `out` keeps that order too.
    out: dict[str, Any] = {}
    out.update(_check_texts(values))
    out.update(_check_times(values, tz))
    out.update(_check_word_limits(values))
    if "rubric" in values:
        out["rubric"] = _rubric(values["rubric"])
    out.update(_check_grading(values))
    if "allow_edit_after_submit" in values:
        out["allow_edit_after_submit"] = bool(values["allow_edit_after_submit"])
    out.update(_check_contest(session, actor, values))
    return out


def _check_texts(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "title" in values:
        out["title"] = clean(values["title"])
        if not out["title"] or len(out["title"]) > 300:
            raise Invalid(N_("Cần tên cuộc viết (tối đa 300 ký tự)."), field="title")
    if "prompt" in values:
        out["prompt"] = nfc(values["prompt"] or "").replace("\r\n", "\n").strip()
        if len(out["prompt"]) > MAX_PROMPT:
            raise Invalid(N_("Đề bài dài quá {max} ký tự."), field="prompt", max=MAX_PROMPT)
    if "topics" in values:
        out["topics"] = _topics(values["topics"] or [])
    return out


def _check_times(values: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Both times are required once sent; naive times are in the campaign's time zone."""
    out: dict[str, Any] = {}
    for key in ("opens_at", "closes_at"):
        if key in values:
            if values[key] is None:
                raise Invalid(N_("Cần thời gian bắt đầu và hạn chót nhận bài."), field=key)
            out[key] = to_utc(values[key], tz)
    return out


def _check_word_limits(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("min_words", "max_words"):
        if key in values and not 0 <= values[key] <= MAX_WORD_LIMIT:
            raise Invalid(N_("Số chữ phải từ 0 đến {max}."), field=key, max=MAX_WORD_LIMIT)
        if key in values:
            out[key] = values[key]
    if "max_words" in out and out["max_words"] < 1:
        raise Invalid(N_("Số chữ tối đa phải lớn hơn 0."), field="max_words")
    return out


def _check_grading(values: dict[str, Any]) -> dict[str, Any]:
    """How many judges grade each essay, and how far apart their grades may be before a review."""
    out: dict[str, Any] = {}
    if "graders_per_essay" in values:
        if not 1 <= values["graders_per_essay"] <= MAX_GRADERS:
            raise Invalid(N_("Số giám khảo chấm mỗi bài phải từ 1 đến {max}."), field="graders_per_essay", max=MAX_GRADERS)
        out["graders_per_essay"] = values["graders_per_essay"]
    if "disagreement_share" in values:
        share = values["disagreement_share"]
        if not math.isfinite(share) or not 0 < share <= 1:
            raise Invalid(N_("Mức chênh lệch cần xem lại phải lớn hơn 0% và không quá 100%."), field="disagreement_share")
        out["disagreement_share"] = share
    return out


def _check_contest(session: Session, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    """The contest the grades add to, and with what weight."""
    out: dict[str, Any] = {}
    if "contest_id" in values:
        out["contest_id"] = _contest_link(session, actor, values["contest_id"])
    if "contest_weight" in values:
        weight = values["contest_weight"]
        if not math.isfinite(weight) or not 0 <= weight <= MAX_WEIGHT:
            raise Invalid(N_("Hệ số cộng vào cuộc thi phải từ 0 đến {max}."), field="contest_weight", max=MAX_WEIGHT)
        out["contest_weight"] = weight
    return out


def _contest_link(session: Session, actor: Actor, contest_id: int | None) -> int | None:
    from app.services.contests import contests

    if contest_id is None:
        return None
    try:
        return contests.get_contest(session=session, actor=actor, contest_id=contest_id).id
    except NotFound:
        raise Invalid(N_("Không tìm thấy cuộc thi để liên kết."), field="contest_id") from None


WHOLE = ("opens_at", "closes_at", "min_words", "max_words", "contest_id", "contest_weight")


def check_whole(values: dict[str, Any]) -> dict[str, Any]:
    """Rules between fields, checked on the settings as they would be after a create or an update (nothing is
    applied before they pass). Returns them with the weight cleared when there is no contest link."""
    if values["closes_at"] <= values["opens_at"]:
        raise Invalid(N_("Hạn chót nhận bài phải sau thời gian bắt đầu."), field="closes_at")
    if values["min_words"] > values["max_words"]:
        raise Invalid(N_("Số chữ tối thiểu không được lớn hơn số chữ tối đa."), field="min_words")
    if values["contest_id"] is None:
        return {**values, "contest_weight": 0.0}
    if values["contest_weight"] <= 0:
        raise Invalid(N_("Có liên kết cuộc thi thì cần hệ số cộng điểm lớn hơn 0."), field="contest_weight")
    return values
