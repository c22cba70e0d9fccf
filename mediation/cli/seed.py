"""Demo data: a realistic installation for two prefectures, built through the real services.

Organisations carry real GB/T 2260 codes from the divisions package: 浙江省 → 嘉兴市 → its districts and
counties, and 江苏省 → 苏州市 → its districts. Township/street mediation bodies, parks and enterprises are
illustrative (plausible names, not a register of real ones). Every case is registered and advanced with
``create_case`` / ``fire_event`` on simulated past days, so statuses, event histories and deadlines are
exactly what the engine would have produced.

Demo users (password ``demo-password-2026``):

- ``admin`` — system administrator (浙江省总工会)
- ``sup_zhejiang`` — province supervisor; ``sup_jiaxing`` — city supervisor (嘉兴市总工会);
  ``sup_nanhu`` — district supervisor (南湖区总工会); ``sup_suzhou`` — city supervisor (苏州市总工会)
- ``med_dongshan1``, ``med_dongshan2``, ``clerk_dongshan`` — 东栅街道劳动争议调解委员会 (南湖区)
- ``med_<body>1``, ``clerk_<body>`` for every other township, park and enterprise mediation body
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import click
from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediation.accounts.organisations import create_organisation
from mediation.accounts.users import actor_for, create_user
from mediation.cases import service as svc
from mediation.cli.common import engine
from mediation.db.models import Case, Enterprise, Organisation, Park, User
from mediation.domain import divisions
from mediation.domain.clock import CHINA_TZ, china_instant, china_today
from mediation.domain.errors import DomainError
from mediation.domain.identity import id_check_character
from mediation.domain.policy import Actor
from mediation.domain.uscc import make_uscc
from mediation.runtime.env import ServiceEnv, load_calendar
from mediation.wiring import OBSERVERS
from workflows.definitions import CURRENT_VERSION, get_definition

DEMO_PASSWORD = "demo-password-2026"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅鹏飞辉斌宇浩凯健俊"
    "帆婷雪琳晨阳欣怡子涵思远志强海燕永红文博佳琪嘉怡堃喆昇旻珺燊"
)
WORDS = ["恒达", "瑞丰", "宏盛", "永信", "金科", "华通", "新锐", "鼎力", "天成", "联创", "凯旋", "众合", "远航", "博源",
         "嘉禾", "立信", "东升", "润泽", "汇丰", "明德", "安泰", "锦程", "诚业", "佳美", "同力", "长青", "兴业", "精工"]
INDUSTRIES: list[tuple[str, str, int]] = [  # GB/T 4754 section, name part, weight
    ("C", "精密机械制造", 14), ("C", "纺织服装", 10), ("C", "电子科技", 8), ("C", "塑料制品", 5), ("C", "皮革制品", 4),
    ("E", "建筑工程", 12), ("F", "商贸", 8), ("H", "餐饮管理", 8), ("G", "物流运输", 7), ("L", "人力资源服务", 4),
    ("K", "物业管理", 5), ("I", "信息技术", 4), ("O", "家政服务", 3), ("R", "文化传媒", 2),
]
OWNERSHIP = [("private", 72), ("foreign_invested", 8), ("hk_macao_taiwan", 6), ("state_owned", 5),
             ("collective", 3), ("individual", 6)]
CLAIMS: list[tuple[str, str, str, int]] = [  # claim type, category, description, weight
    ("social_insurance", "hours_leave_insurance", "补缴社会保险费", 30),
    ("wages", "remuneration", "支付拖欠工资", 28),
    ("economic_compensation", "contract", "解除劳动合同经济补偿", 14),
    ("overtime", "remuneration", "支付加班费", 8),
    ("double_wages", "contract", "未签订书面劳动合同二倍工资", 6),
    ("injury_medical", "remuneration", "工伤医疗费", 4),
    ("confirm_relationship", "labour_relationship", "确认劳动关系", 4),
    ("damages", "dismissal", "违法解除劳动合同赔偿金", 6),
]
#: Share of final states (the closed ones by the path that led there).
TARGETS: list[tuple[str, int]] = [
    ("closed:performed", 330), ("closed:terminated", 80), ("closed:referred", 60), ("closed:withdrawn", 40),
    ("closed:not_accepted", 15), ("closed:dismissed", 30),
    ("reported", 22), ("triage", 18), ("negotiating", 14), ("applied", 22), ("not_accepted", 8),
    ("mediating", 45), ("lapsed", 10), ("agreed", 25), ("performing", 22), ("non_performed", 10),
    ("performed", 18), ("terminated", 15), ("referred", 10), ("withdrawn", 8),
]


@dataclass
class _Body:
    org: Organisation
    mediators: list[Actor]
    clerk: Actor
    mediator_ids: list[int]
    enterprises: list[Enterprise]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _id_number(rng: random.Random, region: str) -> tuple[str, str]:
    born = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
    gender = rng.choice(("male", "female"))
    seq = rng.randrange(0, 99) * 10 + (rng.choice((1, 3, 5, 7, 9)) if gender == "male" else rng.choice((0, 2, 4, 6, 8)))
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_character(first17), gender


def _phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "158", "186", "187", "177", "199")) + f"{rng.randrange(10**8):08d}"


def _weighted(rng: random.Random, items: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(items, weights=[i[-1] for i in items], k=1)[0]


class _Seeder:
    def __init__(self, session: Session, seed: int, today: dt.date, progress: Callable[[str], None]) -> None:
        self.s = session
        self.rng = random.Random(seed)
        self.today = today
        self.progress = progress
        # Bulk path: the risk facts, rollups and levels are computed once at the end (as a bulk import
        # does), not by the observer after every generated event.
        self.env = ServiceEnv(calendar=load_calendar(session), observers=())
        #: The live path (risk signals turned into cases at the end): the observers of the wiring.
        self.live_env = dataclasses.replace(self.env, observers=OBSERVERS)
        self.hash = PasswordHasher().hash(DEMO_PASSWORD)  # one hash for all demo users: seeding stays fast
        self.users: list[User] = []
        self.bodies: list[_Body] = []
        self.parks: list[Park] = []
        self.enterprises: list[Enterprise] = []
        self.org_codes = 0

    # --- organisations, parks, users ----------------------------------------------------------------

    def user(self, username: str, name: str, role: str, org: Organisation) -> User:
        u = create_user(self.s, username=username, password=DEMO_PASSWORD, display_name=name, role=role,
                        organisation_id=org.id, commit=False, password_hash=self.hash, phone=_phone(self.rng))
        self.users.append(u)
        return u

    def body(self, org: Organisation, key: str, mediators: int = 2) -> _Body:
        meds = [self.user(f"med_{key}{i + 1}", _person(self.rng), "mediator", org) for i in range(mediators)]
        clerk = self.user(f"clerk_{key}", _person(self.rng), "clerk", org)
        self.s.flush()
        b = _Body(org=org, mediators=[actor_for(m) for m in meds], clerk=actor_for(clerk),
                  mediator_ids=[m.id for m in meds], enterprises=[])
        self.bodies.append(b)
        return b

    def build_tree(self) -> None:
        zj = create_organisation(self.s, name="浙江省总工会", kind="federation", level="province",
                                 region_code="330000", doc_prefix="浙")
        self.user("admin", "系统管理员", "admin", zj)
        self.user("sup_zhejiang", "省总督导", "supervisor", zj)
        js = create_organisation(self.s, name="江苏省总工会", kind="federation", level="province",
                                 region_code="320000", doc_prefix="苏")
        jx = create_organisation(self.s, name="嘉兴市总工会", kind="federation", level="city", parent=zj,
                                 region_code="330400", doc_prefix="嘉")
        self.user("sup_jiaxing", "嘉兴市总督导", "supervisor", jx)
        sz = create_organisation(self.s, name="苏州市总工会", kind="federation", level="city", parent=js,
                                 region_code="320500", doc_prefix="苏州")
        self.user("sup_suzhou", "苏州市总督导", "supervisor", sz)
        townships = {  # illustrative street/town names under real districts
            "330402": [("东栅街道", "dongshan"), ("新嘉街道", "xinjia"), ("建设街道", "jianshe")],
            "330411": [("新城街道", "xincheng"), ("王店镇", "wangdian")],
            "320506": [("长桥街道", "changqiao")],
            "320583": [("玉山镇", "yushan")],
        }
        parks = {
            "330402": ("嘉兴经济技术开发区", "development_zone", "jxkfq"),
            "330411": ("嘉兴秀洲高新技术产业开发区", "high_tech_zone", "xzgx"),
            "320506": ("苏州工业园区", "industrial_park", "szgy"),
            "320583": ("昆山经济技术开发区", "development_zone", "kskfq"),
        }
        for city, prefix in ((jx, "330400"), (sz, "320500")):
            for div in divisions.children(prefix):
                short = div.name.removesuffix("区").removesuffix("县").removesuffix("市")[:4]
                county = create_organisation(self.s, name=f"{div.name}总工会", kind="federation", level="county",
                                             parent=city, region_code=div.code, doc_prefix=short)
                if div.code == "330402":
                    self.user("sup_nanhu", "南湖区总督导", "supervisor", county)
                for name, key in townships.get(div.code, []):
                    t = create_organisation(self.s, name=f"{name}劳动争议调解委员会", kind="township_mediation",
                                            level="township", parent=county, region_code=div.code,
                                            doc_prefix=name[:2])
                    self.body(t, key)
                if div.code in parks:
                    pname, pkind, key = parks[div.code]
                    park = Park(name=pname, kind=pkind, region_code=div.code)
                    self.s.add(park)
                    self.s.flush()
                    self.parks.append(park)
                    porg = create_organisation(self.s, name=f"{pname}工会联合会", kind="park_union", level="park",
                                               parent=county, region_code=div.code, park_id=park.id,
                                               doc_prefix=pname[:2] + "园")
                    self.body(porg, key)
        self.s.flush()

    # --- enterprises --------------------------------------------------------------------------------

    def build_enterprises(self, n: int) -> None:
        used: set[str] = set()
        for i in range(n):
            body = self.bodies[i % len(self.bodies)]
            org = body.org
            section, part, _ = _weighted(self.rng, INDUSTRIES)
            city = "嘉兴" if (org.region_code or "").startswith("33") else "苏州"
            name = f"{city}{self.rng.choice(WORDS)}{part}有限公司"
            while name in used:
                name = f"{city}{self.rng.choice(WORDS)}{self.rng.choice(WORDS)}{part}有限公司"
            used.add(name)
            self.org_codes += 1
            body8 = f"MA{self.org_codes:06d}"
            employees = int(self.rng.lognormvariate(4.3, 1.0)) + 5
            size = "large" if employees >= 1000 else "medium" if employees >= 300 else "small" if employees >= 20 \
                else "micro"
            in_park = org.park_id is not None
            ent = Enterprise(
                name=name, uscc=make_uscc("9", "1", org.region_code or "330402", body8), industry=section,
                ownership=_weighted(self.rng, OWNERSHIP)[0], size=size, employees=employees,
                legal_representative=_person(self.rng),
                address=f"{divisions.path_names(org.region_code or '330402').replace(' ', '')}"
                        f"{self.rng.choice(WORDS)}路{self.rng.randrange(1, 300)}号",
                phone=f"0573-{self.rng.randrange(10**7, 10**8)}", has_union=self.rng.random() < 0.55,
                park_id=org.park_id if in_park else None, region_code=org.region_code,
            )
            self.s.add(ent)
            body.enterprises.append(ent)
            self.enterprises.append(ent)
        self.s.flush()
        # The largest enterprises have their own mediation committees.
        for ent in sorted(self.enterprises, key=lambda e: -(e.employees or 0))[:3]:
            parent = next(b.org for b in self.bodies if ent in b.enterprises)
            org = create_organisation(self.s, name=f"{ent.name}劳动争议调解委员会", kind="enterprise_committee",
                                      level="enterprise", parent=parent, region_code=ent.region_code,
                                      doc_prefix=ent.name[2:4] + "企")
            b = self.body(org, f"ent{ent.id}", mediators=1)
            b.enterprises.append(ent)
        self.s.commit()

    # --- cases --------------------------------------------------------------------------------------

    def case_data(self, body: _Body, ent: Enterprise, source: str, initial: str, day: dt.date,
                  collective: bool) -> tuple[dict[str, Any], Decimal]:
        claim_type, category, desc, _ = _weighted(self.rng, CLAIMS)
        region = ent.region_code or "330402"
        workers = max(10, int(self.rng.gauss(23, 10))) if collective else 1
        amount = Decimal(int(self.rng.lognormvariate(9.8, 0.8))).quantize(Decimal("1")) + Decimal("0.00")
        amount = min(max(amount, Decimal("3000")), Decimal("200000")) * (workers if collective else 1)
        worker = _person(self.rng)
        parties: list[dict[str, Any]] = []
        if collective:
            for _ in range(self.rng.randint(3, 5)):
                idn, gender = _id_number(self.rng, region)
                parties.append({"role": "representative", "name": _person(self.rng), "gender": gender,
                                "id_number": idn, "phone": _phone(self.rng), "authorised_to_sign": True,
                                "authorisation_scope": "代为承认、放弃、变更调解请求，代为达成、签署调解协议"})
            title = f"{ent.name}{workers}名职工{desc}集体争议"
        else:
            idn, gender = _id_number(self.rng, region)
            hired = day - dt.timedelta(days=self.rng.randrange(120, 3000))
            parties.append({"role": "worker", "name": worker, "gender": gender, "id_number": idn,
                            "phone": _phone(self.rng), "address": ent.address, "job_title": "操作工",
                            "hired_on": hired.isoformat()})
            title = f"{worker}与{ent.name}{desc}争议"
        parties.append({"role": "employer", "name": ent.name, "uscc": ent.uscc,
                        "legal_representative": ent.legal_representative, "address": ent.address})
        if not collective and self.rng.random() < 0.15:
            parties.append({"role": "agent", "name": _person(self.rng), "agent_kind": "lawyer",
                            "represents_index": 0})
        data = {
            "title": title[:200], "category": category, "source": source, "organisation_id": body.org.id,
            "enterprise_id": ent.id, "workers_count": workers, "initial_state": initial,
            "facts": f"申请人称{ent.name}未依法{desc[:-2] if desc.endswith('争议') else desc}，经协商未果。",
            "requests": f"请求{desc}{amount:,.2f}元。",
            # LDMAL art. 7: a collective dispute is ten or more workers with a common claim
            **({"is_collective": True, "common_claim": f"全体职工请求{desc}"} if collective else {}),
            "dispute_arose_on": (day - dt.timedelta(days=self.rng.randrange(5, 200))).isoformat(),
            "parties": parties,
            "claims": [{"claim_type": claim_type, "description": desc, "amount": str(amount)}],
        }
        return data, amount

    def fire(self, case: Case, event: str, actor: Actor, day: dt.date, payload: dict[str, Any] | None = None) -> Case:
        at = china_instant(day, dt.time(9 + self.rng.randrange(0, 8), self.rng.randrange(60)))
        return svc.fire_event(self.s, case_id=case.id, event=event, actor=actor, payload=payload or {},
                              env=self.env, today=day, at=at)

    def one_case(self, target: str) -> Case:
        rng = self.rng
        final, _, via = target.partition(":")
        body = rng.choice(self.bodies)
        ent = rng.choice(body.enterprises)
        mediator = rng.choice(body.mediators)
        collective = rng.random() < 0.04
        open_target = final != "closed"
        # Open cases started recently (their clocks are live); concluded ones any time in two years.
        span = {"reported": 20, "triage": 25, "negotiating": 12, "applied": 5, "mediating": 18, "lapsed": 40,
                "agreed": 25, "performing": 50, "non_performed": 90}.get(final, 700 if not open_target else 300)
        start = self.today - dt.timedelta(days=rng.randrange(0, span) + (1 if final == "applied" else 3))
        path = via if final == "closed" else final
        if path == "lapsed":
            start = self.today - dt.timedelta(days=rng.randrange(35, 60))
        starts_reported = path in ("reported", "triage", "negotiating", "dismissed") or rng.random() < 0.1
        source = rng.choice(("screening", "hotline_12351", "petition")) if starts_reported else \
            rng.choices(("walk_in_written", "walk_in_oral", "online", "referral"), weights=(60, 25, 10, 5))[0]
        initial = "reported" if starts_reported else "applied"
        data, amount = self.case_data(body, ent, source, initial, start, collective)
        at = china_instant(start, dt.time(10))
        case = svc.create_case(self.s, actor=body.clerk, data=data, env=self.env, today=start, at=at)
        day = start

        def step(days: int) -> dt.date:
            nonlocal day
            day = min(day + dt.timedelta(days=days), self.today)
            return day

        if collective:
            case = self.fire(case, "escalate", mediator, step(0))
        if initial == "reported":
            if path == "reported":
                return case
            case = self.fire(case, "begin_triage", mediator, step(rng.randint(0, 2)))
            if path == "triage":
                return case
            if path == "dismissed":
                return self.fire(case, "dismiss", mediator, step(rng.randint(1, 5)), {"reason": "经核实已自行化解"})
            if path == "negotiating" or rng.random() < 0.3:
                case = self.fire(case, "start_negotiation", mediator, step(1))
                if path == "negotiating":
                    return case
            case = self.fire(case, "register_application", body.clerk, step(rng.randint(1, 4)),
                             {"oral": source == "walk_in_oral"})
        if path == "applied":
            return case
        if path == "withdrawn":
            case = self.fire(case, "withdraw", body.clerk, step(rng.randint(0, 3)), {"reason": "申请人撤回调解申请"})
            return self.fire(case, "close", mediator, step(1)) if final == "closed" else case
        if path == "not_accepted":
            case = self.fire(case, "reject", mediator, step(rng.randint(1, 3)),
                             {"reason_code": rng.choice(["respondent_refuses", "out_of_scope"]),
                              "reason": "经审查不予受理"})
            return self.fire(case, "close", mediator, step(2)) if final == "closed" else case
        case = self.fire(case, "accept", mediator, step(rng.randint(0, 3)),
                         {"respondent_consents": True,
                          "mediator_id": body.mediator_ids[body.mediators.index(mediator)]})
        if path == "mediating":
            if rng.random() < 0.6:
                case = self.fire(case, "record_session", mediator, step(rng.randint(0, 5)), self.session_payload(day))
            return case
        case = self.fire(case, "record_session", mediator, step(rng.randint(2, 6)), self.session_payload(day))
        if path == "lapsed":
            return self.fire(case, "lapse", Actor.system(), step(16))
        if path in ("terminated", "referred"):
            case = self.fire(case, "terminate", mediator, step(rng.randint(1, 6)),
                             {"end_reason": rng.choice(["failed", "party_refuses"]),
                              "reason": "双方分歧较大，调解不成"})
            if path == "referred":
                case = self.fire(case, "refer", mediator, step(rng.randint(1, 3)),
                                 {"arbitration_committee": "劳动人事争议仲裁委员会"})
            return self.fire(case, "close", mediator, step(2)) if final == "closed" else case
        settled = (amount * Decimal(rng.choice(("0.6", "0.7", "0.8", "0.9", "1.0")))).quantize(Decimal("0.01"))
        instalments = 1 if rng.random() < 0.75 else 2
        sign_day = step(rng.randint(1, 6))
        obligations = []
        for k in range(instalments):
            share = (settled / instalments).quantize(Decimal("0.01")) if k < instalments - 1 else \
                settled - (settled / instalments).quantize(Decimal("0.01")) * (instalments - 1)
            obligations.append({"description": f"支付第{k + 1}期款项" if instalments > 1 else "一次性支付",
                                "claim_type": case.claims[0].claim_type if case.claims else "wages",
                                "amount": str(share),
                                "due_on": (sign_day + dt.timedelta(days=10 + 20 * k)).isoformat()})
        case = self.fire(case, "sign_agreement", mediator, sign_day, {
            "terms": f"被申请人同意支付申请人{settled:,.2f}元，双方就本争议再无其他争议。",
            "performance_method": "银行转账", "obligations": obligations,
            "signed_by_parties": True, "signed_by_mediator": True, "sealed": True,
        })
        if path == "agreed":
            return case
        agreement = case.current_agreement
        assert agreement is not None
        obs = list(agreement.obligations)
        if path == "non_performed":
            day = min(max(day, obs[0].due_on + dt.timedelta(days=rng.randint(1, 10))), self.today)
            if day <= obs[0].due_on:
                return case
            return self.fire(case, "report_non_performance", mediator, day)
        pay = obs if path == "performed" else obs[:1]
        for ob in pay:
            pay_day = min(max(day, ob.due_on - dt.timedelta(days=rng.randint(0, 5))), self.today)
            part = ob.amount if path == "performed" or len(obs) > 1 else (ob.amount / 2).quantize(Decimal("0.01"))
            case = self.fire(case, "record_performance", mediator, pay_day, {
                "obligation_id": ob.id, "performed_on": pay_day.isoformat(), "amount": str(part),
                "proof": f"银行转账回单{rng.randrange(10**6):06d}"})
            day = pay_day
        if path == "performing":
            return case
        case = self.fire(case, "confirm_performed", mediator, step(1))
        return self.fire(case, "close", mediator, step(rng.randint(1, 10))) if final == "closed" else case

    def session_payload(self, day: dt.date) -> dict[str, Any]:
        start = dt.datetime.combine(day, dt.time(9, 30), CHINA_TZ)
        return {"started_at": start.isoformat(), "ended_at": (start + dt.timedelta(hours=2)).isoformat(),
                "place": "调解室", "recorder": _person(self.rng), "attendees": [_person(self.rng), _person(self.rng)],
                "record": "调解员告知双方权利义务，双方分别陈述事实和理由，调解员释法明理，组织双方协商。",
                "signed_by_all": True}


def _sweep(seeder: _Seeder) -> None:
    """Bring the generated deadlines up to today, as the scheduler would have: mark those already past
    and lapse the mediations past day 15 (before the risk picture is built, which then counts them)."""
    from mediation.cases.sweep import run_sweep

    seeder.s.commit()
    bind = seeder.s.get_bind()
    report = run_sweep(lambda: Session(bind=bind, expire_on_commit=False), today=seeder.today, env=seeder.env)
    seeder.s.expire_all()  # the sweep wrote through its own sessions: reload what this one holds
    seeder.progress(f"期限检查：{report.summary()}")


SIGNAL_CONCERNS_DEMO = [("arrears", 45), ("social_insurance", 20), ("layoffs", 15), ("relocation", 8),
                        ("overtime", 12)]
SIGNAL_WORKERS_DEMO = [(3, 20), (5, 20), (8, 15), (12, 15), (20, 12), (35, 10), (60, 8)]
#: Months of pay owed: mostly a few weeks late, now and then several months (which the default rules' floors
#: make orange and red).
ARREARS_MONTHS_DEMO = [(Decimal("0.5"), 40), (Decimal(1), 30), (Decimal(2), 18), (Decimal(3), 8), (Decimal(4), 4)]
SIGNAL_SOURCES_DEMO = [("screening", 40), ("hotline_12351", 25), ("petition", 10), ("inspection_referral", 10),
                       ("media", 5), ("self_report", 10)]


def _risk_picture(seeder: _Seeder) -> None:
    """Facts, rollups and counters from the generated cases; enterprise levels (with their alerts); an
    alert for every open collective dispute; then risk signals through the live path, some turned into
    cases — so the supervisors' dashboard, the alerts inbox and the signal list have something to show."""
    from mediation.risk import alerts, maintenance, scoring, signals
    from mediation.risk.rulesets import active_rules

    s, rng = seeder.s, seeder.rng
    now = dt.datetime.now(dt.UTC)
    maintenance.rebuild(s, commit=False)
    summary = scoring.rescore_all(s, at=now, reason="演示数据")
    rules = active_rules(s)
    open_states = [st.name for st in get_definition(CURRENT_VERSION).states if st.open]
    for case in s.scalars(select(Case).where(Case.is_collective.is_(True), Case.status.in_(open_states))):
        alerts.raise_collective_alert(s, case, at=now, rules=rules)
    s.commit()
    seeder.progress(f"风险：{summary.text()}")
    converted = 0
    for i in range(120):
        body = rng.choice(seeder.bodies)
        ent = rng.choice(body.enterprises or seeder.enterprises)
        source = _weighted(rng, SIGNAL_SOURCES_DEMO)[0]
        concern = _weighted(rng, SIGNAL_CONCERNS_DEMO)[0]
        workers = _weighted(rng, SIGNAL_WORKERS_DEMO)[0]
        data: dict[str, Any] = {
            "enterprise_id": ent.id, "source": source, "organisation_id": body.org.id,
            "observed_at": (now - dt.timedelta(days=rng.randrange(0, 120), hours=rng.randrange(0, 24))).isoformat(),
            "reporter_name": _person(rng), "workers_affected": workers, "no_union": not ent.has_union,
        }
        # A signal reports what was seen — mostly one concern, its description matching its indicators;
        # arrears now and then come with unpaid social insurance.
        if concern == "arrears":
            months = _weighted(rng, ARREARS_MONTHS_DEMO)[0]
            data["wage_arrears_months"] = months
            data["wage_arrears_amount"] = (months * workers * rng.randrange(40, 90) * 100).quantize(Decimal(1))
            data["description"] = f"{workers}名职工反映企业拖欠工资约{months}个月"
            if rng.random() < 0.2:
                data["social_insurance_unpaid_months"] = rng.choice((1, 2, 3))
        elif concern == "social_insurance":
            data["social_insurance_unpaid_months"] = rng.choice((1, 2, 3, 6, 12))
            data["description"] = "职工反映企业未足额缴纳社会保险"
        elif concern == "layoffs":
            data["planned_layoffs"] = rng.choice((10, 20, 30, 60))
            data["description"] = "企业经营困难，拟裁减人员"
        elif concern == "relocation":
            data["relocation"] = True
            data["description"] = "企业拟搬迁，职工担心安置"
        else:
            data["excessive_overtime"] = True
            data["description"] = "多名职工反映长期超时加班"
        signal, _ = signals.record_signal(s, actor=body.clerk, data=data)
        if i % 6 == 0:
            signals.convert_to_case(s, actor=body.clerk, signal_id=signal.id, env=seeder.live_env)
            converted += 1
    seeder.progress(f"风险信息120条，其中{converted}条已转为案件")


