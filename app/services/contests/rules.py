"""The rules ("Thể lệ") written from a contest's settings, so the page cannot disagree with what the
platform does. A pure function: the organiser's own Markdown text is shown beside these sentences."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from app.errors import N_
from app.i18n import translate
from app.models.contests import Contest, CountedAttempt, PredictionKind, ResultsVisibility, Round

TIME_FORMAT = "%d/%m/%Y %H:%M"

_COUNTED = {
    CountedAttempt.best: N_("lượt có điểm cao nhất được tính"),
    CountedAttempt.first: N_("chỉ lượt thi đầu tiên được tính"),
    CountedAttempt.last: N_("lượt thi cuối cùng được tính"),
    CountedAttempt.first_perfect: N_(
        "lượt đầu tiên đạt điểm tối đa được tính (chưa có lượt nào đạt điểm tối đa thì tính lượt có điểm cao nhất)"
    ),
}
_TRUTH = {
    PredictionKind.perfect_scorers: N_("số người trả lời đúng tất cả các câu hỏi"),
    PredictionKind.participants: N_("số người tham gia"),
    PredictionKind.attempts: N_("số lượt thi"),
}
_TIE = {
    "score": N_("điểm cao hơn xếp trên"),
    "prediction_error": N_("dự đoán sát hơn (chênh lệch giữa dự đoán và đáp án nhỏ hơn) xếp trên"),
    "duration": N_("thời gian làm bài ngắn hơn xếp trên"),
    "submitted_at": N_("nộp bài sớm hơn xếp trên"),
}


def _when(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime(TIME_FORMAT)


def _duration(seconds: int, locale: str) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(translate(N_("{n} giờ"), locale, n=hours))
    if minutes:
        parts.append(translate(N_("{n} phút"), locale, n=minutes))
    if secs or not parts:
        parts.append(translate(N_("{n} giây"), locale, n=secs))
    return " ".join(parts)


def _round_sentences(round_: Round, count: int, tz: ZoneInfo, tie_break: Sequence[str], locale: str) -> list[str]:
    def t(msgid: str, **params: object) -> str:
        return translate(msgid, locale, **params)

    out = [
        t(
            N_("{title}: mở từ {opens} đến {closes}."),
            title=round_.title,
            opens=_when(round_.opens_at, tz),
            closes=_when(round_.closes_at, tz),
        )
    ]
    limit = _duration(round_.time_limit_s, locale)
    if round_.draw:
        out.append(
            t(N_("Mỗi lượt thi gồm {count} câu hỏi rút ngẫu nhiên từ ngân hàng câu hỏi, làm trong {limit}."), count=count, limit=limit)
        )
    else:
        out.append(t(N_("Mỗi lượt thi gồm {count} câu hỏi do ban tổ chức chọn sẵn, làm trong {limit}."), count=count, limit=limit))
    out.append(t(N_("Thời gian làm bài không kéo dài quá giờ đóng vòng; hết giờ, bài được nộp tự động với các câu đã trả lời.")))
    if round_.shuffle_questions and round_.shuffle_options:
        out.append(t(N_("Thứ tự câu hỏi và thứ tự các phương án được xáo trộn riêng cho từng lượt thi.")))
    elif round_.shuffle_questions:
        out.append(t(N_("Thứ tự câu hỏi được xáo trộn riêng cho từng lượt thi; các phương án giữ nguyên thứ tự.")))
    elif round_.shuffle_options:
        out.append(t(N_("Các câu hỏi giữ nguyên thứ tự; thứ tự các phương án được xáo trộn riêng cho từng lượt thi.")))
    counted = t(_COUNTED[CountedAttempt(round_.counted_attempt)])
    if round_.attempts_allowed == 1:
        out.append(t(N_("Mỗi người được thi 1 lần.")))
    elif round_.attempts_allowed == 0:
        out.append(t(N_("Mỗi người được thi không giới hạn số lần; {counted}."), counted=counted))
    else:
        out.append(t(N_("Mỗi người được thi tối đa {n} lần; {counted}."), n=round_.attempts_allowed, counted=counted))
    if round_.attempts_allowed != 1 and round_.cooldown_s:
        out.append(t(N_("Giữa hai lần thi phải chờ ít nhất {wait}."), wait=_duration(round_.cooldown_s, locale)))
    out.append(
        t(
            N_("Mỗi câu trả lời đúng được {points} điểm; điểm tối đa của một lượt thi là {max} điểm."),
            points=round_.points_per_question,
            max=round_.points_per_question * count,
        )
    )
    if round_.results_visibility == ResultsVisibility.immediate:
        out.append(t(N_("Điểm và đáp án được xem ngay sau khi nộp bài.")))
    else:
        out.append(t(N_("Điểm và đáp án được công bố sau khi vòng thi đóng ({closes})."), closes=_when(round_.closes_at, tz)))
    if round_.prediction_kind:
        out.append(
            t(
                N_(
                    "Câu hỏi dự đoán: «{prompt}» Trả lời bằng một số nguyên; đáp án là {truth} của vòng, "
                    "chốt khi vòng đóng và chỉ tính các lượt thi hợp lệ."
                ),
                prompt=round_.prediction_prompt,
                truth=t(_TRUTH[PredictionKind(round_.prediction_kind)]),
            )
        )
        if round_.attempts_allowed != 1:
            if round_.prediction_lock_first:
                out.append(t(N_("Dự đoán được chốt theo lượt thi đầu tiên bạn nộp; các lượt sau không đổi được dự đoán.")))
            else:
                out.append(t(N_("Có thể trả lời lại câu dự đoán ở mỗi lượt thi; dự đoán của lượt được tính là dự đoán dùng để xếp hạng.")))
        if "prediction_error" not in tie_break:
            out.append(t(N_("Câu hỏi dự đoán không dùng để xếp hạng cuộc thi này.")))
    return out


def rules_summary(
    contest: Contest, rounds: Sequence[Round], question_counts: Mapping[int, int] | None = None, *, locale: str = "vi"
) -> list[str]:
    """Sentences of the rules, contest first, then each round, then the ranking. `question_counts` gives
    the length of each fixed question list by round id (a draw counts its own lines)."""
    tz = ZoneInfo(contest.timezone)
    counts = question_counts or {}
    if contest.timezone == "Asia/Ho_Chi_Minh":
        out = [translate(N_("Cuộc thi gồm {n} vòng thi; mọi mốc thời gian tính theo giờ Việt Nam (UTC+07:00)."), locale, n=len(rounds))]
    else:
        out = [
            translate(
                N_("Cuộc thi gồm {n} vòng thi; mọi mốc thời gian tính theo múi giờ {tz}."), locale, n=len(rounds), tz=contest.timezone
            )
        ]
    for round_ in sorted(rounds, key=lambda r: r.position):
        count = counts.get(round_.id or 0) or sum(int(line["count"]) for line in round_.draw)
        out.extend(_round_sentences(round_, count, tz, contest.tie_break, locale))
    chain = tie_chain(contest, locale=locale)
    if chain:
        out.append(chain)
    if len(rounds) > 1:
        out.append(
            translate(
                N_(
                    "Xếp hạng chung cuộc theo tổng điểm các vòng; nếu bằng nhau thì xét lần lượt các "
                    "tiêu chí như trên, tính trên tổng các vòng."
                ),
                locale,
            )
        )
    return out


def tie_chain(contest: Contest, *, locale: str = "vi") -> str | None:
    """The ranking sentence: the contest's tie-break chain in words."""
    rules = [translate(_TIE[key], locale) for key in contest.tie_break if key in _TIE]
    if not rules:
        return None
    chain = rules[0] + "".join(translate(N_("; nếu bằng nhau thì {rule}"), locale, rule=r) for r in rules[1:])
    return translate(N_("Xếp hạng mỗi vòng: {chain}."), locale, chain=chain)


def counted_rule(round_: Round, *, locale: str = "vi") -> str:
    """Which attempt counts, in words (with a capital, as a sentence of its own)."""
    text = translate(_COUNTED[CountedAttempt(round_.counted_attempt)], locale)
    return text[:1].upper() + text[1:] + "."


def truth_label(round_: Round, *, locale: str = "vi") -> str | None:
    """What the prediction question's true value is, in words ("số người tham gia")."""
    return translate(_TRUTH[PredictionKind(round_.prediction_kind)], locale) if round_.prediction_kind else None
