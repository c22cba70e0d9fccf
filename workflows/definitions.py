"""The case lifecycle as plain data: states, transitions (sources, destination, guards, roles, whether a reason is
required). What each event does — its payload, dates, effect, deadlines, documents, risk facts — is its spec in
:mod:`workflows.events`, checked against every version here at import; :mod:`workflows.binding` builds one
``transitions`` machine per version from both.

A definition is versioned. Every case records the version it runs on; publishing a new version never
changes open cases (they keep running on the definition they started with).

Legal basis of the path: see ``docs/domain.md#lifecycle`` — LDMAL arts. 4, 12–16, 27; PML arts. 17, 26, 29, 33.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from mediation.domain import legal_basis as lb
from mediation.domain.enums import Role

ALL_HUMANS: frozenset[str] = frozenset({Role.CLERK, Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN})
MEDIATORS: frozenset[str] = frozenset({Role.MEDIATOR, Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS: frozenset[str] = frozenset({Role.SUPERVISOR, Role.ADMIN})
SYSTEM: frozenset[str] = frozenset({Role.SYSTEM})


@dataclass(frozen=True)
class State:
    name: str
    label: str
    terminal: bool = False
    #: Open = the dispute is still being handled (for caseloads and the withdraw event).
    open: bool = True
    description: str = ""


@dataclass(frozen=True)
class Transition:
    event: str
    label: str
    sources: tuple[str, ...]
    #: ``None``: the case stays in its current state (an internal event, still logged).
    dest: str | None
    #: Guard names, resolved in :mod:`workflows.guards`; each yields a reason a person can read.
    guards: tuple[str, ...] = ()
    roles: frozenset[str] = MEDIATORS
    requires_reason: bool = False
    #: One of the committee's own acts (accepting, sessions, signing, withdrawing…): a supervisor or administrator
    #: of an organisation above the case's committee may not fire it (``mediation.domain.policy.event_refusal``).
    committee_act: bool = True
    description: str = ""


@dataclass(frozen=True)
class WorkflowDefinition:
    version: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    #: Initial states a case may be registered in, keyed by how it arrives.
    initial_states: tuple[str, ...]
    _by_state: Mapping[str, State] = field(init=False, repr=False, compare=False)
    _by_event: Mapping[str, Transition] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_state = {s.name: s for s in self.states}
        by_event = {t.event: t for t in self.transitions}
        object.__setattr__(self, "_by_state", by_state)
        object.__setattr__(self, "_by_event", by_event)
        self.validate()

    def validate(self) -> None:
        names = set(self._by_state)
        if len(names) != len(self.states):
            raise ValueError("duplicate state names")
        if len(self._by_event) != len(self.transitions):
            raise ValueError("duplicate event names")
        for t in self.transitions:
            unknown = {*t.sources, *([t.dest] if t.dest else [])} - names
            if unknown:
                raise ValueError(f"transition {t.event} names unknown states {sorted(unknown)}")
            for s in t.sources:
                if self._by_state[s].terminal:
                    raise ValueError(f"transition {t.event} leaves terminal state {s}")
        for s in self.initial_states:
            if s not in names:
                raise ValueError(f"unknown initial state {s}")

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(t.event for t in self.transitions)

    def state(self, name: str) -> State:
        return self._by_state[name]

    def has_state(self, name: str) -> bool:
        return name in self._by_state

    def transition(self, event: str) -> Transition | None:
        return self._by_event.get(event)

    def events_from(self, state: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if state in t.sources)

    def target(self, event: str, source: str) -> str:
        t = self._by_event[event]
        return t.dest if t.dest is not None else source

    def terminal_states(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states if s.terminal)

    def event_label(self, event: str) -> str:
        """The Chinese name of anything in a case's history: a transition, or a recorded event."""
        t = self._by_event.get(event)
        return t.label if t is not None else RECORD_EVENT_LABELS.get(event, event)


#: Events in a case's history that are not transitions of the workflow (they record, not change, the state).
RECORD_EVENT_LABELS: dict[str, str] = {
    "register": "登记", "deadline_overdue": "期限逾期", "deadlines_recomputed": "期限重算",
    "deadline_corrected": "期限状态更正",
    "assign_mediator": "指派调解员", "assignment_refused": "指派被拒（回避）", "document_generated": "生成文书",
}
#: Hand-off packages (documents/handoff.py): built, sent, and an outcome on a case whose version has no event for it.
RECORD_EVENT_LABELS.update(
    {"handoff_built": "制作移交材料", "handoff_dispatched": "移交材料送达", "handoff_outcome": "登记审查确认结果"})
