"""SQL functions with one meaning on both databases.

Each function is declared once, with its SQL for PostgreSQL and for SQLite (the default): the arguments are
rendered by the compiler and put into the template in order (``{0}``, ``{1}``…; literal braces doubled).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Date, Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import NullType, TypeEngine


def _render(template: str) -> Callable[..., str]:
    def render(element: FunctionElement[Any], compiler: Any, **kw: Any) -> str:
        return template.format(*(compiler.process(arg, **kw) for arg in element.clauses))

    return render


def portable_function(name: str, type_: TypeEngine[Any], doc: str, *, default: str,
                      dialects: Mapping[str, str] | None = None) -> type[FunctionElement[Any]]:
    """A SQL function class: ``default`` is the SQL for any database not named in ``dialects``."""
    cls: type[FunctionElement[Any]] = type(name, (FunctionElement,), {
        "type": type_, "inherit_cache": True, "name": name, "__doc__": doc})
    compiles(cls)(_render(default))
    for dialect, template in (dialects or {}).items():
        compiles(cls, dialect)(_render(template))
    return cls


month_start = portable_function(
    "month_start", Date(), "First day of the date's month.",
    default="date({0}, 'start of month')",
    dialects={"postgresql": "CAST(date_trunc('month', {0}) AS DATE)"})

# On SQLite 'weekday 1' moves forward to the next Monday (or stays): from six days earlier that is this week's.
week_start = portable_function(
    "week_start", Date(), "Monday of the date's ISO week.",
    default="date({0}, '-6 days', 'weekday 1')",
    dialects={"postgresql": "CAST(date_trunc('week', {0}) AS DATE)"})

hours_between = portable_function(
    "hours_between", Float(), "``(b - a)`` in hours, for two instants ``a``, ``b``.",
    default="((julianday({1}) - julianday({0})) * 24.0)",
    dialects={"postgresql": "(EXTRACT(EPOCH FROM ({1} - {0})) / 3600.0)"})

# Not Boolean: on SQLite a Boolean expression in WHERE is rendered as ``… = 1``, which hides the hint.
rare = portable_function(
    "rare", NullType(),
    "A condition true for very few rows: SQLite is told so (``likelihood``) and then drives the query from the "
    "condition's index; PostgreSQL estimates it from its statistics.",
    default="({0})",
    dialects={"sqlite": "likelihood({0}, 0.0001)"})

# Case numbers look like ``（2026）东栅劳调字第12号``; SQLite's CAST takes the leading digits.
case_number_year = portable_function(
    "case_number_year", Integer(), "The year of a case number, as an integer (for numeric sorting).",
    default="CAST(substr({0}, 2, 4) AS INTEGER)",
    dialects={"postgresql": "CAST(substring({0} from '^（([0-9]{{1,4}})）') AS INTEGER)"})

case_number_seq = portable_function(
    "case_number_seq", Integer(), "The sequence of a case number (第12号 → 12), as an integer.",
    default="CAST(substr({0}, instr({0}, '第') + 1) AS INTEGER)",
    dialects={"postgresql": "CAST(substring({0} from '第([0-9]{{1,9}})号$') AS INTEGER)"})


def dialect_insert(session: Session, table: Any) -> Any:
    """An INSERT with the dialect's ``on_conflict_…`` clauses (PostgreSQL or SQLite), for upserts."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)
