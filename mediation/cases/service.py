"""Case use cases. Each public function is one unit of work (:func:`mediation.db.uow.unit_of_work`): it commits on
success and rolls back everything (state, side effects, event row, deadlines, derived rows, documents) on any
error.

A transition (:func:`fire_event`) is the case loaded and locked with what the event reads, the version and
scope checked, then the workflow's shared ``transitions`` machine driven on it — the order of its steps and
where each is declared are in :mod:`workflows.pipeline`; what each event does is its spec in
:mod:`workflows.events`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from mediation.cases.date_checks import check_intake_dates
from mediation.cases.inputs import CaseCreateSchema
from mediation.cases.numbering import format_case_number, next_number
from mediation.db.models import Case, CaseEvent, Claim, Enterprise, Organisation, Party
from mediation.db.uow import unit_of_work, unit_of_work_recording
from mediation.domain import legal_basis as lb
from mediation.domain.deadline_rules import DeadlineKind
from mediation.domain.enums import CaseSource
from mediation.domain.errors import Blocker, ConflictError, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.policy import Actor, can
from mediation.runtime.env import ServiceEnv
from workflows import deadlines as dl
from workflows.binding import WORKFLOWS, EventOption, Workflows
from workflows.events import SPECS
from workflows.history import append_event, notify_observers, produce_documents
from workflows.mediators import RecusalRefused, check_mediator
from workflows.schema import load_input, to_jsonable

K = DeadlineKind
_create_schema = CaseCreateSchema()

APPLICATION_SOURCES = {CaseSource.WALK_IN_WRITTEN, CaseSource.WALK_IN_ORAL, CaseSource.ONLINE, CaseSource.REFERRAL}


def get_case(
    session: Session, *, case_id: int, actor: Actor, for_update: bool = False, with_: Sequence[str] = ()
) -> Case:
    """A case the actor may see; out of scope answers NotFound (no existence leak). ``with_`` names
    collections to load in the same query (e.g. what an event's guards read)."""
    stmt = select(Case).where(Case.id == case_id).options(
        joinedload(Case.organisation, innerjoin=True), *(joinedload(getattr(Case, r)) for r in with_))
    if for_update:
        stmt = stmt.with_for_update(of=Case)
    case = session.scalars(stmt).unique().one_or_none()
    if case is None or not can(actor, "read", case):
        raise NotFound(f"案件{case_id}不存在或不在您的管辖范围内")
    return case


def create_case(
    session: Session,
    *,
    actor: Actor,
    data: Mapping[str, Any],
    env: ServiceEnv,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
    workflows: Workflows = WORKFLOWS,
) -> Case:
    """Register a case from intake (a risk signal, an application, or a negotiation request), on the current
    workflow version."""
    with unit_of_work(session):
        today = today or env.today()
        d = load_input(_create_schema, data)
        bad_dates = check_intake_dates(d, today)
        if bad_dates:
            raise ValidationFailed("日期有误：" + next(iter(bad_dates.values()))[0], errors=bad_dates)
        org = session.get(Organisation, d["organisation_id"])
        if org is None:
            raise ValidationFailed("调解组织不存在", errors={"organisation_id": ["调解组织不存在"]})
        probe = Case(organisation_id=org.id, organisation=org)
        if not can(actor, "create", probe):
            raise PermissionDenied("您无权在该组织登记案件")
        if d["enterprise_id"] is not None and session.get(Enterprise, d["enterprise_id"]) is None:
            raise ValidationFailed("用人单位不存在", errors={"enterprise_id": ["用人单位不存在"]})
        if d["lead_mediator_id"] is not None:
            check_mediator(session, d["lead_mediator_id"], org)

        source = CaseSource(d["source"])
        initial = d["initial_state"] or ("applied" if source in APPLICATION_SOURCES else "reported")
        rules = env.rules
        workers = d["workers_count"]
        # LDMAL art. 7: ten or more workers *with a common claim* (the schema requires the claim of a case flagged
        # collective); a head count alone does not make a collective dispute.
        collective = d["is_collective"] if d["is_collective"] is not None else (
            workers >= rules.collective_threshold and bool(d["common_claim"].strip()))
        year = (d["reported_on"] or today).year
        n = next_number(session, organisation_id=org.id, year=year, kind="case")
        case = Case(
            number=format_case_number(prefix=org.doc_prefix or org.short_name or org.name[:4], year=year, n=n),
            title=d["title"],
            category=d["category"],
            source=source,
            oral_application=source == CaseSource.WALK_IN_ORAL,
            status=initial,
            workflow_version=workflows.current,
            rules_version=rules.version,
            organisation=org,
            enterprise_id=d["enterprise_id"],
            lead_mediator_id=d["lead_mediator_id"],
            workers_count=workers,
            is_collective=collective,
            facts=d["facts"],
            requests=d["requests"],
            common_claim=d["common_claim"].strip(),
            employment_ongoing=d["employment_ongoing"],
            employment_ended_on=d["employment_ended_on"],
            respondent_consents=d["respondent_consents"],
            dispute_arose_on=d["dispute_arose_on"],
            reported_on=d["reported_on"] or today,
            received_on=(d["received_on"] or today) if initial == "applied" else d["received_on"],
        )
        parties: list[Party] = []
        for p in d["parties"]:
            fields_ = {k: v for k, v in p.items() if k != "represents_index"}
            if fields_.get("id_number"):
                fields_["id_number"] = fields_["id_number"].strip().upper()
            if fields_.get("uscc"):
                fields_["uscc"] = fields_["uscc"].strip().upper()
            parties.append(Party(**fields_))
        case.parties.extend(parties)
        case.claims.extend(Claim(**c) for c in d["claims"])
        session.add(case)

        dl.first_limitation(case, rules=rules, calendar=env.calendar)
        if initial == "applied":
            for kind in (K.ACCEPTANCE, K.ARBITRATION_RIGHT):
                dl.add_deadline(case, kind, anchor=dl.anchor_for(case, kind, today), rules=rules,
                                calendar=env.calendar)
            dl.restart_limitation(case, case.received_on or today, rules=rules, calendar=env.calendar,
                                  basis=lb.LIMITATION_APPLICATION)
        elif initial == "negotiating":
            dl.add_deadline(case, K.NEGOTIATION_REPLY, anchor=today, rules=rules, calendar=env.calendar)
            dl.restart_limitation(case, today, rules=rules, calendar=env.calendar, basis=lb.LIMITATION_NEGOTIATION)
        if collective:
            dl.add_deadline(case, K.COLLECTIVE_REPORT, anchor=case.reported_on, rules=rules, calendar=env.calendar)
        ev = append_event(
            session, case, event="register", from_state=None, to_state=initial, actor=actor,
            payload={"source": source.value, "initial_state": initial}, at=at,
        )
        if at is not None:
            case.created_at = at
        session.flush()
        for p, raw in zip(parties, d["parties"], strict=True):
            if raw.get("represents_index") is not None:
                p.represents_id = parties[raw["represents_index"]].id
        notify_observers(session, case, ev, env)
        if initial == "applied":  # registered as an application: the documents its registration produces
            produce_documents(session, case, ev, env, actor, SPECS["register_application"].produces, today)
        return case


def available_events(
    session: Session, *, case: Case, actor: Actor, env: ServiceEnv, today: dt.date | None = None,
    workflows: Workflows = WORKFLOWS,
) -> list[EventOption]:
    """Every event leaving the case's state, whether the actor may fire it now, and why not (the machine's own
    conditions; out of the actor's scope, nothing is allowed)."""
    options = workflows.version(case.workflow_version).options(case, actor=actor, today=today or env.today(),
                                                                  env=env)
    if not can(actor, "act", case):
        return [
            EventOption(o.event, o.label, o.dest, False, False, (Blocker("scope", "无权办理该案件"),), o.inputs,
                        o.requires_reason, o.description)
            for o in options
        ]
    return options


def append_side_event(
    session: Session,
    case: Case,
    *,
    event: str,
    actor: Actor,
    payload: Mapping[str, Any] | None = None,
    reason: str = "",
) -> CaseEvent:
    """Record something that happened to a case without changing its state or its version (e.g. a
    document was generated): ``from = to = status``. The caller holds the case row locked."""
    session.flush()
    table = Case.__table__
    seq = session.execute(  # Core, not the ORM: the version column is not bumped
        update(table).where(table.c.id == case.id).values(last_event_seq=table.c.last_event_seq + 1)
        .returning(table.c.last_event_seq)
    ).scalar_one()
    set_committed_value(case, "last_event_seq", seq)
    ev = CaseEvent(case_id=case.id, seq=seq, event=event, from_state=case.status, to_state=case.status,
                   actor_id=actor.user_id, actor_role=actor.role, reason=reason,
                   payload=to_jsonable(dict(payload or {})))
    session.add(ev)
    return ev


def fire_event(
    session: Session,
    *,
    case_id: int,
    event: str,
    actor: Actor,
    payload: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    env: ServiceEnv,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
    workflows: Workflows = WORKFLOWS,
) -> Case:
    """Apply one workflow event to a case, in one unit of work. ``expected_version`` is the version the client
    saw; a stale one is a conflict. Then the machine (:mod:`workflows.pipeline`): an impossible event is "not
    allowed" whatever its payload; then the payload's shape; then its dates; then the guards' legal conditions
    (all of them); then the effect, deadlines, limitation, state, event row, observers and documents. A mediator
    named at acceptance who must recuse: nothing of the transition is written, the refusal is.
    ``workflows`` is the engine's (tests pass their own, e.g. a test-only definition version)."""

    def record_refusal(exc: RecusalRefused) -> None:
        _record_recusal_refused(session, case_id, actor, exc)

    with unit_of_work_recording(session, RecusalRefused, record_refusal):
        today = today or env.today()
        case = get_case(session, case_id=case_id, actor=actor, for_update=True, with_=workflows.case_reads(event))
        if expected_version is not None and case.version != expected_version:
            raise ConflictError(
                f"案件在您打开后已有更新（您看到的是第{expected_version}版，当前为第{case.version}版），请刷新后重试",
                current_version=case.version,
            )
        if not can(actor, "act", case):
            raise PermissionDenied("您无权办理该案件")
        workflows.version(case.workflow_version).fire(session, case, event, payload or {}, actor=actor, env=env,
                                                      today=today, at=at)
    session.expire(case, ["events", "sessions"])  # appended without loading; reload on next access
    return case


def _record_recusal_refused(session: Session, case_id: int, actor: Actor, exc: RecusalRefused) -> None:
    """The same record as a refused assignment (mediation/cases/assignment.py): who, whom and why. Runs after
    the transition's unit was rolled back (nothing of it is written), in a unit of its own."""
    case = get_case(session, case_id=case_id, actor=actor, for_update=True)
    append_event(session, case, event="assignment_refused", from_state=case.status, to_state=case.status,
                 actor=actor, reason=exc.conflict, payload={"mediator_id": exc.mediator_id})
    session.flush()
    exc.extra["current_version"] = case.version
