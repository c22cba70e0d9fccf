"""Case use cases. Each public function is one unit of work: it commits on success and rolls back
everything (state, side effects, event row, deadlines) on any error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from mediation.cases import deadlines as dl
from mediation.cases.date_checks import check_event_dates, check_intake_dates
from mediation.cases.numbering import format_case_number, next_number
from mediation.cases.recusal import RecusalRefused, conflict_reason
from mediation.cases.schemas import CaseCreateSchema, event_schema, to_jsonable
from mediation.db.models import (
    Agreement,
    Case,
    CaseEvent,
    Claim,
    Enterprise,
    MediationSession,
    Obligation,
    Organisation,
    Party,
    PerformanceRecord,
    User,
)
from mediation.db.uow import unit_of_work, unit_of_work_recording
from mediation.domain.deadline_rules import DeadlineKind
from mediation.domain.enums import (
    AgreementKind,
    CaseSource,
    ClaimType,
    DeadlineStatus,
    ObligationStatus,
    Obligor,
    Role,
)
from mediation.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationFailed
from mediation.domain.money import format_amount
from mediation.domain.policy import Actor, can
from mediation.runtime.env import ServiceEnv
from workflows.binding import CaseWorkflow, EventOption, case_reads
from workflows.definitions import CURRENT_VERSION, get_definition

K = DeadlineKind
_create_schema = CaseCreateSchema()

APPLICATION_SOURCES = {CaseSource.WALK_IN_WRITTEN, CaseSource.WALK_IN_ORAL, CaseSource.ONLINE, CaseSource.REFERRAL}


def _validation_failed(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed("提交的内容有误，请按提示修改", errors=exc.normalized_messages())


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


def _append_event(
    session: Session,
    case: Case,
    *,
    event: str,
    from_state: str | None,
    to_state: str,
    actor: Actor,
    reason: str = "",
    payload: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> CaseEvent:
    """Append the next event row. ``seq`` comes from the case row, which the caller holds locked."""
    case.last_event_seq = (case.last_event_seq or 0) + 1
    ev = CaseEvent(
        seq=case.last_event_seq,
        event=event,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.user_id,
        actor_role=actor.role,
        reason=reason,
        payload=to_jsonable(dict(payload or {})),
    )
    if at is not None:
        ev.at = at
    if case.id is None:
        case.events.append(ev)
    else:  # don't load the whole history just to append to it
        ev.case_id = case.id
        session.add(ev)
    return ev


def create_case(
    session: Session,
    *,
    actor: Actor,
    data: Mapping[str, Any],
    env: ServiceEnv,
    today: dt.date | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Register a case from intake (a risk signal, an application, or a negotiation request)."""
    with unit_of_work(session):
        today = today or env.today()
        try:
            d = _create_schema.load(data)
        except ValidationError as exc:
            raise _validation_failed(exc) from exc
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
            _check_mediator(session, d["lead_mediator_id"], org)

        source = CaseSource(d["source"])
        initial = d["initial_state"] or ("applied" if source in APPLICATION_SOURCES else "reported")
        rules = env.rules
        workers = d["workers_count"]
        collective = d["is_collective"] if d["is_collective"] is not None else workers >= rules.collective_threshold
        year = (d["reported_on"] or today).year
        n = next_number(session, organisation_id=org.id, year=year, kind="case")
        case = Case(
            number=format_case_number(prefix=org.doc_prefix or org.short_name or org.name[:4], year=year, n=n),
            title=d["title"],
            category=d["category"],
            source=source,
            oral_application=source == CaseSource.WALK_IN_ORAL,
            status=initial,
            workflow_version=CURRENT_VERSION,
            rules_version=rules.version,
            organisation=org,
            enterprise_id=d["enterprise_id"],
            lead_mediator_id=d["lead_mediator_id"],
            workers_count=workers,
            is_collective=collective,
            facts=d["facts"],
            requests=d["requests"],
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

        if case.dispute_arose_on is not None:
            dl.add_deadline(case, K.LIMITATION, anchor=case.dispute_arose_on, rules=rules, calendar=env.calendar)
        if initial == "applied":
            for kind in (K.ACCEPTANCE, K.ARBITRATION_RIGHT):
                dl.add_deadline(case, kind, anchor=dl.anchor_for(case, kind, today), rules=rules,
                                calendar=env.calendar)
            dl.restart_limitation(case, case.received_on or today, rules=rules, calendar=env.calendar)
        elif initial == "negotiating":
            dl.add_deadline(case, K.NEGOTIATION_REPLY, anchor=today, rules=rules, calendar=env.calendar)
            dl.restart_limitation(case, today, rules=rules, calendar=env.calendar)
        if collective:
            dl.add_deadline(case, K.COLLECTIVE_REPORT, anchor=case.reported_on, rules=rules, calendar=env.calendar)
        ev = _append_event(
            session, case, event="register", from_state=None, to_state=initial, actor=actor,
            payload={"source": source.value, "initial_state": initial}, at=at,
        )
        if at is not None:
            case.created_at = at
        session.flush()
        for p, raw in zip(parties, d["parties"], strict=True):
            if raw.get("represents_index") is not None:
                p.represents_id = parties[raw["represents_index"]].id
        _after_event(session, case, ev, env, actor, ("application",) if initial == "applied" else (), today)
        return case


def _after_event(
    session: Session, case: Case, ev: CaseEvent, env: ServiceEnv, actor: Actor, produces: tuple[str, ...],
    today: dt.date,
) -> None:
    """Derived data and documents, in the same unit of work as the event."""
    for observer in env.observers:
        observer(session, case, ev)
    if env.documents is not None:
        for kind in produces:
            env.documents.produce(session, case, kind, actor=actor, event=ev, today=today)


def _check_mediator(session: Session, user_id: int, org: Organisation) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in (Role.MEDIATOR, Role.SUPERVISOR):
        raise ValidationFailed("调解员不存在或已停用", errors={"mediator_id": ["调解员不存在或已停用"]})
    if user.organisation_id != org.id:
        raise ValidationFailed("调解员不属于本调解组织", errors={"mediator_id": ["调解员不属于本调解组织"]})
    return user


def available_events(
    session: Session, *, case: Case, actor: Actor, env: ServiceEnv, today: dt.date | None = None
) -> list[EventOption]:
    wf = CaseWorkflow(case, today=today or env.today(), rules=env.rules_for(case.rules_version))
    options = wf.available_events(actor.role)
    if not can(actor, "act", case):
        from mediation.domain.errors import Blocker

        return [
            EventOption(o.event, o.label, o.dest, False, False, (Blocker("scope", "无权办理该案件"),), o.inputs,
                        o.requires_reason, o.description)
            for o in options
        ]
    return options


#: A side effect of an event; it may return extra facts to record with the event (e.g. remedies).
Effect = Callable[[Session, Case, Mapping[str, Any], "_Ctx"], Mapping[str, Any] | None]


class _Ctx:
    __slots__ = ("actor", "env", "today")

    def __init__(self, actor: Actor, env: ServiceEnv, today: dt.date) -> None:
        self.actor = actor
        self.env = env
        self.today = today


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
) -> Case:
    """Apply one workflow event to a case: guards, state change, side effects, deadlines, event row,
    commit. ``expected_version`` is the version the client saw; a stale one is a conflict."""

    def record_refusal(exc: RecusalRefused) -> None:
        _record_recusal_refused(session, case_id, actor, exc)

    with unit_of_work_recording(session, RecusalRefused, record_refusal):
        today = today or env.today()
        case = get_case(session, case_id=case_id, actor=actor, for_update=True, with_=case_reads(event))
        if expected_version is not None and case.version != expected_version:
            raise ConflictError(
                f"案件已被他人修改（您看到的是第{expected_version}版，当前为第{case.version}版），请刷新后重试",
                current_version=case.version,
            )
        if not can(actor, "act", case):
            raise PermissionDenied("您无权办理该案件")
        definition = get_definition(case.workflow_version)
        rules = env.rules_for(case.rules_version)
        wf = CaseWorkflow(case, today=today, rules=rules, definition=definition)
        # Order matters: an impossible event is "not allowed" whatever its payload; then the payload's
        # shape; then the guards' legal conditions.
        t = wf.ensure_possible(event, actor.role)
        try:
            data = event_schema(event).load(dict(payload or {}))
        except ValidationError as exc:
            raise _validation_failed(exc) from exc
        check_event_dates(case, event, data, today)
        source, dest = wf.fire(event, data, actor.role)
        with session.no_autoflush:  # one UPDATE of the case row per operation
            ctx = _Ctx(actor, env, today)
            case.status = dest
            effect = EFFECTS.get(event)
            extra = (effect(session, case, data, ctx) if effect is not None else None) or {}
            if t.meets:
                dl.resolve(case, t.meets, DeadlineStatus.MET, today)
            if t.cancels:
                dl.resolve(case, t.cancels, DeadlineStatus.CANCELLED, today)
            for kind in t.opens:
                if kind == K.PERFORMANCE:
                    continue  # opened per obligation by the agreement effect
                if dl.open_deadline(case, kind) is None:
                    dl.add_deadline(case, kind, anchor=dl.anchor_for(case, kind, today), rules=rules,
                                    calendar=env.calendar, extra_days=case.extension_days if kind == K.MEDIATION_END
                                    else 0)
            if t.interrupts_limitation and event not in AGREEMENT_EVENTS:
                # (an agreement's interruption is one limitation per obligation, set by its effect)
                dl.restart_limitation(case, interruption_day(event, case, today), rules=rules,
                                      calendar=env.calendar)
            ev = _append_event(
                session, case, event=event, from_state=source, to_state=dest, actor=actor,
                reason=str(data.get("reason") or ""),
                payload={**{k: v for k, v in data.items() if k != "reason"}, **extra}, at=at,
            )
        try:
            session.flush()
        except StaleDataError as exc:
            raise ConflictError("案件已被他人修改，请刷新后重试") from exc
        _after_event(session, case, ev, env, actor, t.produces, today)
    session.expire(case, ["events", "sessions"])  # appended without loading; reload on next access
    return case