#: Parties changed after intake (mediation.cases.parties).
RECORD_EVENT_LABELS.update(
    {"party_added": "登记当事人", "party_updated": "更正当事人信息", "party_removed": "删除当事人"})


OPEN_BEFORE_AGREEMENT = ("reported", "triage", "negotiating", "applied", "mediating", "lapsed")

V1 = WorkflowDefinition(
    version="1",
    initial_states=("reported", "applied", "negotiating"),
    states=(
        State("reported", "已发现待研判", description="排查、热线、信访等发现的劳动关系风险或争议线索（早发现）"),
        State("triage", "研判分流", description="了解情况，决定协商、受理调解或不予介入"),
        State("negotiating", "协商中", description="劳动者与用人单位协商，工会可应劳动者请求参与（调解仲裁法第四条）"),
        State("applied", "已申请待受理", description="已登记调解申请，应在3个工作日内决定是否受理"),
        State("not_accepted", "不予受理", open=False, description="已书面告知申请人不予受理及申请仲裁的途径"),
        State("mediating", "调解中", description="已受理，召开调解会议；自受理之日起15日内结束"),
        State("lapsed", "调解期满", description="调解期限届满未达成协议，应终止调解并告知仲裁权利"),
        State("agreed", "已达成协议", open=False, description="调解协议书（或和解协议）已签署生效"),
        State("performing", "履行中", open=False, description="协议正在履行"),
        State("non_performed", "未履行", open=False, description="一方未按约定期限履行协议"),
        State("performed", "已履行", open=False, description="协议约定的义务已全部履行"),
        State("terminated", "调解终止", open=False, description="调解不成、一方拒绝或期满，已制作终止调解书"),
        # Arbitration starts only on the party's own written application (LDMAL art. 28): the committee tells the
        # parties of their right and hands them (or, at their request, the arbitration committee) the file.
        State("referred", "已告知申请仲裁", open=False,
              description="已书面告知当事人可以向劳动人事争议仲裁委员会申请仲裁，并交付案件材料；仲裁程序须由当事人"
                          "书面申请启动"),
        State("withdrawn", "已撤回", open=False, description="申请人撤回申请"),
        State("closed", "已结案归档", terminal=True, open=False, description="已结案归档"),
    ),
    transitions=(
        Transition(
            "begin_triage", "开始研判", ("reported",), "triage", roles=ALL_HUMANS,
            description="受理线索，开始了解情况（早介入）",
        ),
        Transition(
            "escalate", "上报集体争议", (*OPEN_BEFORE_AGREEMENT,), None, roles=ALL_HUMANS, committee_act=False,
            # No representatives needed: the early report (早报告) must be possible before the workers organise. The
            # clerk who takes the dispute in reports it within its 1-day limit; a supervisor above may report it too.
            guards=("is_collective", "not_escalated"),
            description="集体争议上报上级工会和党委政府（早报告；人数标准按本会规则配置）",
        ),
        Transition(
            "start_negotiation", "组织协商", ("triage",), "negotiating",
            guards=("parties_identified",),
            description="劳动者请求工会参与与用人单位协商",
        ),
        Transition(
            "register_application", "登记调解申请", ("triage", "negotiating"), "applied", roles=ALL_HUMANS,
            guards=("parties_identified", "has_requests"),
            description="书面或口头申请调解（调解仲裁法第十二条）",
        ),
        Transition(
            "settle", "签订和解协议", ("negotiating",), "agreed",
            guards=("settlement_complete", "representatives_authorised"),
            description="协商一致，双方当事人签订书面和解协议（调解仲裁法第四条；无需调解员签名和调解组织印章）",
        ),
        Transition(
            "accept", "受理", ("applied",), "mediating",
            guards=("category_in_scope", "parties_identified", "respondent_consents", "collective_has_representatives"),
            description=f"收到申请之日起3个工作日内决定受理（{lb.ACCEPTANCE.short}），指定调解员；自受理之日起15日内"
                        f"结束调解（{lb.MEDIATION_END.short}）",
        ),
        Transition(
            "reject", "不予受理", ("applied",), "not_accepted",
            requires_reason=True,
            description=f"不属于受理范围或对方拒绝调解的，记录并书面通知申请人（企业劳动争议调解委员会："
                        f"{lb.REFUSAL_ENTERPRISE.short}；人民调解委员会：{lb.REFUSAL_PEOPLES.short}；乡镇（街道）"
                        "调解组织：本组织调解规则所定条文）",
        ),
        Transition(
            "record_session", "记录调解会议", ("mediating",), "mediating",
            guards=("session_recorded",),
            description="召开调解会议，听取双方陈述并制作调解笔录（调解仲裁法第十三条）",
        ),
        Transition(
            "extend", "延长调解期限", ("mediating",), "mediating",
            guards=("both_parties_agree_extension", "extension_within_cap"),
            description=f"双方同意延长调解期限（{lb.MEDIATION_END.short}；法律未规定延长上限，本会另有规定的从其规定）",
        ),
        Transition(
            "sign_agreement", "签署调解协议", ("mediating",), "agreed",
            guards=("agreement_complete", "representatives_authorised"),
            description="双方签名或盖章、调解员签名并加盖调解组织印章后生效（调解仲裁法第十四条）",
        ),
        Transition(
            "lapse", "调解期满", ("mediating",), "lapsed", roles=SYSTEM,
            guards=("mediation_period_expired",),
            description=f"自受理之日起15日内未达成协议，视为调解不成（{lb.MEDIATION_END.short}）",
        ),
        Transition(
            "terminate", "终止调解", ("mediating", "lapsed"), "terminated",
            requires_reason=True, guards=("termination_reason_valid",),
            description=f"调解不成、一方拒绝继续调解或期满，作出记录由双方签名或盖章，并书面告知可以申请仲裁"
                        f"（{lb.FAILURE_RECORD.short}）",
        ),
        Transition(
            "record_performance", "登记履行情况", ("agreed", "performing"), "performing",
            guards=("obligation_outstanding", "performance_recorded"),
            description="登记付款或履行凭证",
        ),
        Transition(
            "record_late_performance", "登记逾期履行", ("non_performed",), None,
            guards=("obligation_outstanding", "performance_recorded"),
            description="未按期履行后又履行的，登记履行凭证；全部履行后可确认履行完毕",
        ),
        Transition(
            "request_review", "申请仲裁审查或司法确认", ("agreed", "performing"), None,
            guards=("agreement_from_mediation", "review_within_window"),
            description=f"就调解组织主持达成的调解协议，双方共同申请仲裁审查（15日内，{lb.ARBITRATION_REVIEW.short}）"
            f"或司法确认（30日内，{lb.JUDICIAL_CONFIRMATION.short}；人民调解委员会另见人民调解法第三十三条）；"
            "和解协议不适用",
        ),
        Transition(
            "confirm_performed", "确认履行完毕", ("agreed", "performing", "non_performed"), "performed",
            guards=("all_obligations_performed",),
            description="协议约定的义务全部履行完毕",
        ),
        Transition(
            "report_non_performance", "登记未履行", ("agreed", "performing"), "non_performed",
            guards=("obligation_overdue",),
            description=f"一方未按期履行，告知仲裁及支付令途径（{lb.DEFAULT.short}、{lb.PAYMENT_ORDER.short}；"
                        f"未经仲裁审查的，{lb.DEFAULT_WITHOUT_REVIEW.short}）",
        ),
        Transition(
            "refer", "告知申请仲裁", ("not_accepted", "lapsed", "terminated", "non_performed"), "referred",
            description="书面告知当事人可以申请仲裁并交付案件材料（仲裁须由当事人书面申请，"
                        f"{lb.ARBITRATION_STARTS_ON_APPLICATION.short}）",
        ),
        Transition(
            "withdraw", "撤回申请", (*OPEN_BEFORE_AGREEMENT,), "withdrawn",
            requires_reason=True, roles=ALL_HUMANS,
            description="申请人撤回调解申请",
        ),
        Transition(
            "dismiss", "不予介入", ("reported", "triage"), "closed",
            requires_reason=True,
            description="经研判无需介入（已自行化解、非劳动争议等），记录理由后归档",
        ),
        Transition(
            "close", "结案归档", ("performed", "referred", "not_accepted", "terminated", "withdrawn"), "closed",
            description="整理卷宗、结案归档",
        ),
    ),
)


