"""The legal basis of every rule the engine applies: instrument, article and a short wording, in one place.

Guards, deadline rules, documents and pages all cite from here, so the deadline row and the PDF cannot
disagree. The articles and their sources are listed in docs/domain.md#sources (ELDNMP arts. 22, 27 ¶2, 28,
29, 30, 31 and 办案规则 arts. 5, 27(1), 62, 63, 74, 75(3) are checked against the official text).

A citation never carries an internal marker: a rule whose article is not confirmed is worded as the
committee's own practice (:data:`NEGOTIATION_REPLY`, :data:`COLLECTIVE_REPORT`), never as "有关规定".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mediation.domain.enums import OrgKind

LDMAL = "《中华人民共和国劳动争议调解仲裁法》"
ELDNMP = "《企业劳动争议协商调解规定》"
RULES_2017 = "《劳动人事争议仲裁办案规则》"
PML = "《中华人民共和国人民调解法》"
CPL = "《中华人民共和国民事诉讼法》"

#: Short names used in refusals and table cells (the full title is printed in documents).
_SHORT = {LDMAL: "调解仲裁法", ELDNMP: "企业劳动争议协商调解规定", RULES_2017: "劳动人事争议仲裁办案规则",
          PML: "人民调解法", CPL: "民事诉讼法"}


@dataclass(frozen=True)
class Article:
    """One provision: ``instrument`` (full title with 《》) and ``article`` (``第二十二条``, ``第二十七条第二款``)."""

    instrument: str
    article: str

    @property
    def full(self) -> str:
        """``《企业劳动争议协商调解规定》第二十二条`` — for documents."""
        return f"{self.instrument}{self.article}"

    @property
    def short(self) -> str:
        """``企业劳动争议协商调解规定第二十二条`` — for refusals and table cells."""
        return f"{_SHORT.get(self.instrument, self.instrument.strip('《》'))}{self.article}"


@dataclass(frozen=True)
class Basis:
    """A rule's basis: one or more articles read together, and what the rule says in a few words."""

    articles: tuple[Article, ...]
    wording: str = ""
    #: ``False`` for a committee's own practice (no statutory article behind the figure).
    statutory: bool = True

    def _joined(self, name: Callable[[str], str]) -> str:
        """Articles of one instrument named once: ``…办案规则第五条、第六十二条、第六十三条``."""
        parts: list[str] = []
        previous = ""
        for a in self.articles:
            parts.append(a.article if a.instrument == previous else name(a.instrument) + a.article)
            previous = a.instrument
        return "、".join(parts)

    @property
    def full(self) -> str:
        return self._joined(lambda i: i) if self.statutory else self.wording

    @property
    def short(self) -> str:
        return self._joined(lambda i: _SHORT.get(i, i.strip("《》"))) if self.statutory else self.wording

    @property
    def cite(self) -> str:
        """``（企业劳动争议协商调解规定第二十二条）`` — the short citation after a refusal."""
        return f"（{self.short}）"


def _a(instrument: str, article: str) -> Article:
    return Article(instrument, article)


def _b(*articles: Article, wording: str = "") -> Basis:
    return Basis(tuple(articles), wording)


# --- application, acceptance, mediation ------------------------------------------------------------------
APPLICATION = _b(_a(LDMAL, "第十二条"), wording="书面或者口头申请调解")
HEARING = _b(_a(LDMAL, "第十三条"), wording="调解应当充分听取双方当事人的陈述")
ACCEPTANCE = _b(_a(ELDNMP, "第二十二条"), wording="收到调解申请之日起3个工作日内决定是否受理")
CATEGORIES = _b(_a(LDMAL, "第二条"), wording="劳动争议的范围")
ARBITRATION_RIGHT = _b(_a(LDMAL, "第十四条第三款"), wording="自收到调解申请之日起15日内未达成调解协议的，可以申请仲裁")
MEDIATION_END = _b(_a(ELDNMP, "第二十九条"), wording="自受理之日起15日内结束；双方同意的，可以延长")
FAILURE_RECORD = _b(_a(ELDNMP, "第三十条"),
                    wording="调解不成的，作出记录，由双方签名或者盖章，并书面告知当事人可以申请仲裁")
AGREEMENT = _b(_a(LDMAL, "第十四条"), wording="调解协议书经双方签名或者盖章、调解员签名并加盖调解组织印章后生效")
SETTLEMENT = _b(_a(LDMAL, "第四条"), wording="协商达成和解协议")
#: The joint request for arbitration review: always the same pair (the deadline row, the agreement's PDF,
#: the review application and the refusals).
ARBITRATION_REVIEW = _b(_a(ELDNMP, "第二十七条第二款"), _a(RULES_2017, "第七十四条"),
                        wording="调解协议生效之日起15日内共同申请仲裁审查")
