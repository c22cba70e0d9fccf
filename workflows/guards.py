"""Guards: each answers "may this happen now?" with a reason a mediator can read.

Guards see the case through a duck-typed view (the ORM row satisfies it) plus the event's payload,
today's date and the deadline rules. They never write. A definition names them per transition; the shared
machine (:mod:`workflows.binding`) makes each one a condition of that transition, evaluates all of them and
reports every blocker, and lists them for "what can I do now" (a guard that ``needs_input`` is shown as the form
fields it reads, not decided before the form is filled in).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from mediation.domain import legal_basis as lb
from mediation.domain.deadline_rules import DeadlineKind, RuleSet
from mediation.domain.enums import AgreementKind, DisputeCategory, PartyRole
from mediation.domain.errors import Blocker


class TerminationReason(StrEnum):
    FAILED = "failed"
    PARTY_REFUSES = "party_refuses"
    LAPSED = "lapsed"
    RESPONDENT_ABSENT = "respondent_absent"

    @property
    def label(self) -> str:
        return {
            "failed": "经调解未能达成协议",
            "party_refuses": "一方当事人拒绝继续调解",
            "lapsed": "调解期限届满未达成协议",
            "respondent_absent": "被申请人无正当理由拒不到场",
        }[self.value]


class RejectionReason(StrEnum):
    OUT_OF_SCOPE = "out_of_scope"
    RESPONDENT_REFUSES = "respondent_refuses"
    ALREADY_ARBITRATED = "already_arbitrated"

    @property
    def label(self) -> str:
        return {
            "out_of_scope": "申请事项不属于劳动争议调解受理范围",
            "respondent_refuses": "对方当事人明确拒绝调解",
            "already_arbitrated": "争议已进入仲裁或诉讼程序",
        }[self.value]


@dataclass(frozen=True)
class GuardContext:
    case: Any
    payload: Mapping[str, Any]
    today: dt.date
    rules: RuleSet
    actor_role: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


GuardFn = Callable[[GuardContext], Blocker | None]


@dataclass(frozen=True)
class Guard:
    name: str
    check: GuardFn
    #: True when the guard judges the event's input: it cannot be decided before the form is filled in.
    needs_input: bool = False
    #: The payload fields this guard reads (shown to the UI as what the form needs).
    fields: tuple[str, ...] = ()
    #: The case's collections this guard reads (loaded with the case when the event is fired).
    reads: tuple[str, ...] = ()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _open_deadline(case: Any, kind: str) -> Any | None:
    for d in case.deadlines:
        if d.kind == kind and d.status == "open":
            return d
    return None


def _is_collective(ctx: GuardContext) -> bool:
    """The case's flag: set at intake (ten or more workers *with a common claim*, LDMAL art. 7, or flagged by
    the clerk) and corrected by the mediator with a reason (``correct_collective``)."""
    return bool(ctx.case.is_collective)


#: The committee's adopted practice for the number of representatives of a collective dispute.
REPRESENTATIVES_RANGE = (3, 5)


def _org(ctx: GuardContext) -> Any:
    return getattr(ctx.case, "organisation", None)


def g_is_collective(ctx: GuardContext) -> Blocker | None:
    if _is_collective(ctx):
        return None
    # The reporting duty comes from the committee's own rules (local emergency plans; the union's role in
    # collective incidents: Trade Union Law art. 28), not from LDMAL art. 7, which only lets ten or more
    # workers elect representatives. The head count is configurable (RuleSet.collective_threshold).
    return Blocker(
        "is_collective",
        f"按本会集体争议报告规则（依地方应急预案配置），涉及{ctx.rules.collective_threshold}人以上并有共同请求的集体争议"
        "才需上报；如属集体争议，请先更正集体争议认定",
    )


def g_collective_has_representatives(ctx: GuardContext) -> Blocker | None:
    """The committee's rule for accepting a collective case (not a statutory condition: LDMAL art. 7 says the
    workers *may* elect representatives): 3–5 representatives, the practice the committee adopted from
    办案规则 arts. 5, 62, 63 (a policy, on by default); with the policy off, at least one. It never blocks the
    early report (``escalate``)."""
    if not _is_collective(ctx):
        return None
    reps = [p for p in ctx.case.parties if p.role == PartyRole.REPRESENTATIVE]
    practice = bool(getattr(_org(ctx), "collective_reps_practice", True))
    low, high = REPRESENTATIVES_RANGE if practice else (1, None)
    if len(reps) >= low and (high is None or len(reps) <= high):
        return None
    if practice:
        have = f"现登记{len(reps)}名" if reps else "尚未登记"
        return Blocker(
            "collective_has_representatives",
            f"集体争议须由劳动者推举{low}至{high}名代表参加调解，{have}（本会采用的工作惯例，参照"
            f"{lb.COLLECTIVE_REPRESENTATIVES.short}；{lb.COLLECTIVE.short}：劳动者可以推举代表参加调解）",
            ("representatives",),
        )
    return Blocker(
        "collective_has_representatives",
        f"集体争议须先登记劳动者推举的代表后受理（本会规则；{lb.COLLECTIVE.short}：劳动者可以推举代表参加调解）",
        ("representatives",),
    )


def g_representatives_authorised(ctx: GuardContext) -> Blocker | None:
    """An agreement signed on the workers' behalf needs each representative's special authorisation (特别授权)
    to agree for them; the refusal names the representatives without one."""
    if not _is_collective(ctx):
        return None
    reps = [p for p in ctx.case.parties if p.role == PartyRole.REPRESENTATIVE]
    lacking = [p.name for p in reps if not getattr(p, "authorised_to_sign", False)]
    if not reps:
        return Blocker("representatives_authorised", "集体争议的协议须由劳动者推举的代表签署，尚未登记代表",
                       ("representatives",))
    if not lacking:
        return None
    return Blocker(
        "representatives_authorised",
        "代表" + "、".join(lacking) + "未经劳动者特别授权（代为达成、签署调解协议），不能代表劳动者签署协议；"
        "请登记其特别授权后再签署",
        ("representatives",),
    )


def g_collective_undecided(ctx: GuardContext) -> Blocker | None:
    """``correct_collective`` changes the flag: the new value must differ, and a collective dispute needs the
    common claim (LDMAL art. 7)."""
    value = ctx.payload.get("is_collective")
    if not isinstance(value, bool):
        return None  # the schema requires it
    if value == bool(ctx.case.is_collective):
        now = "已是" if value else "已不是"
        return Blocker("collective_undecided", f"本案{now}集体争议，无需更正", ("is_collective",))
    claim = ctx.payload.get("common_claim") or ctx.case.common_claim
    if value and _blank(claim):
        return Blocker("collective_undecided",
                       f"缺少“共同请求”：十人以上并有共同请求的才是集体争议（{lb.COLLECTIVE.short}）",
                       ("common_claim",))
    return None


def g_not_escalated(ctx: GuardContext) -> Blocker | None:
    if ctx.case.escalated_at is None:
        return None
    return Blocker("not_escalated", "该集体争议已经上报")


def g_parties_identified(ctx: GuardContext) -> Blocker | None:
    missing: list[str] = []
    workers = [p for p in ctx.case.parties if p.role in (PartyRole.WORKER, PartyRole.REPRESENTATIVE)]
    employers = [p for p in ctx.case.parties if p.role == PartyRole.EMPLOYER]
    if not any(not _blank(p.name) for p in workers):
        missing.append("worker")
    if not any(not _blank(p.name) for p in employers):
        missing.append("employer")
    if not missing:
        return None
    names = {"worker": "劳动者（申请人）", "employer": "用人单位（被申请人）"}
    return Blocker(
        "parties_identified",
        "双方当事人须身份明确，缺少：" + "、".join(names[m] for m in missing),
        tuple(missing),
    )


def g_has_requests(ctx: GuardContext) -> Blocker | None:
    if not _blank(ctx.case.requests) or ctx.case.claims:
        return None
    return Blocker("has_requests", "申请须写明调解请求事项（调解仲裁法第十二条）", ("requests",))


def g_category_in_scope(ctx: GuardContext) -> Blocker | None:
    try:
        DisputeCategory(ctx.case.category)
    except ValueError:
        return Blocker(
            "category_in_scope", "争议事项不属于《劳动争议调解仲裁法》第二条规定的范围", ("category",)
        )
    return None


def refusal_basis(org: Any) -> str:
    """The short citation for not mediating when a party refuses, by the kind of organisation (see
    :func:`mediation.domain.legal_basis.refusal_basis`); empty when a township body recorded no provision."""
    basis = lb.refusal_basis(getattr(org, "kind", None), getattr(org, "own_rules_basis", None))
    return basis.cite if basis is not None else ""


def g_respondent_consents(ctx: GuardContext) -> Blocker | None:
    consent = ctx.payload.get("respondent_consents", ctx.case.respondent_consents)
    if consent is True:
        return None
    basis = refusal_basis(_org(ctx))
    if consent is False:
        return Blocker("respondent_consents", f"对方当事人明确拒绝调解，不能受理，应当不予受理{basis}")
    return Blocker("respondent_consents", f"未勾选“被申请人同意调解”：须先确认对方当事人同意调解{basis}",
                   ("respondent_consents",))


def g_session_recorded(ctx: GuardContext) -> Blocker | None:
    p = ctx.payload
    missing = [f for f in ("started_at", "place", "record") if _blank(p.get(f))]
    if not p.get("attendees"):
        missing.append("attendees")
    if not missing:
        return None
    return Blocker("session_recorded", "调解笔录须写明时间、地点、参加人员和调解情况", tuple(missing))


def g_both_parties_agree_extension(ctx: GuardContext) -> Blocker | None:
    p = ctx.payload
    missing = [f for f in ("worker_agrees", "employer_agrees") if p.get(f) is not True]
    days = p.get("days")
    if not isinstance(days, int) or days <= 0:
        missing.append("days")
    if not missing:
        return None
    return Blocker("both_parties_agree_extension", "延长调解期限须经双方当事人同意，并写明延长天数", tuple(missing))


def extension_cap(ctx: GuardContext) -> int | None:
    """The committee's cap on extensions (its policy; none by default), else the installation's rule set's."""
    cap = getattr(_org(ctx), "extension_cap_days", None)
    return cap if cap is not None else ctx.rules.rule(DeadlineKind.MEDIATION_END).max_extension_days