def _v2_transition(t: Transition) -> Transition:
    if t.event == "extend":
        # Once the sweep has lapsed the case, both parties may still agree to extend (ELDNMP art. 29: both
        # parties may agree to extend; docs/domain.md#mediation); mediation then resumes.
        return dataclasses.replace(
            t, sources=("mediating", "lapsed"), dest="mediating",
            guards=(*t.guards, "extension_reaches_today"),
            description="双方同意延长调解期限；期限届满后双方同意延期的，延长后恢复调解",
        )
    if t.event == "request_review":
        # A joint application within the window stays lawful after a default (and useful: a confirmed
        # agreement can be enforced; docs/domain.md#agreements-and-remedies).
        return dataclasses.replace(
            t, sources=("agreed", "performing", "non_performed"),
            description=t.description + "；一方未履行后，仍可在期限内共同申请",
        )
    return t


#: V2 adds two transitions to V1 (extend from ``lapsed``; request_review from ``non_performed``). Corrections
#: of guards, reasons and deadline computations apply to V1 in place; transitions added or removed make a new
#: version, so cases opened on V1 keep exactly the state machine they started with.
V2 = WorkflowDefinition(
    version="2",
    initial_states=V1.initial_states,
    states=V1.states,
    transitions=tuple(_v2_transition(t) for t in V1.transitions),
)

