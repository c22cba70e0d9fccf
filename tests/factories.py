"""Test data built through the real services (so tests exercise the same paths as users).

The world carries the service environment its cases are built with (``world.env``): the ``env`` fixture of
``tests/fixtures.py`` (the wiring's observers; documents when the test asks for ``producer``), or, for code that
builds a world outside a fixture (benchmarks, tests on their own engine), :func:`standard_env`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from mediation.accounts.organisations import create_organisation
from mediation.accounts.users import actor_for, create_user
from mediation.cases import service as case_service
from mediation.db.models import Case, Enterprise, Organisation, Park, User
from mediation.domain.policy import Actor
from mediation.runtime.env import ServiceEnv, load_calendar
from mediation.wiring import OBSERVERS

# Hashing with argon2's defaults takes ~50 ms; tests use one precomputed hash.
PASSWORD = "correct-horse-battery"
PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)

WORKER_ID = "330402199003070015"  # check digit valid (GB 11643)
EMPLOYER_USCC = "91330402MA2BXXXXXX"


@dataclass
class World:
    city: Organisation
    county: Organisation
    township: Organisation
    other_county: Organisation
    park: Park
    enterprise: Enterprise
    clerk: User
    mediator: User
    mediator2: User
    supervisor: User
    city_supervisor: User
    admin: User
    outsider: User
    #: What the factories' services run with.
    env: ServiceEnv = field(repr=False, kw_only=True)

    def actor(self, user: User) -> Actor:
        return actor_for(user)


def standard_env(session: Session, *, documents: Any = None) -> ServiceEnv:
    """The environment tests run the services with: as wired in production (the risk observer), with the
    calendar of the test's database; documents only with a producer."""
    return ServiceEnv(calendar=load_calendar(session), observers=OBSERVERS, documents=documents)


def build_world(session: Session, tag: str = "", *, env: ServiceEnv | None = None) -> World:
    city = create_organisation(session, name=f"嘉兴市总工会{tag}", kind="federation", level="city",
                               region_code="330400", doc_prefix="嘉")
    county = create_organisation(session, name=f"南湖区总工会{tag}", kind="federation", level="county",
                                 parent=city, region_code="330402", doc_prefix="南湖")
    township = create_organisation(session, name=f"东栅街道劳动争议调解委员会{tag}", kind="township_mediation",
                                   level="township", parent=county, region_code="330402", doc_prefix="东栅")
    other = create_organisation(session, name=f"秀洲区总工会{tag}", kind="federation", level="county",
                                parent=city, region_code="330411", doc_prefix="秀洲")
    park = Park(name=f"嘉兴经济技术开发区{tag}", kind="development_zone", region_code="330402")
    session.add(park)
    session.flush()
    ent = Enterprise(name=f"嘉兴市南湖精密机械有限公司{tag}", uscc=None, industry="C", ownership="private",
                     size="small", employees=120, legal_representative="王建国", park_id=park.id,
                     region_code="330402", address="嘉兴市南湖区东栅街道工业路18号")
    session.add(ent)
    session.flush()

    def user(name: str, role: str, org: Organisation) -> User:
        return create_user(session, username=f"{name}{tag}", password=PASSWORD, display_name=name, role=role,
                           organisation_id=org.id, commit=False, password_hash=PASSWORD_HASH)

    w = World(
        city=city, county=county, township=township, other_county=other, park=park, enterprise=ent,
        clerk=user("clerk", "clerk", township),
        mediator=user("mediator", "mediator", township),
        mediator2=user("mediator2", "mediator", township),
        supervisor=user("supervisor", "supervisor", county),
        city_supervisor=user("citysup", "supervisor", city),
        admin=user("admin", "admin", city),
        outsider=user("outsider", "mediator", other),
        env=env or standard_env(session),
    )
    session.commit()
    return w


def application(world: World, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "张三诉南湖精密机械拖欠工资",
        "category": "remuneration",
        "source": "walk_in_written",
        "organisation_id": world.township.id,
        "enterprise_id": world.enterprise.id,
        "workers_count": 1,
        "facts": "申请人于2023年3月入职，2025年7月至9月工资未发放。",
        "requests": "支付拖欠工资24,000元。",
        "dispute_arose_on": "2025-09-01",
        "parties": [
            {"role": "worker", "name": "张三", "gender": "male", "id_number": WORKER_ID, "phone": "13812345678",
             "address": "嘉兴市南湖区建国路1号", "job_title": "车工", "hired_on": "2023-03-01"},
            {"role": "employer", "name": world.enterprise.name, "legal_representative": "王建国",
             "address": "嘉兴市南湖区东栅街道工业路18号"},
        ],
        "claims": [{"claim_type": "wages", "description": "2025年7-9月工资", "amount": "24000.00"}],
    }
    data.update(overrides)
    if data["workers_count"] >= 10 and "common_claim" not in overrides:
        # LDMAL art. 7: ten or more workers *with a common claim* make a collective dispute
        data["common_claim"] = "支付拖欠的2025年7月至9月工资"
    return data


def agreement_payload(today: dt.date, amount: str = "24000.00") -> dict[str, Any]:
    return {
        "terms": "被申请人同意支付申请人2025年7月至9月工资。",
        "performance_method": "银行转账",
        "obligations": [
            {"description": "支付2025年7-9月工资", "claim_type": "wages", "amount": amount,
             "due_on": (today + dt.timedelta(days=10)).isoformat()},
        ],
        "signed_by_parties": True,
        "signed_by_mediator": True,
        "sealed": True,
    }


def session_payload() -> dict[str, Any]:
    return {
        "started_at": "2025-10-20T09:00:00+08:00",
        "place": "东栅街道调解室",
        "attendees": ["张三", "王建国"],
        "record": "双方陈述意见，经调解达成初步一致。",
    }


def new_case(session: Session, world: World, today: dt.date, **overrides: Any) -> Case:
    return case_service.create_case(session, actor=world.actor(world.clerk), data=application(world, **overrides),
                                    env=world.env, today=today)


def drive(session: Session, world: World, case: Case, today: dt.date, *events: str) -> Case:
    """Fire a sequence of events with sensible payloads."""
    payloads: dict[str, dict[str, Any]] = {
        "accept": {"respondent_consents": True, "mediator_id": world.mediator.id},
        "record_session": session_payload(),
        "sign_agreement": agreement_payload(today),
        "settle": agreement_payload(today),
        "terminate": {"end_reason": "failed", "reason": "双方分歧较大，调解不成"},
        "reject": {"reason_code": "out_of_scope", "reason": "不属于受理范围"},
        "withdraw": {"reason": "申请人撤回"},
        "dismiss": {"reason": "已自行化解"},
        "extend": {"worker_agrees": True, "employer_agrees": True, "days": 10},
    }
    actor = world.actor(world.mediator)
    for ev in events:
        case = case_service.fire_event(session, case_id=case.id, event=ev, actor=actor,
                                       payload=payloads.get(ev, {}), env=world.env, today=today)
    return case


def money(s: str) -> Decimal:
    return Decimal(s)
