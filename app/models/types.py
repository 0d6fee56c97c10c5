"""Column types and SQL expressions shared by the models and services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no time zone type, so naive values read back are UTC by construction.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


# Ids are 32-bit INTEGER columns: a larger number from a URL is a row that cannot exist, not a
# database error (PostgreSQL refuses the comparison, SQLite's driver the parameter).
MAX_ID = 2**31 - 1


def is_db_id(value: int) -> bool:
    return 0 < value <= MAX_ID


class json_rows(FunctionElement[Any]):  # named as SQL functions are
    """An aggregate: the rows of its group as one JSON array of arrays, each holding the given columns' values
    (JSON columns as JSON, not as text), in no promised order. One value of a few kilobytes costs the reader less
    than twenty rows (attempts.own_sheet; docs/performance.md#the-quiz-pages-one-value)."""

    type = JSON()
    name = "json_rows"
    inherit_cache = True


@compiles(json_rows)  # PostgreSQL's, and how the statement prints
def _json_rows(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps JSON as text: json() makes json_array embed it instead of quoting it as a string
    values = (compiler.process(c, **kw) for c in element.clauses)
    columns = (f"json({v})" if isinstance(c.type, JSON) else v for c, v in zip(element.clauses, values, strict=True))
    return f"json_group_array(json_array({', '.join(columns)}))"