NOT_CLOSED = tuple(st.name for st in V1.states if not st.terminal)

#: The events V3 adds to V2 (docs/domain.md#limitation, #collective-disputes): the limitation's suspension and
#: resumption (LDMAL art. 27(3)), the end of the employment (art. 27(4)), the collective flag corrected.
V3_ADDED: tuple[Transition, ...] = (
    Transition(
        "suspend_limitation", "登记仲裁时效中止", NOT_CLOSED, None, requires_reason=True,
        guards=("limitation_running",),
        description=f"因不可抗力或者其他正当理由，当事人不能申请仲裁的，仲裁时效中止（{lb.LIMITATION_SUSPENDED.short}）；"
                    "写明原因和开始日期",
    ),
    Transition(
        "resume_limitation", "登记仲裁时效恢复", NOT_CLOSED, None,
        guards=("limitation_suspended",),
        description=f"中止时效的原因消除之日起，仲裁时效期间继续计算（{lb.LIMITATION_SUSPENDED.short}）",
    ),
    Transition(
        "record_employment_end", "登记劳动关系终止", NOT_CLOSED, None,
        description=f"劳动关系存续期间拖欠劳动报酬的争议，自劳动关系终止之日起一年内提出（{lb.LIMITATION_PAY_ARREARS.short}）",
    ),
    Transition(
        "correct_collective", "更正集体争议认定", OPEN_BEFORE_AGREEMENT, None, requires_reason=True,
        guards=("collective_undecided",),
        description=f"劳动者一方十人以上并有共同请求的为集体争议（{lb.COLLECTIVE.short}）；调解员更正认定并写明理由",
    ),
)

#: The outcomes of a joint request for arbitration review or judicial confirmation (hand-off packages,
#: ``documents/handoff.py``): what comes back from the arbitration commission or the court.
HANDOFF_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "review_granted", "审查确认通过", ("agreed", "performing", "non_performed"), "closed",
        guards=("review_requested",),
        description=f"仲裁委员会经审查出具调解书（{lb.ARBITRATION_REVIEW.short}），或人民法院裁定调解协议有效"
        "（《民事诉讼法》第二百零五条）；登记调解书或裁定书文号后结案归档，此后由当事人依法申请执行",
    ),
    Transition(
        "review_refused", "审查确认未通过", ("agreed", "performing", "non_performed"), None,
        guards=("review_requested",),
        description="仲裁委员会不予审查或人民法院裁定驳回申请；调解协议仍按约定履行，未履行的可申请仲裁",
    ),
)

#: V3 is V2 plus the limitation, employment-end and collective corrections (:data:`V3_ADDED`) and the
#: hand-off outcomes (:data:`HANDOFF_TRANSITIONS`); nothing of V2 changes. Cases opened on V1 or V2 keep their
#: version.
V3 = WorkflowDefinition(
    version="3",
    initial_states=V2.initial_states,
    states=V2.states,
    transitions=(*V2.transitions, *V3_ADDED, *HANDOFF_TRANSITIONS),
)

DEFINITIONS: Mapping[str, WorkflowDefinition] = {V1.version: V1, V2.version: V2, V3.version: V3}
CURRENT_VERSION = V3.version


def get_definition(version: str) -> WorkflowDefinition:
    try:
        return DEFINITIONS[version]
    except KeyError:
        raise KeyError(f"unknown workflow definition version {version!r}") from None