LATE_REVIEW = _b(_a(RULES_2017, "第七十五条第三项"), wording="超过15日申请仲裁审查的，不予受理")
DEFAULT_WITHOUT_REVIEW = _b(_a(ELDNMP, "第二十八条"), wording="未经仲裁审查、一方不履行的，另一方可以申请仲裁")
DEFAULT = _b(_a(LDMAL, "第十五条"), wording="一方当事人在协议约定期限内不履行调解协议的，另一方当事人可以申请仲裁")
PAYMENT_ORDER = _b(_a(LDMAL, "第十六条"), wording="支付令")
JUDICIAL_CONFIRMATION = _b(_a(CPL, "第二百零五条"), wording="调解协议生效之日起30日内共同申请司法确认")
JUDICIAL_CONFIRMATION_PEOPLES = _b(_a(PML, "第三十三条"), _a(CPL, "第二百零五条"),
                                   wording="调解协议生效之日起30日内共同申请司法确认")
ARBITRATION_STARTS_ON_APPLICATION = _b(_a(LDMAL, "第二十八条"), wording="申请人申请仲裁应当提交书面仲裁申请")

# --- refusal to mediate, by the kind of organisation -------------------------------------------------------
REFUSAL_ENTERPRISE = _b(_a(ELDNMP, "第二十二条"), wording="对方当事人不同意调解的，不予受理")
REFUSAL_PEOPLES = _b(_a(PML, "第十七条"), wording="当事人一方明确拒绝调解的，不得调解")

# --- limitation (LDMAL art. 27) ----------------------------------------------------------------------------
LIMITATION = _b(_a(LDMAL, "第二十七条"), wording="仲裁时效期间为一年")
LIMITATION_START = _b(_a(LDMAL, "第二十七条第一款"), wording="从知道或者应当知道其权利被侵害之日起计算")
LIMITATION_INTERRUPTED = _b(_a(LDMAL, "第二十七条第二款"), wording="仲裁时效中断，从中断时起重新计算")
LIMITATION_APPLICATION = _b(_a(LDMAL, "第二十七条第二款"), _a(RULES_2017, "第二十七条第一项"),
                            wording="申请调解，仲裁时效中断")
LIMITATION_NEGOTIATION = _b(_a(LDMAL, "第二十七条第二款"), wording="向对方当事人主张权利，仲裁时效中断")
LIMITATION_MEDIATION_FAILED = _b(_a(LDMAL, "第二十七条第二款"), _a(ELDNMP, "第三十一条"),
                                 wording="调解不成（含期限内未达成调解协议、对方不同意调解），仲裁时效中断")
LIMITATION_AGREEMENT = _b(_a(LDMAL, "第二十七条第二款"),
                          wording="对方当事人同意履行义务，仲裁时效中断；每项义务自履行期限届满次日起计算")
LIMITATION_SUSPENDED = _b(_a(LDMAL, "第二十七条第三款"),
                          wording="因不可抗力或者有其他正当理由不能申请仲裁的，仲裁时效中止，原因消除之日起继续计算")
LIMITATION_PAY_ARREARS = _b(_a(LDMAL, "第二十七条第四款"),
                            wording="劳动关系存续期间因拖欠劳动报酬发生争议的，不受一年时效限制；劳动关系终止的，自终止之日起一年内提出")

# --- collective disputes -----------------------------------------------------------------------------------
COLLECTIVE = _b(_a(LDMAL, "第七条"), wording="劳动者一方在十人以上，并有共同请求的，可以推举代表参加调解")
#: Written for arbitration; the committee adopts it as its practice for mediation (a policy, on by default).
COLLECTIVE_REPRESENTATIVES = _b(_a(RULES_2017, "第五条"), _a(RULES_2017, "第六十二条"), _a(RULES_2017, "第六十三条"),
                                wording="推举三至五名代表")

# --- committee practice (no statutory article behind the figure) -------------------------------------------
NEGOTIATION_REPLY = Basis((), "本会协商工作规则：一方提出协商要求后5日内不作回应的，视为不愿协商", statutory=False)
COLLECTIVE_REPORT = Basis((), "本会集体争议报告规则（依地方应急预案）", statutory=False)
EXTENSION_CAP = Basis((), "本会调解工作制度（法律未规定延长上限）", statutory=False)


def refusal_basis(org_kind: str | None, own_basis: str | None = None) -> Basis | None:
    """The basis for not mediating when the other party refuses, by the kind of organisation: PML art. 17 for
    people's mediation committees, ELDNMP art. 22 for enterprise committees, and for a township (street) or
    regional union body its own rules as it recorded them (``own_basis``, e.g.
    ``《某街道劳动争议调解工作规则》第十条``). ``None`` when such a body has recorded none: the document then
    states the decision without citing a provision."""
    if org_kind == OrgKind.PEOPLES_MEDIATION:
        return REFUSAL_PEOPLES
    if org_kind == OrgKind.ENTERPRISE_COMMITTEE:
        return REFUSAL_ENTERPRISE
    # township (street) bodies and the unions' regional mediation bodies: their own rules
    if own_basis and own_basis.strip():
        return Basis((), own_basis.strip(), statutory=False)
    return None


def eldnmp_applies(org_kind: str | None) -> bool:
    """ELDNMP binds enterprise labour-dispute mediation committees (its art. 2); other bodies follow their own
    regime (PML for people's mediation committees)."""
    return org_kind == OrgKind.ENTERPRISE_COMMITTEE


#: Internal markers that must never reach a page, a PDF or an error message.
INTERNAL_MARKERS = ("待核实", "TODO", "FIXME", "XXX")