def g_extension_within_cap(ctx: GuardContext) -> Blocker | None:
    """ELDNMP art. 29 lets both parties extend and sets no cap: a cap, if any, is the committee's own rule."""
    cap = extension_cap(ctx)
    days = ctx.payload.get("days")
    if cap is None or not isinstance(days, int):
        return None
    if (ctx.case.extension_days or 0) + days <= cap:
        return None
    left = max(cap - (ctx.case.extension_days or 0), 0)
    return Blocker(
        "extension_within_cap",
        f"按本会规定，延长调解期限累计不超过{cap}日，尚可延长{left}日（本会调解工作制度，法律未规定延长上限；"
        f"{lb.MEDIATION_END.short}）",
        ("days",),
    )


def g_extension_reaches_today(ctx: GuardContext) -> Blocker | None:
    """After the period has lapsed, an extension must bring its end back to today or later (else the case
    would lapse again at once)."""
    days = ctx.payload.get("days")
    accepted = ctx.case.accepted_on
    if not isinstance(days, int) or accepted is None:
        return None
    rule = ctx.rules.rule(DeadlineKind.MEDIATION_END)
    end = accepted + dt.timedelta(days=rule.amount + (ctx.case.extension_days or 0) + days)
    if end >= ctx.today:
        return None
    return Blocker(
        "extension_reaches_today",
        f"延长后的调解期限（至{end.isoformat()}）仍早于今日，请增加延长天数",
        ("days",),
    )


