"""The unit of work: everything a use case writes is committed together, or nothing is.

Every service that writes runs its body in :func:`unit_of_work`: on success the session is committed, on any
exception (``BaseException``: a typed refusal, a database error, a ``KeyboardInterrupt``) it is rolled back and
the exception propagates unchanged. A ``return`` inside the block commits first::

    with unit_of_work(session):
        case = get_case(session, case_id=case_id, actor=actor, for_update=True)
        ...
        return case

Some refusals are themselves part of the record (a mediator who must recuse, named at acceptance or at
assignment: who, whom and why). :func:`unit_of_work_recording` rolls the failed unit back, then writes the
refusal in a unit of its own, then re-raises the refusal.

A unit is the scope of one use case. A use case that runs another inside its own unit (registering a case
from a risk signal runs ``create_case``) nests them: the inner one commits at its end, the outer one then
commits what it added after; a failure anywhere rolls back what is not committed yet and propagates. Every
``session.commit()``/``session.rollback()`` pair of a service is this helper; the few explicit rollbacks left
release a row lock when there is nothing to do (the deadline sweep).

Once committed, the unit runs the jobs it left to run after its commit (:func:`mediation.queue.after_commit`:
the inline queue of SQLite and the tests — a document's render, the risk fold), each a unit of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy.orm import Session

from mediation.queue import discard_after_commit, run_after_commit

E = TypeVar("E", bound=BaseException)


@contextmanager
def unit_of_work(session: Session, *, commit: bool = True) -> Iterator[Session]:
    """Commit ``session`` when the block ends normally; roll it back (and re-raise) on any exception.

    ``commit=False``: the block is part of the caller's unit (e.g. a rebuild inside a larger import): nothing
    is committed here, but a failure still rolls everything back."""
    try:
        yield session
        if commit:
            session.commit()
    except BaseException:
        session.rollback()
        discard_after_commit(session)
        raise
    if commit:
        run_after_commit(session)


@contextmanager
def unit_of_work_recording(
    session: Session, refusal: type[E], record: Callable[[E], None]
) -> Iterator[Session]:
    """:func:`unit_of_work`, and when the block fails with ``refusal``: after the rollback, ``record(refusal)``
    runs and is committed in a unit of its own (if it fails too, that is rolled back and raised instead)."""
    try:
        with unit_of_work(session):
            yield session
    except refusal as exc:
        with unit_of_work(session):
            record(exc)
        raise