def _record_recusal_refused(session: Session, case_id: int, actor: Actor, exc: RecusalRefused) -> None:
    """The same record as a refused assignment (mediation/cases/assignment.py): who, whom and why. Runs after
    the transition's unit was rolled back (nothing of it is written), in a unit of its own."""
    case = get_case(session, case_id=case_id, actor=actor, for_update=True)
    _append_event(session, case, event="assignment_refused", from_state=case.status, to_state=case.status,
                  actor=actor, reason=exc.conflict, payload={"mediator_id": exc.mediator_id})
    session.flush()
    exc.extra["current_version"] = case.version


#: Events that produce an agreement: their interruption of the limitation (the other side agreeing to
#: perform) is modelled per obligation (:func:`mediation.cases.deadlines.limitations_per_obligation`).
AGREEMENT_EVENTS = ("sign_agreement", "settle")


def interruption_day(event: str, case: Case, today: dt.date) -> dt.date:
    """The day an interrupting event happened (LDMAL art. 27(2): "从中断时起，仲裁时效期间重新计算"), which
    is not the day it is entered: the application's receipt; today otherwise."""
    if event == "register_application":
        return case.received_on or today
    return today


# --- side effects per event -------------------------------------------------------------------------


def _fx_register_application(_s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.received_on = d.get("received_on") or ctx.today
    case.oral_application = bool(d.get("oral"))


def _fx_accept(s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.accepted_on = d.get("accepted_on") or ctx.today
    case.respondent_consents = True
    if d.get("mediator_id") is not None:
        user = _check_mediator(s, d["mediator_id"], case.organisation)
        conflict = conflict_reason(s, user.id, case)
        if conflict is not None:  # the same recusal rule as assignment (回避); fire_event records the refusal
            raise RecusalRefused(f"{user.display_name}应当回避，不能担任主办调解员：{conflict}",
                                 mediator_id=user.id, conflict=conflict)
        case.lead_mediator_id = d["mediator_id"]
    elif case.lead_mediator_id is None and ctx.actor.role == Role.MEDIATOR:
        case.lead_mediator_id = ctx.actor.user_id


def _fx_end(_s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.ended_on = ctx.today
    case.end_reason = d.get("reason_code") or d.get("end_reason") or case.status


def _fx_session(s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    s.add(  # added by key, not through case.sessions: no need to load earlier sessions
        MediationSession(
            case_id=case.id,
            started_at=d["started_at"],
            ended_at=d.get("ended_at"),
            place=d["place"],
            mediator_id=ctx.actor.user_id,
            recorder=d.get("recorder", ""),
            attendees=list(d["attendees"]),
            record=d["record"],
            signed_by_all=bool(d.get("signed_by_all")),
        )
    )


def _fx_extend(_s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.extension_days = (case.extension_days or 0) + int(d["days"])
    # The running period, or (extension after lapse, V2) the one the lapse recorded overdue: superseded by
    # the extended one. An overdue row keeps overdue_recorded_at (the case did lapse once).
    for current in case.deadlines:
        if current.kind == K.MEDIATION_END and current.status in (DeadlineStatus.OPEN, DeadlineStatus.OVERDUE):
            current.status = DeadlineStatus.CANCELLED
            current.resolved_on = ctx.today
    dl.add_deadline(case, K.MEDIATION_END, anchor=case.accepted_on or ctx.today,
                    rules=ctx.env.rules_for(case.rules_version), calendar=ctx.env.calendar,
                    extra_days=case.extension_days)


def _fx_agreement(kind: AgreementKind) -> Effect:
    def effect(_s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
        signed = d.get("signed_on") or ctx.today
        case.agreed_on = signed
        obligations = [
            Obligation(
                obligor=o["obligor"], claim_type=o["claim_type"], description=o["description"],
                amount=o["amount"], due_on=o["due_on"], status=ObligationStatus.PENDING,
            )
            for o in d["obligations"]
        ]
        agreement = Agreement(
            kind=kind, signed_on=signed, terms=d["terms"],
            performance_method=d.get("performance_method", ""), performance_place=d.get("performance_place", ""),
            total_amount=sum((o.amount for o in obligations), Decimal("0")),
        )
        agreement.obligations.extend(obligations)
        case.agreements.append(agreement)
        rules = ctx.env.rules_for(case.rules_version)
        dl.add_performance_deadlines(case, obligations, rules=rules)
        dl.limitations_per_obligation(case, obligations, signed_on=signed, rules=rules, calendar=ctx.env.calendar)

    return effect


def _fx_performance(_s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    agreement = case.current_agreement
    assert agreement is not None
    ob = next(o for o in agreement.obligations if o.id == d["obligation_id"])
    # Checked against the case (the schema cannot): a payment is at most what is still owed on the
    # instalment, and it happened between the agreement's date and today.
    errors: dict[str, list[str]] = {}
    outstanding = ob.outstanding
    if d["amount"] <= 0:
        errors["amount"] = ["履行金额应大于0"]
    elif outstanding <= 0:
        errors["amount"] = [f"该履行事项（{ob.description}）已全部履行，无需再登记"]
    elif d["amount"] > outstanding:
        errors["amount"] = [f"登记金额{format_amount(d['amount'])}元超过该履行事项尚未履行的余额"
                            f"{format_amount(outstanding)}元，请核对"]
    if d["performed_on"] > ctx.today:
        errors["performed_on"] = ["履行日期不能晚于今天"]
    elif d["performed_on"] < agreement.signed_on:
        errors["performed_on"] = [f"履行日期不能早于协议签订日期{agreement.signed_on.isoformat()}"]
    if errors:
        raise ValidationFailed("履行情况有误：" + "；".join(m for ms in errors.values() for m in ms), errors=errors)
    ob.records.append(
        PerformanceRecord(performed_on=d["performed_on"], amount=d["amount"], proof=d["proof"],
                          recorded_by_id=ctx.actor.user_id)
    )
    ob.performed_amount = (ob.performed_amount or Decimal("0")) + d["amount"]
    if ob.performed_amount >= ob.amount:
        ob.status = ObligationStatus.PERFORMED
        dl.end_obligation_limitation(case, ob, d["performed_on"])
        for dd in case.deadlines:
            if dd.kind == K.PERFORMANCE and dd.obligation is ob and dd.status in (
                DeadlineStatus.OPEN, DeadlineStatus.OVERDUE
            ):
                dd.status = DeadlineStatus.MET
                dd.resolved_on = d["performed_on"]
    else:
        ob.status = ObligationStatus.PARTIAL


def _fx_lapse(_s: Session, case: Case, _d: Mapping[str, Any], ctx: _Ctx) -> None:
    """Day 15 (plus agreed extensions) passed without agreement: the clock is recorded as overdue."""
    for d in case.deadlines:
        if d.kind == K.MEDIATION_END and d.status == DeadlineStatus.OPEN:
            d.status = DeadlineStatus.OVERDUE
            d.resolved_on = ctx.today
            d.overdue_recorded_at = dt.datetime.now(dt.UTC)


def _fx_review(_s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    agreement = case.current_agreement
    assert agreement is not None
    agreement.review_kind = d["review_kind"]
    agreement.review_requested_on = d.get("requested_on") or ctx.today
    kind = K.ARBITRATION_REVIEW if d["review_kind"] == "arbitration_review" else K.JUDICIAL_CONFIRMATION
    dl.resolve(case, [kind], DeadlineStatus.MET, ctx.today)


#: Claim types that are 劳动报酬 for SPC-I art. 51(2) (an agreement "仅就劳动报酬争议").
REMUNERATION_TYPES = frozenset({ClaimType.WAGES, ClaimType.OVERTIME})
ESTIMATE_NOTE = "期限按本会记录推算，仅供参考，以仲裁委员会认定为准"


def remedies_after_default(case: Case, today: dt.date) -> list[dict[str, Any]]:
    """The parties' next routes when an agreement is not performed: LDMAL art. 15 (mediation agreement) or
    art. 5 (settlement) — arbitration; art. 16 — a payment order when the employer defaults on pay arrears,
    work-injury medical costs, economic compensation or damages; SPC-I art. 51(2) — a direct suit when the
    mediation agreement is only about labour remuneration and the employer defaults."""
    agreement = case.current_agreement
    if agreement is None:
        return []
    defaulted = [o for o in agreement.obligations if o.status != ObligationStatus.PERFORMED and o.due_on < today]
    # The party learns of the default the day after the agreed date (LDMAL art. 27(1)).
    first_known = min((o.due_on for o in defaulted), default=today - dt.timedelta(days=1)) + dt.timedelta(days=1)
    limitation_note = f"仲裁时效一年，自知道或者应当知道权利被侵害之日起计算（第二十七条）；{ESTIMATE_NOTE}"
    if agreement.kind == AgreementKind.SETTLEMENT:
        return [{
            "route": "arbitration",
            "label": "申请调解或者申请劳动人事争议仲裁",
            "basis": "《劳动争议调解仲裁法》第五条",
            "limitation_from": first_known.isoformat(),
            "note": "达成和解协议后不履行的，可以向调解组织申请调解；不愿调解、调解不成的，可以向劳动争议仲裁委员会"
            f"申请仲裁。{limitation_note}",
        }]
    routes: list[dict[str, Any]] = [
        {
            "route": "arbitration",
            "label": "申请劳动人事争议仲裁",
            "basis": "《劳动争议调解仲裁法》第十五条",
            "limitation_from": first_known.isoformat(),
            "note": limitation_note,
        }
    ]
    by_employer = [o for o in defaulted if o.obligor == Obligor.EMPLOYER]
    eligible = [o for o in by_employer if ClaimType(o.claim_type).payment_order_eligible]
    if eligible:
        note = ("因支付拖欠劳动报酬、工伤医疗费、经济补偿或者赔偿金事项达成调解协议，用人单位在协议约定期限内"
                "不履行的，劳动者可以持调解协议书依法向人民法院申请支付令")
        if any(o.claim_type == ClaimType.DOUBLE_WAGES for o in eligible):
            note += "；未签劳动合同二倍工资是否属于劳动报酬或者赔偿金，由人民法院认定"
        routes.append(
            {
                "route": "payment_order",
                "label": "向人民法院申请支付令",
                "basis": "《劳动争议调解仲裁法》第十六条",
                "obligations": [o.id for o in eligible],
                "note": note,
            }
        )
    only_remuneration = bool(agreement.obligations) and all(
        ClaimType(o.claim_type) in REMUNERATION_TYPES and o.obligor == Obligor.EMPLOYER
        for o in agreement.obligations
    )
    if only_remuneration and by_employer:
        routes.append(
            {
                "route": "lawsuit",
                "label": "以调解协议书为依据直接向人民法院起诉",
                "basis": "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）第五十一条",
                "note": "仅就劳动报酬争议达成调解协议，用人单位不履行调解协议确定的给付义务的，劳动者可以直接提起诉讼",
            }
        )
    return routes


def _fx_non_performance(_s: Session, case: Case, _d: Mapping[str, Any], ctx: _Ctx) -> dict[str, Any]:
    agreement = case.current_agreement
    assert agreement is not None
    defaulted = []
    for o in agreement.obligations:
        if o.status != ObligationStatus.PERFORMED and o.due_on < ctx.today:
            o.status = ObligationStatus.DEFAULTED
            defaulted.append(o)
    routes = remedies_after_default(case, ctx.today)
    # LDMAL art. 27(1): each missed obligation's limitation runs from the day after its due date (the rows
    # opened with the agreement; added now for an agreement signed before they existed).
    rules = ctx.env.rules_for(case.rules_version)
    with_row = {d.obligation_id for d in case.deadlines if d.kind == K.LIMITATION and d.obligation_id is not None}
    for o in defaulted:
        if o.id not in with_row:
            row = dl.add_deadline(case, K.LIMITATION, anchor=o.due_on + dt.timedelta(days=1), rules=rules,
                                  calendar=ctx.env.calendar)
            row.obligation = o
    per_obligation = sorted(
        (d.due_on, d.obligation.id) for d in case.deadlines
        if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN and d.obligation is not None
        and d.obligation in defaulted
    )
    # The route names the earliest open date (conservative: a case-level row left from an older version counts).
    earliest = min((d.due_on for d in case.deadlines if d.kind == K.LIMITATION and d.status == DeadlineStatus.OPEN
                    and (d.obligation is None or d.obligation in defaulted)), default=None)
    for r in routes:
        if r["route"] == "arbitration" and earliest is not None:
            r["deadline"] = earliest.isoformat()
            r["limitations"] = [{"obligation_id": oid, "due_on": due.isoformat()} for due, oid in per_obligation]
    case.end_reason = "non_performance"
    return {"remedies": routes}


def _fx_escalate(_s: Session, case: Case, _d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.escalated_at = dt.datetime.now(dt.UTC)
    dl.resolve(case, [K.COLLECTIVE_REPORT], DeadlineStatus.MET, ctx.today)


def _fx_close(_s: Session, case: Case, _d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.closed_on = ctx.today
    if case.ended_on is None:
        case.ended_on = ctx.today


def _fx_withdraw(_s: Session, case: Case, _d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.ended_on = ctx.today
    case.end_reason = "withdrawn"


def _fx_dismiss(s: Session, case: Case, d: Mapping[str, Any], ctx: _Ctx) -> None:
    case.end_reason = "dismissed"
    _fx_close(s, case, d, ctx)


EFFECTS: Mapping[str, Effect] = {
    "register_application": _fx_register_application,
    "accept": _fx_accept,
    "reject": _fx_end,
    "terminate": _fx_end,
    "record_session": _fx_session,
    "extend": _fx_extend,
    "sign_agreement": _fx_agreement(AgreementKind.MEDIATION),
    "settle": _fx_agreement(AgreementKind.SETTLEMENT),
    "record_performance": _fx_performance,
    "record_late_performance": _fx_performance,
    "lapse": _fx_lapse,
    "request_review": _fx_review,
    "report_non_performance": _fx_non_performance,
    "escalate": _fx_escalate,
    "withdraw": _fx_withdraw,
    "dismiss": _fx_dismiss,
    "close": _fx_close,
}