def _as_decimal(value: object) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _agreement_content_missing(p: Mapping[str, Any]) -> list[str]:
    """Terms, and for every obligation an amount and a performance date."""
    missing: list[str] = []
    if _blank(p.get("terms")):
        missing.append("terms")
    obligations = p.get("obligations") or []
    if not obligations:
        missing.append("obligations")
    for i, ob in enumerate(obligations):
        amount = _as_decimal(ob.get("amount"))
        if amount is None or amount < 0:
            missing.append(f"obligations[{i}].amount")
        if ob.get("due_on") is None:
            missing.append(f"obligations[{i}].due_on")
    return missing


#: How a refusal names a missing field in plain words.
_WORDS = {
    "terms": "协议内容", "obligations": "履行事项", "signed_by_parties": "“双方当事人已签名或盖章”",
    "signed_by_mediator": "“调解员已签名”", "sealed": "“已加盖调解组织印章”",
}
_TICKS = frozenset({"signed_by_parties", "signed_by_mediator", "sealed"})


def _missing_words(missing: list[str]) -> str:
    """``缺少协议内容；未勾选“已加盖调解组织印章”`` for the fields a refusal names."""
    absent, unticked, rows = [], [], []
    for f in missing:
        if f in _TICKS:
            unticked.append(_WORDS[f])
        elif f.startswith("obligations["):
            i = int(f[len("obligations["):f.index("]")])
            what = "金额" if f.endswith(".amount") else "履行期限"
            rows.append(f"第{i + 1}项履行事项的{what}")
        else:
            absent.append(_WORDS.get(f, f))
    parts = []
    if absent or rows:
        parts.append("缺少" + "、".join(absent + rows))
    if unticked:
        parts.append("未勾选" + "、".join(unticked))
    return "；".join(parts)


