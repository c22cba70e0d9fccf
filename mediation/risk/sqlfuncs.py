"""Small SQL functions with one meaning on both databases (month/week buckets, hours between instants)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType


class month_start(FunctionElement[Any]):
    """First day of the date's month."""

    type = Date()
    inherit_cache = True
    name = "month_start"


class week_start(FunctionElement[Any]):
    """Monday of the date's ISO week."""

    type = Date()
    inherit_cache = True
    name = "week_start"


class hours_between(FunctionElement[Any]):
    """``(b - a)`` in hours, for two instants."""

    type = Float()
    inherit_cache = True
    name = "hours_between"


@compiles(month_start, "postgresql")
def _pg_month(element: month_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_start)
def _sqlite_month(element: month_start, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(week_start, "postgresql")
def _pg_week(element: week_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(week_start)
def _sqlite_week(element: week_start, compiler: Any, **kw: Any) -> str:
    # 'weekday 1' moves forward to the next Monday (or stays): from six days earlier that is this week's Monday.
    return f"date({compiler.process(element.clauses, **kw)}, '-6 days', 'weekday 1')"


@compiles(hours_between, "postgresql")
def _pg_hours(element: hours_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(b, **kw)} - {compiler.process(a, **kw)})) / 3600.0)"


@compiles(hours_between)
def _sqlite_hours(element: hours_between, compiler: Any, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"((julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)})) * 24.0)"


class rare(FunctionElement[Any]):
    """A condition true for very few rows: SQLite is told so (``likelihood``) and then drives the query from
    the condition's index; PostgreSQL estimates it from its statistics."""

    # not Boolean: on SQLite a Boolean expression in WHERE is rendered as ``… = 1``, which hides the hint
    type = NullType()
    inherit_cache = True
    name = "rare"


@compiles(rare, "sqlite")
def _sqlite_rare(element: rare, compiler: Any, **kw: Any) -> str:
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.0001)"


@compiles(rare)
def _rare(element: rare, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)})"
