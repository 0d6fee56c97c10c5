"""After a live game: each player's own answers question by question (once the game is over: the right options
of a running game's later questions stay unknown), and the results as a spreadsheet for the host, the guests'
ranking on a sheet of its own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.errors import N_, Conflict, NotFound
from app.i18n import translate
from app.models import LiveAnswer, LiveGame, LiveQuestion, Unit
from app.models.live import LiveMode, LiveStatus
from app.models.types import utcnow
from app.services.kit.files import XLSX, ExportFile, ascii_slug, temp_file
from app.services.kit.sheets import VN_TZ, Column, Part, Report, translated, write_xlsx
from app.services.live import play
from app.services.live.schemas import ResultRow

MODE_NAMES = {LiveMode.points: N_("Tính điểm"), LiveMode.elimination: N_("Rung chuông vàng (loại trực tiếp)")}


@dataclass(frozen=True)
class Choice:
    text: str
    chosen: bool
    correct: bool


@dataclass(frozen=True)
class MyAnswer:
    """One question of the game as the player saw it, with what they chose and its verdict."""

    position: int  # from 1
    text: str
    choices: list[Choice]
    answered: bool
    correct: bool
    points: int


def shown_questions(session: Session, game: LiveGame) -> list[LiveQuestion]:
    """The questions the game opened (an elimination game or an early end leaves the others unplayed)."""
    stmt = (
        select(LiveQuestion)
        .where(col(LiveQuestion.game_id) == game.id, col(LiveQuestion.position) <= game.question_index)
        .order_by(col(LiveQuestion.position))
    )
    return list(session.exec(stmt).all())


def my_answers(*, session: Session, seat: play.Seat) -> list[MyAnswer]:
    """The seated player's answers, question by question, once the game is over."""
    if seat.player is None:
        raise NotFound(N_("Bạn chưa vào trò chơi này."))
    if seat.game.status != LiveStatus.finished:
        raise Conflict(N_("Câu trả lời của bạn được xem lại sau khi trò chơi kết thúc."))
    given = {
        a.question_index: a
        for a in session.exec(
            select(LiveAnswer).where(col(LiveAnswer.player_id) == seat.player.id, col(LiveAnswer.game_id) == seat.game.id)
        )
    }
    out = []
    for q in shown_questions(session, seat.game):
        a = given.get(q.position)
        chosen = set(a.option_ids) if a else set()
        out.append(
            MyAnswer(
                position=q.position + 1,
                text=q.text,
                choices=[Choice(o["text"], o["id"] in chosen, o["id"] in q.correct_ids) for o in q.options],
                answered=a is not None,
                correct=bool(a and a.correct),
                points=a.points if a else 0,
            )
        )
    return out


# --- the host's spreadsheet -----------------------------------------------------------------------------------------
def _ranking_part(rows: list[ResultRow], elimination: bool, locale: str, title: str = N_("Xếp hạng")) -> Part:
    columns = [
        Column(N_("Hạng"), 7, "int"),
        Column(N_("Họ và tên"), 28),
        Column(N_("Đơn vị"), 32),
        Column(N_("Điểm"), 10, "int"),
        Column(N_("Số câu đúng"), 12, "int"),
    ]
    if elimination:
        columns.append(Column(N_("Còn trong cuộc chơi"), 14))
    yes, no = translate(N_("Có"), locale), translate(N_("Không"), locale)

    def lines() -> Iterator[Sequence[Any]]:
        for r in rows:
            line: list[Any] = [r.rank, r.player.full_name, r.unit, r.score, r.correct_count]
            yield [*line, yes if r.alive else no] if elimination else line

    return Part(title, columns, lines())


def _questions_part(session: Session, game: LiveGame) -> Part:
    """Per question: how many answered it and how many answered it right."""
    counts = {
        int(i): (int(n), int(right or 0))
        for i, n, right in session.exec(
            select(
                col(LiveAnswer.question_index),
                func.count(),
                func.sum(case((col(LiveAnswer.correct).is_(True), 1), else_=0)),
            )
            .where(col(LiveAnswer.game_id) == game.id)
            .group_by(col(LiveAnswer.question_index))
        )
    }
    columns = [
        Column(N_("Câu"), 6, "int"),
        Column(N_("Nội dung"), 60),
        Column(N_("Đáp án đúng"), 30),
        Column(N_("Số người trả lời"), 12, "int"),
        Column(N_("Số trả lời đúng"), 12, "int"),
    ]

    def lines() -> Iterator[Sequence[Any]]:
        for q in shown_questions(session, game):
            n, right = counts.get(q.position, (0, 0))
            key = "; ".join(o["text"] for o in q.options if o["id"] in q.correct_ids)
            yield [q.position + 1, q.text, key, n, right]

    return Part(N_("Câu hỏi"), columns, lines())


def export(*, session: Session, seat: play.Seat, locale: str = "vi", tz: ZoneInfo = VN_TZ) -> ExportFile:
    """The XLSX of a game for its host: the members' ranking, the guests' on a sheet of their own (with their
    own ranks), and each question played with how many got it right."""
    if not seat.host:
        raise NotFound(N_("Không tìm thấy trò chơi."))
    game = seat.game
    rows = play.results(session=session, seat=seat)
    members, guests = [r for r in rows if not r.guest], [r for r in rows if r.guest]
    scope = session.get(Unit, game.scope_unit_id)
    display = translate(N_("Kết quả {title}.xlsx"), locale, title=game.title)
    notes = [
        translate(N_("Trò chơi: {title}"), locale, title=game.title),
        translate(N_("Hình thức: {mode}"), locale, mode=translate(MODE_NAMES.get(LiveMode(game.mode), game.mode), locale)),
        translate(N_("Phạm vi: {unit}"), locale, unit=f"{scope.code} — {scope.name}" if scope else ""),
        translate(N_("Xuất lúc: {at}"), locale, at=utcnow().astimezone(tz).strftime("%d/%m/%Y %H:%M:%S")),
    ]
    if game.status != LiveStatus.finished:
        notes.append(translate(N_("Trò chơi chưa kết thúc: đây là xếp hạng tại thời điểm xuất."), locale))
    if guests or game.allow_guests:
        notes.append(
            translate(
                N_("Khách mời (không có tài khoản) được xếp hạng riêng, ở trang Khách mời; đơn vị của khách do khách tự khai."), locale
            )
        )
    elimination = game.mode == LiveMode.elimination

    def write(fh: BinaryIO) -> None:
        parts = [_ranking_part(members, elimination, locale)]
        if guests or game.allow_guests:
            parts.append(_ranking_part(guests, elimination, locale, N_("Khách mời")))
        parts.append(_questions_part(session, game))
        write_xlsx(Report(title=display, parts=[translated(p, locale) for p in parts], tz=tz, note_lines=notes), fh)

    return ExportFile(
        path=temp_file(".xlsx", write), filename=f"ket-qua-{ascii_slug(game.title)}.xlsx", display_name=display, media_type=XLSX
    )
