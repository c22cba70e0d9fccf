"""What the queue runs: the unit tasks by name (:func:`unit_tasks`), the periodic jobs
(:mod:`mediation.tasks.periodic`) and the worker processes (:mod:`mediation.tasks.worker`).

The services defer jobs by name through :mod:`mediation.queue` (the layer below them); this package, above
the documents and risk packages, maps the names to the code that runs them — in a worker on PostgreSQL, or
inline in the caller's session on SQLite (:func:`inline_handlers`).
"""

from __future__ import annotations

from collections.abc import Mapping

from mediation.queue import UnitHandler
from mediation.tasks.worker import UnitTask


def unit_tasks() -> dict[str, UnitTask]:
    """Every unit task by name."""
    return {}


def inline_handlers(tasks: Mapping[str, UnitTask] | None = None) -> dict[str, UnitHandler]:
    """The handlers an :class:`mediation.queue.InlineQueue` runs in the caller's session."""
    return {name: spec.handler for name, spec in (tasks if tasks is not None else unit_tasks()).items()}
