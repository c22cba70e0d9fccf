"""Domain vocabularies. Values are stable English identifiers; ``label`` gives the Chinese."""

from __future__ import annotations

from enum import StrEnum


class _Labelled(StrEnum):
    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class DisputeCategory(_Labelled):
    """LDMAL art. 2 (《劳动争议调解仲裁法》第二条)."""

    LABOUR_RELATIONSHIP = "labour_relationship"
    CONTRACT = "contract"
    DISMISSAL = "dismissal"
    HOURS_LEAVE_INSURANCE = "hours_leave_insurance"
    REMUNERATION = "remuneration"
    OTHER = "other"


class ClaimType(_Labelled):
    """What a single claim asks for; drives remedies (payment order, LDMAL art. 16)."""

    WAGES = "wages"
    OVERTIME = "overtime"
    ECONOMIC_COMPENSATION = "economic_compensation"
    DAMAGES = "damages"
    DOUBLE_WAGES = "double_wages"
    SOCIAL_INSURANCE = "social_insurance"
    INJURY_MEDICAL = "injury_medical"
    CONFIRM_RELATIONSHIP = "confirm_relationship"
    REINSTATEMENT = "reinstatement"
    OTHER = "other"

    @property
    def payment_order_eligible(self) -> bool:
        """LDMAL art. 16: pay arrears, work-injury medical costs, economic compensation or damages."""
        return self in _PAYMENT_ORDER_TYPES


_PAYMENT_ORDER_TYPES = {
    ClaimType.WAGES,
    ClaimType.OVERTIME,
    ClaimType.ECONOMIC_COMPENSATION,
    ClaimType.DAMAGES,
    ClaimType.DOUBLE_WAGES,
    ClaimType.INJURY_MEDICAL,
}


class CaseSource(_Labelled):
    SCREENING = "screening"
    HOTLINE_12351 = "hotline_12351"
    WALK_IN_WRITTEN = "walk_in_written"
    WALK_IN_ORAL = "walk_in_oral"
    REFERRAL = "referral"
    ONLINE = "online"
    PETITION = "petition"


class PartyRole(_Labelled):
    WORKER = "worker"
    EMPLOYER = "employer"
    AGENT = "agent"
    REPRESENTATIVE = "representative"


class Gender(_Labelled):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class Role(_Labelled):
    CLERK = "clerk"
    MEDIATOR = "mediator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"


class OrgKind(_Labelled):
    FEDERATION = "federation"
    TOWNSHIP_UNION = "township_union"
    PARK_UNION = "park_union"
    TOWNSHIP_MEDIATION = "township_mediation"
    PEOPLES_MEDIATION = "peoples_mediation"
    ENTERPRISE_COMMITTEE = "enterprise_committee"


class OrgLevel(_Labelled):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    PARK = "park"
    ENTERPRISE = "enterprise"


class ParkKind(_Labelled):
    INDUSTRIAL_PARK = "industrial_park"
    DEVELOPMENT_ZONE = "development_zone"
    HIGH_TECH_ZONE = "high_tech_zone"


class DeadlineStatus(_Labelled):
    OPEN = "open"
    MET = "met"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"


class AgreementKind(_Labelled):
    MEDIATION = "mediation"
    SETTLEMENT = "settlement"


class ObligationStatus(_Labelled):
    PENDING = "pending"
    PARTIAL = "partial"
    PERFORMED = "performed"
    DEFAULTED = "defaulted"


class Obligor(_Labelled):
    EMPLOYER = "employer"
    WORKER = "worker"


_LABELS: dict[StrEnum, str] = {
    DisputeCategory.LABOUR_RELATIONSHIP: "因确认劳动关系发生的争议",
    DisputeCategory.CONTRACT: "因订立、履行、变更、解除和终止劳动合同发生的争议",
    DisputeCategory.DISMISSAL: "因除名、辞退和辞职、离职发生的争议",
    DisputeCategory.HOURS_LEAVE_INSURANCE: "因工作时间、休息休假、社会保险、福利、培训以及劳动保护发生的争议",
    DisputeCategory.REMUNERATION: "因劳动报酬、工伤医疗费、经济补偿或者赔偿金等发生的争议",
    DisputeCategory.OTHER: "法律、法规规定的其他劳动争议",
    ClaimType.WAGES: "拖欠劳动报酬",
    ClaimType.OVERTIME: "加班费",
    ClaimType.ECONOMIC_COMPENSATION: "经济补偿",
    ClaimType.DAMAGES: "赔偿金",
    ClaimType.DOUBLE_WAGES: "未签劳动合同二倍工资",
    ClaimType.SOCIAL_INSURANCE: "社会保险",
    ClaimType.INJURY_MEDICAL: "工伤医疗费",
    ClaimType.CONFIRM_RELATIONSHIP: "确认劳动关系",
    ClaimType.REINSTATEMENT: "恢复劳动关系",
    ClaimType.OTHER: "其他",
    CaseSource.SCREENING: "排查发现",
    CaseSource.HOTLINE_12351: "12351热线",
    CaseSource.WALK_IN_WRITTEN: "书面申请",
    CaseSource.WALK_IN_ORAL: "口头申请",
    CaseSource.REFERRAL: "转办移送",
    CaseSource.ONLINE: "网上申请",
    CaseSource.PETITION: "信访",
    PartyRole.WORKER: "劳动者",
    PartyRole.EMPLOYER: "用人单位",
    PartyRole.AGENT: "委托代理人",
    PartyRole.REPRESENTATIVE: "劳动者代表",  # LDMAL art. 7: 劳动者可以推举代表参加调解
    Gender.MALE: "男",
    Gender.FEMALE: "女",
    Gender.UNKNOWN: "未知",
    Role.CLERK: "登记员",
    Role.MEDIATOR: "调解员",
    Role.SUPERVISOR: "督导员",
    Role.ADMIN: "系统管理员",
    Role.SYSTEM: "系统",
    OrgKind.FEDERATION: "总工会",
    OrgKind.TOWNSHIP_UNION: "乡镇（街道）工会",
    OrgKind.PARK_UNION: "园区工会",
    OrgKind.TOWNSHIP_MEDIATION: "乡镇（街道）劳动争议调解组织",
    OrgKind.PEOPLES_MEDIATION: "人民调解委员会",
    OrgKind.ENTERPRISE_COMMITTEE: "企业劳动争议调解委员会",
    OrgLevel.PROVINCE: "省级",
    OrgLevel.CITY: "市级",
    OrgLevel.COUNTY: "县级",
    OrgLevel.TOWNSHIP: "乡镇（街道）",
    OrgLevel.PARK: "园区",
    OrgLevel.ENTERPRISE: "企业",
    ParkKind.INDUSTRIAL_PARK: "工业园区",
    ParkKind.DEVELOPMENT_ZONE: "经济技术开发区",
    ParkKind.HIGH_TECH_ZONE: "高新技术产业开发区",
    DeadlineStatus.OPEN: "进行中",
    DeadlineStatus.MET: "已完成",
    DeadlineStatus.OVERDUE: "已逾期",
    DeadlineStatus.CANCELLED: "已取消",
    AgreementKind.MEDIATION: "调解协议",
    AgreementKind.SETTLEMENT: "和解协议",
    ObligationStatus.PENDING: "待履行",
    ObligationStatus.PARTIAL: "部分履行",
    ObligationStatus.PERFORMED: "已履行",
    ObligationStatus.DEFAULTED: "未按期履行",
    Obligor.EMPLOYER: "用人单位",
    Obligor.WORKER: "劳动者",
}