def seed_demo(
    session: Session,
    *,
    cases: int = 2400,
    enterprises: int = 240,
    seed: int = 20261125,
    progress: Callable[[str], None] | None = None,
    today: dt.date | None = None,
) -> str:
    """Create the demo installation; returns a summary line (Chinese)."""
    say = progress or (lambda _m: None)
    t0 = time.monotonic()
    seeder = _Seeder(session, seed, today or china_today(), say)
    seeder.build_tree()
    seeder.build_enterprises(max(enterprises, len(seeder.bodies)))
    say(f"组织{len(seeder.bodies)}个调解组织、{len(seeder.enterprises)}家企业、{len(seeder.users)}名用户")
    # Every target at least once (even for small seeds), then by weight.
    targets = [t for t, _ in TARGETS]
    rest = max(cases - len(targets), 0)
    targets += seeder.rng.choices([t for t, _ in TARGETS], weights=[w for _, w in TARGETS], k=rest)
    seeder.rng.shuffle(targets)
    failures = 0
    for i, target in enumerate(targets[:max(cases, len(TARGETS))], 1):
        try:
            seeder.one_case(target)
        except DomainError as exc:  # a generated path the rules refuse: skip it, but say so
            failures += 1
            if failures <= 5:
                say(f"  跳过一件（{target}）：{exc.detail}")
        if i % 300 == 0:
            say(f"已生成{i}件案件")
    _sweep(seeder)
    _risk_picture(seeder)
    states = Counter(session.scalars(select(Case.status)).all())
    summary = "，".join(f"{k}:{v}" for k, v in sorted(states.items()))
    return (f"演示数据完成（{time.monotonic() - t0:.0f}秒）：{sum(states.values())}件案件（{summary}）；"
            f"用户密码 {DEMO_PASSWORD}，如 admin、sup_jiaxing、sup_nanhu、med_dongshan1、clerk_dongshan")


@click.command("seed-demo", help="生成演示数据（真实行政区划、园区、企业、各状态案件、各角色用户）")
@click.option("--cases", default=2400, show_default=True)
@click.option("--enterprises", default=240, show_default=True)
@click.option("--seed", default=20261125, show_default=True)
@click.option("--if-empty", is_flag=True, help="数据库已有案件时跳过")
def seed_demo_command(cases: int, enterprises: int, seed: int, if_empty: bool) -> None:
    from mediation.db.models import Case

    eng = engine()
    with Session(eng) as s:
        if if_empty and (s.scalar(select(func.count()).select_from(Case)) or 0) > 0:
            click.echo("已有案件，跳过演示数据")
            return
        summary = seed_demo(s, cases=cases, enterprises=enterprises, seed=seed, progress=click.echo)
    click.echo(summary)
