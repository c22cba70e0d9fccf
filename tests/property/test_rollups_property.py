"""Property: whatever stream of case events, signals and rule changes arrives, the derived tables kept
incrementally (per-case facts, rollups, enterprise counters, enterprise levels) equal a recomputation
from the base tables.

The world has two organisation trees so that every kind of rollup scope is exercised: the standard
city → county → township tree (city scope only) and a province → city → township tree (province and city
scopes); enterprises with a park, without one, and without any region; cases without an enterprise.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mediation.accounts.organisations import create_organisation
from mediation.accounts.users import actor_for, create_user
from mediation.cases import service as svc
from mediation.cases.sweep import run_sweep
from mediation.db.models import Case, Enterprise
from mediation.db.models_risk import EnterpriseRisk, RiskAlert, RiskFactDelta, RiskSignal
from mediation.domain.clock import china_instant, china_today
from mediation.domain.errors import DomainError
from mediation.domain.policy import Actor
from mediation.risk import alerts, facts, fold, maintenance, rulesets, scoring, signals
from mediation.risk.rules import DEFAULT_RULES_JSON
from tests.factories import PASSWORD, PASSWORD_HASH, World, agreement_payload, application, build_world, session_payload

START = china_today() - dt.timedelta(days=120)


PATHS: dict[str, list[str]] = {
    "agreement": ["begin_triage", "register_application", "accept", "record_session", "sign_agreement",
                  "record_performance", "confirm_performed", "close"],
    "settlement": ["begin_triage", "start_negotiation", "settle", "record_performance", "confirm_performed", "close"],
    "failure": ["begin_triage", "register_application", "accept", "record_session", "terminate", "refer", "close"],
    "default": ["register_application", "accept", "sign_agreement", "report_non_performance", "refer", "close"],
}


class Extra:
    """The second tree and the extra enterprises."""

    def __init__(self, db: Session, world: World) -> None:
        prov = create_organisation(db, name="浙江省总工会", kind="federation", level="province", region_code="330000")
        hz = create_organisation(db, name="杭州市总工会", kind="federation", level="city", parent=prov,
                                 region_code="330100")
        street = create_organisation(db, name="西湖区某街道调解委员会", kind="township_mediation", level="township",
                                     parent=hz, region_code="330106", doc_prefix="西湖")
        self.orgs = [world.township, world.other_county, street, prov]
        self.org_ids = [o.id for o in self.orgs]
        self.mediator = create_user(db, username="hz_med", password=PASSWORD, display_name="杭州调解员",
                                    role="mediator", organisation_id=street.id, commit=False,
                                    password_hash=PASSWORD_HASH)
        self.supervisor = create_user(db, username="prov_sup", password=PASSWORD, display_name="省督导",
                                      role="supervisor", organisation_id=prov.id, commit=False,
                                      password_hash=PASSWORD_HASH)
        hz_ent = Enterprise(name="杭州某电子厂", industry="C", ownership="foreign_invested", region_code="330106",
                            has_union=True)
        loose = Enterprise(name="无地区信息的建筑公司", industry="E", ownership="private")
        db.add_all([hz_ent, loose])
        db.commit()
        self.enterprises: list[int | None] = [world.enterprise.id, hz_ent.id, loose.id, None]
        self.actors = {world.township.id: actor_for(world.mediator), world.other_county.id: actor_for(world.outsider),
                       street.id: actor_for(self.mediator), prov.id: actor_for(self.supervisor)}
        #: a supervisor above each organisation (handles its signals and alerts)
        self.overseers = {world.township.id: actor_for(world.supervisor),
                          world.other_county.id: actor_for(world.city_supervisor),
                          street.id: actor_for(self.supervisor), prov.id: actor_for(self.supervisor)}
        self.admin = actor_for(world.admin)


def at_of(day: dt.date, hour: int = 10) -> dt.datetime:
    return china_instant(day, dt.time(hour))


class Streams(RuleBasedStateMachine):
    """Each example runs in its own savepoint on the test's connection and is rolled back afterwards, so
    examples are independent (and a failing one can be replayed)."""

    outer: Session
    world: World
    extra: Extra

    cases = Bundle("cases")
    sigs = Bundle("signals")

    def __init__(self) -> None:
        super().__init__()
        self.today = START
        self.steps = 0
        conn = self.outer.connection()
        self.savepoint = conn.begin_nested()
        self.db = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        self.scopes: Any = None

    @initialize()
    def start(self) -> None:
        self.today = START

    def _at(self) -> dt.datetime:
        self.steps += 1
        return at_of(self.today) + dt.timedelta(minutes=self.steps)

    def _actor_for_org(self, org_id: int) -> Actor:
        return self.extra.actors[org_id]

    @rule(target=cases, org=st.integers(0, 2), ent=st.integers(0, 3),
          workers=st.sampled_from([1, 1, 3, 12, 40]), start=st.sampled_from(["reported", "applied", "negotiating"]),
          category=st.sampled_from(["remuneration", "contract", "dismissal", "hours_leave_insurance"]),
          amount=st.sampled_from([None, "0.01", "2500.50", "180000.00"]), days=st.integers(0, 3))
    def create_case(self, org: int, ent: int, workers: int, start: str, category: str, amount: str | None,
                    days: int) -> int:
        self.today += dt.timedelta(days=days)
        o = self.extra.org_ids[org]
        parties = application(self.world)["parties"]
        if workers >= 10:
            parties = [*parties, {"role": "representative", "name": "代表甲"}]
        data = application(self.world, organisation_id=o, enterprise_id=self.extra.enterprises[ent],
                           workers_count=workers, initial_state=start, category=category, parties=parties,
                           source="screening" if start == "reported" else "walk_in_written",
                           claims=[] if amount is None else [{"claim_type": "wages", "amount": amount}],
                           dispute_arose_on=None)
        case = svc.create_case(self.db, actor=self._actor_for_org(o), data=data, today=self.today, at=self._at(),
                               env=self.world.env)
        return case.id

    @rule(case_id=cases, steps=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 8), st.booleans()),
                                        min_size=1, max_size=8))
    def fire(self, case_id: int, steps: list[tuple[int, int, bool]]) -> None:
        """A run of events, each one of those possible from the case's current state (guards may still
        refuse it)."""
        for pick, days, full in steps:
            self._fire_one(case_id, pick, days, full)

    @rule(case_id=cases, path=st.sampled_from(sorted(PATHS)), length=st.integers(1, 8), days=st.integers(0, 4))
    def follow(self, case_id: int, path: str, length: int, days: int) -> None:
        """A realistic stretch of a lifecycle (so that agreements, performance, failures and overdue clocks
        occur often), from wherever the case is: events not possible now are skipped."""
        for event in PATHS[path][:length]:
            self._fire_one(case_id, 0, days, True, event)

    def _fire_one(self, case_id: int, pick: int, days: int, full: bool, event: str | None = None) -> None:
        self.today += dt.timedelta(days=days)
        case = self.db.get(Case, case_id)
        assert case is not None
        actor = self._actor_for_org(case.organisation_id)
        options = [o.event for o in svc.available_events(self.db, case=case, actor=actor, today=self.today,
                                                         env=self.world.env)
                   if o.role_allowed]
        if event is None and options:
            event = options[pick % len(options)]
        if event is None or event not in options:
            return
        pending = [o for a in case.agreements for o in a.obligations if o.status != "performed"]
        payload: dict[str, Any] = {
            "accept": {"respondent_consents": True},
            "reject": {"reason_code": "respondent_refuses", "reason": "对方拒绝调解"},
            "record_session": {**session_payload(), "started_at": at_of(self.today, 9).isoformat()},
            "extend": {"worker_agrees": True, "employer_agrees": True, "days": 3},
            "sign_agreement": agreement_payload(self.today, "9000.00"),
            "settle": agreement_payload(self.today, "1200.00"),
            "terminate": {"end_reason": "failed", "reason": "调解不成"},
            "record_performance": ({"obligation_id": pending[0].id, "performed_on": self.today.isoformat(),
                                    "amount": str(pending[0].outstanding) if full else "100.00", "proof": "回单"}
                                   if pending else {}),
            "request_review": {"review_kind": "judicial_confirmation"},
            "withdraw": {"reason": "撤回"},
            "dismiss": {"reason": "已化解"},
        }.get(event, {})
        try:
            svc.fire_event(self.db, case_id=case_id, event=event, actor=actor, payload=payload, today=self.today,
                           at=self._at(), env=self.world.env)
        except DomainError:
            pass

    @rule(target=sigs, org=st.integers(0, 3), ent=st.integers(0, 2),
          arrears=st.sampled_from([None, "0.5", "1", "2.5"]), workers=st.sampled_from([0, 12, 120]),
          flags=st.sets(st.sampled_from(["relocation", "closure", "excessive_overtime", "no_union"]), max_size=2),
          days=st.integers(0, 3))
    def record_signal(self, org: int, ent: int, arrears: str | None, workers: int, flags: set[str],
                      days: int) -> int:
        self.today += dt.timedelta(days=days)
        o = self.extra.org_ids[org]
        data: dict[str, Any] = {"enterprise_id": self.extra.enterprises[ent], "organisation_id": o,
                                "source": "hotline_12351", "workers_affected": workers, "wage_arrears_months": arrears,
                                **dict.fromkeys(flags, True)}
        s, _ = signals.record_signal(self.db, actor=self._actor_for_org(o), data=data, at=self._at())
        return s.id

    @rule(sig=sigs, action=st.sampled_from(["resolve", "dismiss", "convert", "attach"]))
    def handle_signal(self, sig: int, action: str) -> None:
        s = self.db.get(RiskSignal, sig)
        assert s is not None
        actor = self.extra.overseers[s.organisation_id]
        try:
            if action in ("resolve", "dismiss"):
                signals.resolve(self.db, actor=actor, signal_id=sig,
                                data={"outcome": "resolved" if action == "resolve" else "dismissed", "note": "核实"},
                                at=self._at())
            elif action == "convert":
                signals.convert_to_case(self.db, actor=actor, signal_id=sig, today=self.today, at=self._at(),
                                        env=self.world.env)
            else:
                case_id = self.db.scalar(select(Case.id).where(Case.enterprise_id == s.enterprise_id).limit(1))
                if case_id is not None:
                    signals.attach_to_case(self.db, actor=actor, signal_id=sig, data={"case_id": case_id})
        except DomainError:
            pass

    @rule(which=st.integers(0, 5))
    def report_alert(self, which: int) -> None:
        rows = self.db.execute(select(RiskAlert.id, RiskAlert.organisation_id).where(RiskAlert.status == "open")
                               .order_by(RiskAlert.id)).all()
        if rows:
            alert_id, org_id = rows[which % len(rows)]
            alerts.report(self.db, actor=self.extra.overseers[org_id], alert_id=alert_id,
                          data={"actions": "已约谈企业"}, at=self._at())

    @rule(days=st.integers(1, 20))
    def sweep(self, days: int) -> None:
        self.today += dt.timedelta(days=days)
        conn = self.outer.connection()
        run_sweep(lambda: Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False),
                  today=self.today, env=self.world.env)

    @precondition(lambda self: self.steps > 0)
    @rule(orange=st.sampled_from([35, 50, 65]), collective=st.sampled_from([10, 20]))
    def change_rules(self, orange: int, collective: int) -> None:
        data = copy.deepcopy(dict(DEFAULT_RULES_JSON))
        data["levels"] = {"blue": 10, "yellow": 20, "orange": orange, "red": 75}
        data["collective_threshold"] = collective
        # two trees side by side: no administrator of either is national; the rules are the system's to change
        rulesets.save_version(self.db, actor=Actor.system(), data={"rules": data, "note": "试行"}, at=self._at())

    @invariant()
    def facts_equal_recomputation(self) -> None:
        stored = set(facts.load_facts(self.db))
        expected = {facts.Fact(*r) for r in self.db.execute(facts.facts_select(scope_table=self._scopes())).all()}
        assert stored == expected, (stored - expected, expected - stored)

    def _scopes(self) -> Any:
        if self.scopes is None:
            self.scopes = maintenance.scope_table(self.db, "risk_tmp_prop_scopes")
        return self.scopes

    def verify_all(self) -> None:
        """Facts, every rollup row and every enterprise counter (at the end of each stream: a wrong delta
        written to a rollup stays wrong, since rollups are only ever changed by deltas)."""
        report = maintenance.verify(self.db)
        assert report.ok, (report.text(), report.facts_diff, report.rollups_missing, report.rollups_extra,
                           report.counters_missing, report.counters_extra)

    def teardown(self) -> None:
        try:
            if self.steps:
                self.verify_all()
                # Levels kept incrementally equal a full re-assessment at the end of the stream.
                before = {r.enterprise_id: (r.level, r.score) for r in self.db.scalars(select(EnterpriseRisk))}
                summary = scoring.rescore_all(self.db, at=at_of(self.today, 23), reason="rescore",
                                              raise_alerts=False)
                after = {r.enterprise_id: (r.level, r.score) for r in self.db.scalars(select(EnterpriseRisk))}
                assert summary.changed == 0 and before == after, (before, after)
        finally:
            self.db.close()
            self.savepoint.rollback()


def test_random_event_streams_keep_derived_tables_equal_to_a_recomputation(db: Session) -> None:
    Streams.outer = db
    Streams.world = build_world(db)
    Streams.extra = Extra(db, Streams.world)
    run_state_machine_as_test(
        Streams,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )


def _derived(db: Session) -> tuple[Any, Any]:
    from mediation.db.models_risk import EnterpriseScopeStats, RiskRollup

    rollups = sorted(tuple(r) for r in db.execute(select(RiskRollup.__table__)).all())
    stats = sorted(tuple(r) for r in db.execute(select(EnterpriseScopeStats.__table__)).all())
    return rollups, stats


class DeferredStreams(Streams):
    """The same streams with the fold off the events' transactions (as the workers run it on PostgreSQL): the
    deltas wait, and are folded at random moments — a random subset in a random order, a fold rolled back half
    way (a killed worker) and run again, a fold run twice — and the tables still equal a recomputation."""

    def __init__(self) -> None:
        super().__init__()
        self.db.info[facts.FOLD_BY_WORKER] = True

    @precondition(lambda self: self.steps > 0)
    @rule(data=st.data())
    def fold_some_in_any_order(self, data: st.DataObject) -> None:
        rows = self.db.execute(select(RiskFactDelta.id, RiskFactDelta.kind, RiskFactDelta.enterprise_id,
                                      RiskFactDelta.changes)).all()
        if not rows:
            return
        chosen = data.draw(st.permutations(rows)).copy()[: data.draw(st.integers(1, len(rows)))]
        for r in chosen:  # one by one, in the drawn order
            fold.apply_deltas(self.db, [(r.kind, r.enterprise_id, r.changes)])
            self.db.execute(delete(RiskFactDelta).where(RiskFactDelta.id == r.id))
        self.db.commit()

    @precondition(lambda self: self.steps > 0)
    @rule()
    def fold_killed_then_again_and_twice(self) -> None:
        waiting = fold.pending(self.db)
        before = _derived(self.db)
        nested = self.db.begin_nested()
        assert fold.fold_all(self.db) == waiting
        nested.rollback()  # the worker died before its commit: nothing it wrote stays
        assert fold.pending(self.db) == waiting and _derived(self.db) == before
        assert fold.fold_all(self.db) == waiting
        after = _derived(self.db)
        assert fold.fold_all(self.db) == 0 and _derived(self.db) == after  # a second fold changes nothing
        self.db.commit()
        nested = self.db.begin_nested()
        report = maintenance.verify(self.db)  # nothing waits now: the stored tables alone are exact
        nested.rollback()
        assert report.ok and report.deltas_folded == 0, report.text()


def test_deltas_folded_in_any_order_and_twice_equal_a_recomputation(db: Session) -> None:
    DeferredStreams.outer = db
    DeferredStreams.world = build_world(db)
    DeferredStreams.extra = Extra(db, DeferredStreams.world)
    run_state_machine_as_test(
        DeferredStreams,
        settings=settings(max_examples=15, stateful_step_count=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
