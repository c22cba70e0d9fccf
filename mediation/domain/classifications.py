"""Code lists used to describe enterprises, with their sources."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

#: GB/T 4754-2017 《国民经济行业分类》 sections (门类).
INDUSTRY_SECTIONS: Mapping[str, str] = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}


class Ownership(StrEnum):
    """Registration/ownership type (cf. 国家统计局《关于划分企业登记注册类型的规定》)."""

    STATE_OWNED = "state_owned"
    COLLECTIVE = "collective"
    PRIVATE = "private"
    HK_MACAO_TAIWAN = "hk_macao_taiwan"
    FOREIGN_INVESTED = "foreign_invested"
    INDIVIDUAL = "individual"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _OWNERSHIP[self]

    @property
    def non_public(self) -> bool:
        """The union's focus on non-public enterprises (非公有制企业)."""
        return self not in (Ownership.STATE_OWNED, Ownership.COLLECTIVE)


_OWNERSHIP = {
    Ownership.STATE_OWNED: "国有企业",
    Ownership.COLLECTIVE: "集体企业",
    Ownership.PRIVATE: "私营企业",
    Ownership.HK_MACAO_TAIWAN: "港澳台商投资企业",
    Ownership.FOREIGN_INVESTED: "外商投资企业",
    Ownership.INDIVIDUAL: "个体工商户",
    Ownership.OTHER: "其他",
}


class EnterpriseSize(StrEnum):
    """《统计上大中小微型企业划分办法（2017）》."""

    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"

    @property
    def label(self) -> str:
        return {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}[self.value]
