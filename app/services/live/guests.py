"""Guests of a live game: people without an account join a game that lets them in (LiveGame.allow_guests) with
their name and a unit they pick from the game's scope. They are ranked apart from the members, and the units'
standings count members only: a guest's unit is their own word.

A guest proves who they are with the credential they got when joining, "<player id>.<secret>": the API sends it
as the X-Live-Guest header, pages keep it in a cookie. Only the secret's SHA-256 is stored (LivePlayer.guest_key),
so the database alone lets nobody play as a guest. Joins are counted per address (kit.counters) before anything
else is looked at, so guessing PINs meets the limit as fast as joining does."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import N_, Forbidden, Invalid, TooManyRequests
from app.models import LiveGame, LivePlayer, Unit
from app.models.types import is_db_id, utcnow
from app.services.kit import counters
from app.services.kit.text import clean
from app.services.live import games
from app.services.org import units

JOIN_WINDOW_S = 600  # joins are counted per address over this window
UNIT_CHOICES = 300  # a bigger scope offers its first levels only: a longer list is no use on a phone
NAME_MIN, NAME_MAX = 2, 120
CREDENTIAL_MAX = 100
UNKNOWN = N_("Bạn chưa vào trò chơi này, hoặc mã khách đã hết hiệu lực. Hãy nhập lại mã PIN để vào chơi.")
TOO_MANY = N_("Có quá nhiều lượt vào chơi với tư cách khách từ mạng của bạn. Vui lòng đợi {minutes} phút rồi thử lại.")


@dataclass(frozen=True)
class GuestPass:
    """A guest's credential as it came (header or cookie), not yet checked: play.seat checks it."""

    credential: str


# --- joining ----------------------------------------------------------------------------------------------------------
def join(
    *, session: Session, pin: str, full_name: str, unit_code: str, per_ip: int, ip: str | None = None, now: datetime | None = None
) -> tuple[LiveGame, LivePlayer, str]:
    """A new guest in the running game with this PIN, if it lets guests in: (game, player, credential). Every
    join makes a new player: a guest has no account to find again (the credential is how they come back)."""
    now = now or utcnow()
    _count_join(session, ip, per_ip, now)
    game = games.running(session, pin)
    if not game.allow_guests:
        raise Forbidden(N_("Trò chơi này chỉ dành cho người có tài khoản: hãy đăng nhập để chơi."))
    name = clean(full_name)
    if not NAME_MIN <= len(name) <= NAME_MAX:
        raise Invalid(N_("Họ và tên cần từ {low} đến {high} ký tự."), field="full_name", low=NAME_MIN, high=NAME_MAX)
    unit = _unit_in_scope(session, game, unit_code)
    secret = secrets.token_urlsafe(24)
    player = games.new_player(game, unit_id=unit.id or 0, full_name=name, guest_key=_digest(secret), now=now)
    session.add(player)
    session.flush()
    return game, player, f"{player.id}.{secret}"


def _count_join(session: Session, ip: str | None, per_ip: int, now: datetime) -> None:
    """Counted and committed before the PIN is looked at, so a refused join (a PIN guessed wrong) counts too."""
    if not ip:
        return
    count, start = counters.bump(session, f"live-guest:ip:{ip}"[:160], now, window_s=JOIN_WINDOW_S)
    session.commit()
    if count > per_ip:
        wait = max(1, math.ceil((start + timedelta(seconds=JOIN_WINDOW_S) - now).total_seconds()))
        raise TooManyRequests(TOO_MANY, headers={"Retry-After": str(wait)}, minutes=max(1, math.ceil(wait / 60)))


def _unit_in_scope(session: Session, game: LiveGame, code: str) -> Unit:
    scope = session.get(Unit, game.scope_unit_id)
    unit = session.exec(select(Unit).where(col(Unit.code) == units.normalise_code(code))).first() if clean(code) else None
    if scope is None or unit is None or not unit.path.startswith(scope.path):
        raise Invalid(N_("Hãy chọn đơn vị của bạn trong danh sách."), field="unit")
    return unit


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def player_for(session: Session, game_id: int, credential: str) -> LivePlayer | None:
    """The guest this credential names in this game; None for a malformed or unknown one, another game's, or a
    wrong secret."""
    head, _, secret = (credential or "")[:CREDENTIAL_MAX].partition(".")
    if not (head.isascii() and head.isdigit()) or not secret or not is_db_id(int(head)):
        return None
    player = session.get(LivePlayer, int(head))
    if player is None or player.game_id != game_id or player.guest_key is None:
        return None
    return player if hmac.compare_digest(player.guest_key, _digest(secret)) else None


# --- the PIN page of someone without an account ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Door:
    """What someone not logged in sees for a PIN: the game, whether guests may join it, the units to pick from
    (`cut` when only the scope's first levels are offered) and, if they joined already, their player."""

    game: LiveGame
    open: bool
    units: list[Unit]
    cut: bool
    player: LivePlayer | None


def door(*, session: Session, pin: str, credential: str | None = None) -> Door:
    game = games.running(session, pin)
    if not game.allow_guests:
        return Door(game, False, [], False, None)
    choices, cut = unit_choices(session, game)
    mine = player_for(session, game.id or 0, credential) if credential else None
    return Door(game, True, choices, cut, mine)


def unit_choices(session: Session, game: LiveGame) -> tuple[list[Unit], bool]:
    """The game's scope subtree in tree order; one of more than UNIT_CHOICES units is cut to its first levels
    that fit (True when cut)."""
    scope = session.get(Unit, game.scope_unit_id)
    if scope is None:
        return [], False
    inside = col(Unit.path).startswith(scope.path, autoescape=True)
    per_depth = session.exec(select(col(Unit.depth), func.count()).where(inside).group_by(col(Unit.depth)).order_by(col(Unit.depth))).all()
    deepest, taken = scope.depth, 0
    for depth, n in per_depth:
        if taken + n > UNIT_CHOICES:
            break
        deepest, taken = depth, taken + n
    chosen = session.exec(select(Unit).where(inside, col(Unit.depth) <= deepest)).all()
    return units.tree_order(list(chosen)), taken < sum(n for _, n in per_depth)