def g_agreement_complete(ctx: GuardContext) -> Blocker | None:
    p = ctx.payload
    missing = _agreement_content_missing(p)
    for f in ("signed_by_parties", "signed_by_mediator", "sealed"):
        if p.get(f) is not True:
            missing.append(f)
    if not missing:
        return None
    return Blocker(
        "agreement_complete",
        f"{_missing_words(missing)}：调解协议书经双方签名或盖章、调解员签名并加盖调解组织印章后生效"
        f"{lb.AGREEMENT.cite}",
        tuple(missing),
    )


def g_settlement_complete(ctx: GuardContext) -> Blocker | None:
    """A settlement (和解协议) comes from negotiation (LDMAL art. 4): the parties sign it; there is no mediator
    and no committee seal (art. 14 covers the mediation agreement 调解协议书 only)."""
    p = ctx.payload
    missing = _agreement_content_missing(p)
    if p.get("signed_by_parties") is not True:
        missing.append("signed_by_parties")
    if not missing:
        return None
    return Blocker(
        "settlement_complete",
        f"{_missing_words(missing)}：和解协议经双方当事人签名或盖章即成立，无需调解员签名和调解组织印章"
        f"{lb.SETTLEMENT.cite}",
        tuple(missing),
    )


def g_mediation_period_expired(ctx: GuardContext) -> Blocker | None:
    d = _open_deadline(ctx.case, DeadlineKind.MEDIATION_END)
    if d is not None and ctx.today > d.due_on:
        return None
    due = f"（期限至{d.due_on.isoformat()}）" if d is not None else ""
    return Blocker("mediation_period_expired", f"调解期限尚未届满{due}")


def g_termination_reason_valid(ctx: GuardContext) -> Blocker | None:
    reason = ctx.payload.get("end_reason")
    try:
        code = TerminationReason(str(reason))
    except ValueError:
        options = "、".join(r.label for r in TerminationReason)
        return Blocker("termination_reason_valid", f"请选择终止调解的原因：{options}", ("end_reason",))
    if code == TerminationReason.LAPSED and ctx.case.status != "lapsed":
        # "Lapsed" only once the mediation period (plus agreed extensions) has actually passed.
        d = _open_deadline(ctx.case, DeadlineKind.MEDIATION_END)
        if d is None or ctx.today <= d.due_on:
            until = f"（期限至{d.due_on.isoformat()}）" if d is not None else ""
            return Blocker(
                "termination_reason_valid",
                f"调解期限尚未届满{until}，不能以“{code.label}”为由终止调解",
                ("end_reason",),
            )
    return None


