"""The catalogue of official documents (文书): for each kind its title, template, default numbering
pattern, the inputs it takes when generated on demand, and the builder that makes its context
(one module per kind in :mod:`documents.builders`, which read only the case).

What each document must contain follows ``docs/domain.md#documents``; the legal
references printed in the templates are:

- LDMAL = 《中华人民共和国劳动争议调解仲裁法》 arts. 2 (what a labour dispute is), 4 (negotiation and
  settlement), 5 (a settlement not performed → mediation; no mediation → arbitration), 12 (oral application
  recorded), 14 (agreement, its effect, the 15-day clock), 15 (non-performance → arbitration), 16 (payment
  order; mediation agreements only), 27 (1-year limitation), 28 (arbitration starts on the party's own
  written application);
- PML = 《中华人民共和国人民调解法》 arts. 17 (refusal to mediate), 23 (the parties' rights), 33 (judicial
  confirmation within 30 days): cited only when the organisation is a people's mediation committee
  (``OrgKind.PEOPLES_MEDIATION``), the only kind that law binds;
- CPL = 《中华人民共和国民事诉讼法》 (2023 text) arts. 87–90 (service and proof of service), 205 (judicial
  confirmation of an agreement reached before any lawfully established mediation organisation, jointly
  within 30 days, at the basic court where a party is domiciled, the subject matter is or the organisation
  sits);
- 《劳动人事争议仲裁办案规则》 (人社部令第33号) art. 74: joint application for arbitration review within 15
  days of the agreement's effective date;
- ELDNMP = 《企业劳动争议协商调解规定》: its article numbers are unconfirmed, so it is cited without one;
- Trade Union Law art. 23 and Zhejiang's 2016 regulation (supervision letters, reply in 15 working days from
  receipt).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from documents.builders.acceptance_notice import build_acceptance
from documents.builders.application import build_application
from documents.builders.common import Builder
from documents.builders.early_warning_report import build_early_warning
from documents.builders.mediation_agreement import build_agreement
from documents.builders.non_acceptance_notice import build_non_acceptance
from documents.builders.referral_letter import build_referral
from documents.builders.review_application import build_review_application
from documents.builders.service_receipt import build_service_receipt
from documents.builders.session_record import build_session_record
from documents.builders.supervision_opinion import build_supervision_opinion
from documents.builders.supervision_proposal import build_supervision_proposal
from documents.builders.termination_certificate import build_termination
from mediation.domain.errors import ValidationFailed


@dataclass(frozen=True)
class Variant:
    """A different document under the same kind (e.g. a negotiated settlement beside the mediation
    agreement): its own template and its own number sequence (``key`` names the counter and the
    organisation's numbering format; at most 28 characters)."""

    key: str
    template: str
    pattern: str


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    title: str
    template: str
    #: Placeholders ``{year}``, ``{prefix}`` (the organisation's short form), ``{n}``.
    pattern: str
    builder: Builder
    #: On-demand inputs (name → Chinese description); required ones are marked ``*``.
    inputs: Mapping[str, str] = field(default_factory=dict)
    #: Which subject a document is about: ``case`` (one per case), ``session``, ``document``.
    subject: str = "case"
    #: Case states in which it makes sense (``None`` = any).
    states: frozenset[str] | None = None
    #: Variants chosen by the builder (``context["doc_variant"]``).
    variants: Mapping[str, Variant] = field(default_factory=dict)

    def title_for(self, context: Mapping[str, Any]) -> str:
        return str(context.get("doc_title") or self.title)

    def variant_for(self, context: Mapping[str, Any]) -> Variant | None:
        name = context.get("doc_variant")
        return self.variants[str(name)] if name else None

    def template_for(self, context: Mapping[str, Any]) -> str:
        v = self.variant_for(context)
        return v.template if v else self.template

    def number_key(self, context: Mapping[str, Any]) -> str:
        """The counter and numbering-format key: the kind, or the variant's own sequence."""
        v = self.variant_for(context)
        return v.key if v else self.kind

    def pattern_for(self, context: Mapping[str, Any]) -> str:
        v = self.variant_for(context)
        return v.pattern if v else self.pattern



# --- the catalogue ------------------------------------------------------------------------------------

CATALOGUE: dict[str, DocumentKind] = {
    k.kind: k
    for k in (
        DocumentKind("application", "劳动争议调解申请书", "application.html", "（{year}）{prefix}劳调申字第{n}号",
                     build_application),
        DocumentKind("acceptance_notice", "受理通知书", "acceptance_notice.html", "（{year}）{prefix}劳调受字第{n}号",
                     build_acceptance),
        DocumentKind("non_acceptance_notice", "不予受理通知书", "non_acceptance_notice.html",
                     "（{year}）{prefix}劳调不受字第{n}号", build_non_acceptance),
        DocumentKind("session_record", "调解笔录", "session_record.html", "（{year}）{prefix}劳调笔字第{n}号",
                     build_session_record, inputs={"session_id": "调解会议（默认最近一次）"}, subject="session"),
        DocumentKind("mediation_agreement", "劳动争议调解协议书", "mediation_agreement.html",
                     "（{year}）{prefix}劳调协字第{n}号", build_agreement,
                     # a negotiated settlement is the parties' contract, registered under its own sequence
                     variants={"settlement": Variant("settlement_agreement", "settlement_agreement.html",
                                                     "（{year}）{prefix}劳和登字第{n}号")}),
        DocumentKind("termination_certificate", "终止调解书", "termination_certificate.html",
                     "（{year}）{prefix}劳调终字第{n}号", build_termination),
        DocumentKind("referral_letter", "劳动争议案件移送函", "referral_letter.html", "{prefix}劳调函〔{year}〕{n}号",
                     build_referral, inputs={"arbitration_committee": "仲裁委员会名称"}),
        DocumentKind("review_application", "仲裁审查/司法确认申请书", "review_application.html",
                     "（{year}）{prefix}劳调审字第{n}号", build_review_application,
                     inputs={"review_kind": "arbitration_review 或 judicial_confirmation", "addressee": "受理机关"}),
        DocumentKind("service_receipt", "送达回证", "service_receipt.html", "（{year}）{prefix}劳调送字第{n}号",
                     build_service_receipt,
                     inputs={"served_document_id": "*送达的文书", "recipient": "受送达人", "address": "送达地址",
                             "method": "送达方式", "server": "送达人"}, subject="document"),
        DocumentKind("supervision_opinion", "劳动法律监督意见书", "supervision_opinion.html",
                     "{prefix}工监〔{year}〕{n}号", build_supervision_opinion,
                     inputs={"facts": "*发现的问题", "legal_basis": "*法律依据", "correction": "*整改要求",
                             "reply_days": "答复期限（自收到之日起的工作日，默认15）", "addressee": "受文单位"}),
        DocumentKind("supervision_proposal", "劳动法律监督建议书", "supervision_proposal.html",
                     "{prefix}工建〔{year}〕{n}号", build_supervision_proposal,
                     inputs={"response_history": "*用人单位答复及整改情况", "authority": "劳动行政部门",
                             "facts": "问题", "legal_basis": "法律依据"}),
        DocumentKind("early_warning_report", "劳动关系风险预警报告", "early_warning_report.html",
                     "{prefix}工预〔{year}〕{n}号", build_early_warning,
                     inputs={"level": "预警等级", "indicators": "风险指标", "cause": "事件起因", "trend": "发展趋势",
                             "actions": "已采取的措施", "reporter": "报告人"}),
    )
}


def get_kind(kind: str) -> DocumentKind:
    try:
        return CATALOGUE[kind]
    except KeyError:
        raise ValidationFailed(
            f"未知的文书类型“{kind}”", errors={"kind": [f"可选：{'、'.join(CATALOGUE)}"]}
        ) from None

