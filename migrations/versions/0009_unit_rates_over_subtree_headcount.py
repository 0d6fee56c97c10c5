"""unit standings: rates over the subtree's declared headcount

A unit's participation rate counted its whole subtree's participants but divided by the unit's own
declared headcount, so a ward could outrank all of its cells. This recomputes every stored unit table
(headcount = the subtree's, rate and sibling ranks with it). A sealed round keeps its ranked list and
digest; if its unit table changed, `round.units_recomputed_at` says so on its pages and files.

The recomputation is written out here rather than imported, so this migration keeps meaning what it
meant when later code changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:30:00
"""

from collections import defaultdict
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import app.models.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _key(row: dict, criterion: str) -> tuple:
    rate = row["rate"] if row["rate"] is not None else -1.0
    avg = row["average_score"] if row["average_score"] is not None else -1.0
    keys = {
        "participation_rate": (rate, avg),
        "average_score": (avg, rate),
        "participants": (row["participants"], rate),
        "perfect_count": (row["perfect_count"], avg),
    }
    return tuple(-x for x in keys.get(criterion, keys["participation_rate"]))


def _recompute(conn: sa.Connection) -> None:
    units = conn.execute(sa.text("SELECT id, path, headcount FROM unit")).all()
    own = {uid: (path, headcount or 0) for uid, path, headcount in units}
    subtree: dict[int, int] = defaultdict(int)
    for _uid, (path, headcount) in own.items():
        for ancestor in (int(x) for x in path.strip("/").split("/")):
            subtree[ancestor] += headcount
    rounds = conn.execute(
        sa.text(
            "SELECT r.id, r.sealed_at, c.unit_rank_by FROM round r JOIN contest c ON c.id = r.contest_id "
            "WHERE EXISTS (SELECT 1 FROM unit_standing u WHERE u.round_id = r.id)"
        )
    ).all()
    now = datetime.now(timezone.utc)
    for round_id, sealed_at, criterion in rounds:
        rows = [
            dict(r._mapping)
            for r in conn.execute(
                sa.text(
                    "SELECT id, unit_id, parent_id, rank, participants, headcount, participation_rate AS rate, "
                    "average_score, perfect_count FROM unit_standing WHERE round_id = :r"
                ),
                {"r": round_id},
            )
        ]
        before = {r["id"]: (r["rank"], r["headcount"], r["rate"]) for r in rows}
        for r in rows:
            r["headcount"] = subtree.get(r["unit_id"], r["headcount"])
            r["rate"] = round(r["participants"] / r["headcount"], 6) if r["headcount"] else None
        by_parent: dict = defaultdict(list)
        for r in rows:
            by_parent[r["parent_id"]].append(r)
        for siblings in by_parent.values():
            siblings.sort(key=lambda r: _key(r, criterion))
            previous, rank = None, 0
            for n, r in enumerate(siblings, start=1):
                key = _key(r, criterion)
                if key != previous:
                    rank, previous = n, key
                r["rank"] = rank
        changed = [r for r in rows if before[r["id"]] != (r["rank"], r["headcount"], r["rate"])]
        for r in changed:
            conn.execute(
                sa.text("UPDATE unit_standing SET rank = :rank, headcount = :hc, participation_rate = :rate WHERE id = :id"),
                {"rank": r["rank"], "hc": r["headcount"], "rate": r["rate"], "id": r["id"]},
            )
        if changed and sealed_at is not None:
            conn.execute(
                sa.text("UPDATE round SET units_recomputed_at = :now WHERE id = :id").bindparams(
                    sa.bindparam("now", type_=app.models.types.UTCDateTime())
                ),
                {"now": now, "id": round_id},
            )


def upgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units_recomputed_at", app.models.types.UTCDateTime(timezone=True), nullable=True))
    _recompute(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("units_recomputed_at")