def g_performance_recorded(ctx: GuardContext) -> Blocker | None:
    p = ctx.payload
    missing = [f for f in ("obligation_id", "performed_on", "proof") if _blank(p.get(f))]
    amount = _as_decimal(p.get("amount"))
    if amount is None or amount <= 0:
        missing.append("amount")
    if missing:
        return Blocker("performance_recorded", "请登记履行的事项、日期、金额和凭证", tuple(missing))
    agreement = ctx.case.current_agreement
    ids = {o.id for o in agreement.obligations} if agreement else set()
    if p.get("obligation_id") not in ids:
        return Blocker("performance_recorded", "所登记的履行事项不属于本案协议", ("obligation_id",))
    return None


def g_agreement_from_mediation(ctx: GuardContext) -> Blocker | None:
    """Arbitration review and judicial confirmation exist only for agreements reached through a mediation
    organisation: CPL art. 205 (经依法设立的调解组织调解达成的调解协议) and 《劳动人事争议仲裁办案规则》 art. 74
    (经调解组织调解达成调解协议的). A settlement from negotiation (LDMAL art. 4) is neither."""
    agreement = ctx.case.current_agreement
    if agreement is None or agreement.kind != AgreementKind.SETTLEMENT:
        return None
    return Blocker(
        "agreement_from_mediation",
        "和解协议不能申请仲裁审查或司法确认：二者仅适用于经调解组织调解达成的调解协议"
        f"（{lb.JUDICIAL_CONFIRMATION.short}；{lb.ARBITRATION_REVIEW.short}）",
    )


def g_review_within_window(ctx: GuardContext) -> Blocker | None:
    kind = ctx.payload.get("review_kind")
    windows = {
        "arbitration_review": DeadlineKind.ARBITRATION_REVIEW,
        "judicial_confirmation": DeadlineKind.JUDICIAL_CONFIRMATION,
    }
    if kind not in windows:
        return Blocker("review_within_window", "请选择仲裁审查或司法确认", ("review_kind",))
    d = _open_deadline(ctx.case, windows[kind])
    if d is None:
        return Blocker("review_within_window", "该申请已提出或期限已过")
    if ctx.today > d.due_on:
        late = f"；逾期申请仲裁审查的，仲裁委员会不予受理{lb.LATE_REVIEW.cite}" if kind == "arbitration_review" else ""
        return Blocker("review_within_window", f"申请期限已于{d.due_on.isoformat()}届满{late}")
    return None


def g_review_requested(ctx: GuardContext) -> Blocker | None:
    """An outcome can only come back for a joint request recorded on the case (``request_review``)."""
    agreement = ctx.case.current_agreement
    if agreement is None or agreement.kind == AgreementKind.SETTLEMENT:
        return Blocker("review_requested", "本案没有经调解达成的调解协议，无审查或确认结果可登记")
    if not agreement.review_kind:
        return Blocker("review_requested", "尚未登记仲裁审查或司法确认申请，请先登记申请")
    return None


def g_limitation_running(ctx: GuardContext) -> Blocker | None:
    if ctx.case.limitation_suspended_on is not None:
        return Blocker("limitation_running",
                       f"仲裁时效已自{ctx.case.limitation_suspended_on.isoformat()}起中止，请先登记时效恢复")
    if _open_deadline(ctx.case, DeadlineKind.LIMITATION) is None:
        return Blocker("limitation_running", "本案没有正在计算的仲裁时效，无需中止")
    return None


def g_limitation_suspended(ctx: GuardContext) -> Blocker | None:
    if ctx.case.limitation_suspended_on is not None:
        return None
    return Blocker("limitation_suspended", "仲裁时效未中止，无需恢复")


def g_all_obligations_performed(ctx: GuardContext) -> Blocker | None:
    agreement = ctx.case.current_agreement
    if agreement is None:
        return Blocker("all_obligations_performed", "本案没有协议")
    left = [o for o in agreement.obligations if o.status != "performed"]
    if not left:
        return None
    return Blocker("all_obligations_performed", f"尚有{len(left)}项约定义务未履行完毕")


def g_obligation_outstanding(ctx: GuardContext) -> Blocker | None:
    """A payment or performance can only be recorded against something still owed."""
    agreement = ctx.case.current_agreement
    if agreement is None or not agreement.obligations:
        return None  # performance_recorded says what is missing
    if all(o.status == "performed" for o in agreement.obligations):
        return Blocker("obligation_outstanding", "协议约定的义务均已履行完毕，无需再登记履行；请确认履行完毕")
    return None


def g_obligation_overdue(ctx: GuardContext) -> Blocker | None:
    agreement = ctx.case.current_agreement
    if agreement is not None:
        for o in agreement.obligations:
            if o.status != "performed" and o.due_on < ctx.today:
                return None
    return Blocker("obligation_overdue", "没有已到期未履行的约定义务")


GUARDS: Mapping[str, Guard] = {
    g.name: g
    for g in (
        Guard("is_collective", g_is_collective),
        Guard("not_escalated", g_not_escalated),
        Guard("parties_identified", g_parties_identified, reads=("parties",)),
        Guard("has_requests", g_has_requests, reads=("claims",)),
        Guard("category_in_scope", g_category_in_scope),
        Guard("respondent_consents", g_respondent_consents, needs_input=True, fields=("respondent_consents",)),
        Guard("collective_has_representatives", g_collective_has_representatives, reads=("parties",)),
        Guard("representatives_authorised", g_representatives_authorised, reads=("parties",)),
        # the common claim is needed only to make a case collective: not marked as required on the form
        Guard("collective_undecided", g_collective_undecided, needs_input=True, fields=("is_collective",)),
        Guard(
            "session_recorded", g_session_recorded, needs_input=True,
            fields=("started_at", "place", "record", "attendees"),
        ),
        Guard(
            "both_parties_agree_extension", g_both_parties_agree_extension, needs_input=True,
            fields=("worker_agrees", "employer_agrees", "days"),
        ),
        Guard("extension_within_cap", g_extension_within_cap, needs_input=True, fields=("days",)),
        Guard("extension_reaches_today", g_extension_reaches_today, needs_input=True, fields=("days",)),
        Guard(
            "agreement_complete", g_agreement_complete, needs_input=True,
            fields=("terms", "obligations", "signed_by_parties", "signed_by_mediator", "sealed"),
        ),
        Guard(
            "settlement_complete", g_settlement_complete, needs_input=True,
            fields=("terms", "obligations", "signed_by_parties"),
        ),
        Guard("agreement_from_mediation", g_agreement_from_mediation, reads=("agreements",)),
        Guard("mediation_period_expired", g_mediation_period_expired, reads=("deadlines",)),
        Guard("termination_reason_valid", g_termination_reason_valid, needs_input=True, fields=("end_reason",),
              reads=("deadlines",)),
        Guard(
            "performance_recorded", g_performance_recorded, needs_input=True,
            fields=("obligation_id", "performed_on", "amount", "proof"),
        ),
        Guard("review_within_window", g_review_within_window, needs_input=True, fields=("review_kind",),
              reads=("deadlines",)),
        Guard("review_requested", g_review_requested, reads=("agreements",)),
        Guard("limitation_running", g_limitation_running, reads=("deadlines",)),
        Guard("limitation_suspended", g_limitation_suspended),
        Guard("all_obligations_performed", g_all_obligations_performed),
        Guard("obligation_outstanding", g_obligation_outstanding),
        Guard("obligation_overdue", g_obligation_overdue),
    )
}
