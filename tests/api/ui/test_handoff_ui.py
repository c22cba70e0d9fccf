"""The case page's 移交材料 section and the supervisors' bulk forms, through the web UI (Flask's client)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediation.db.models import Case, CaseEvent
from mediation.db.models_risk import RiskAlert
from mediation.domain.clock import china_today
from tests.api.ui.test_ui_pages import login, text_of
from tests.factories import World, drive, new_case

TODAY = china_today()


def test_handoff_section_make_dispatch_and_errors_beside_their_fields(
        client: FlaskClient, db: Session, world: World) -> None:
    case = drive(db, world, new_case(db, world, TODAY), TODAY, "accept", "record_session", "terminate")
    token = login(client, world.mediator.username)
    page = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert f'hx-get="/ui/cases/{case.id}/handoff"' in page
    section = client.get(f"/ui/cases/{case.id}/handoff").get_data(as_text=True)
    assert "申请仲裁材料" in section and "可以制作" in section and "制作移交材料" in section
    r = client.post(f"/ui/cases/{case.id}/handoff/packages", headers={"HX-Request": "true"},
                    data={"csrf_token": token, "kind": "referral", "addressee": "南湖区劳动人事争议仲裁委员会"})
    assert r.status_code == 200 and r.headers["HX-Refresh"] == "true"
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert "已制作申请仲裁材料" in html  # the flash, on the page reloaded
    html = client.get(f"/ui/cases/{case.id}/handoff").get_data(as_text=True)
    assert "下载 ZIP" in html and "合并打印版" in html
    pid = db.scalar(select(CaseEvent.payload).where(CaseEvent.case_id == case.id,
                                                    CaseEvent.event == "handoff_built"))["package_id"]
    # a dispatch without its method: the section again, the error beside the field, nothing written
    r = client.post(f"/ui/cases/{case.id}/handoff/packages/{pid}/dispatch", headers={"HX-Request": "true"},
                    data={"csrf_token": token, "dispatched_to": "南湖区劳动人事争议仲裁委员会", "method": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-error-for="method"' in html and "aria-invalid" in html
    db.expire_all()
    assert db.get(Case, case.id).status == "terminated"  # type: ignore[union-attr]
    r = client.post(f"/ui/cases/{case.id}/handoff/packages/{pid}/dispatch", headers={"HX-Request": "true"},
                    data={"csrf_token": token, "dispatched_to": "南湖区劳动人事争议仲裁委员会", "method": "post",
                          "tracking_number": "EMS1"})
    assert r.status_code == 200 and r.headers["HX-Refresh"] == "true"
    db.expire_all()
    assert db.get(Case, case.id).status == "referred"  # type: ignore[union-attr]
    assert "已登记送达" in client.get(f"/ui/cases/{case.id}").get_data(as_text=True)


def test_case_list_bulk_reassign_lists_refusals(client: FlaskClient, db: Session, world: World) -> None:
    a = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    b = drive(db, world, new_case(db, world, TODAY), TODAY, "accept")
    token = login(client, world.supervisor.username)
    page = client.get("/ui/cases").get_data(as_text=True)
    assert 'form="bulk-reassign"' in page and "批量改派主办调解员" in page
    r = client.post("/ui/cases/bulk/reassign", data={"csrf_token": token, "case_ids": [str(a.id), str(b.id), "999999"],
                                                     "mediator_id": str(world.mediator2.id), "reason": "调岗"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已改派2件" in text_of(html) and 'data-case="999999"' in html
    db.expire_all()
    assert {db.get(Case, i).lead_mediator_id for i in (a.id, b.id)} == {world.mediator2.id}  # type: ignore[union-attr]
    # a mediator gets no bulk form, and is refused
    token = login(client, world.mediator.username)
    assert 'form="bulk-reassign"' not in client.get("/ui/cases").get_data(as_text=True)
    r = client.post("/ui/cases/bulk/reassign", data={"csrf_token": token, "case_ids": [str(a.id)],
                                                     "mediator_id": str(world.mediator.id)})
    assert r.status_code == 302
    db.expire_all()
    assert db.get(Case, a.id).lead_mediator_id == world.mediator2.id  # type: ignore[union-attr]


def test_alerts_bulk_acknowledge_needs_a_note(client: FlaskClient, db: Session, world: World) -> None:
    new_case(db, world, TODAY, workers_count=12, title="十二名职工追索工资")
    ids = [str(i) for i in db.scalars(select(RiskAlert.id)).all()]
    token = login(client, world.supervisor.username)
    assert 'form="bulk-ack"' in client.get("/ui/alerts").get_data(as_text=True)
    r = client.post("/ui/alerts/bulk/acknowledge", data={"csrf_token": token, "alert_ids": ids, "note": ""},
                    follow_redirects=True)
    assert "请填写签收意见" in r.get_data(as_text=True)
    assert {a.status for a in db.scalars(select(RiskAlert)).all()} == {"open"}
    r = client.post("/ui/alerts/bulk/acknowledge", data={"csrf_token": token, "alert_ids": ids, "note": "统一签收"},
                    follow_redirects=True)
    assert f"已批量签收{len(ids)}条预警" in r.get_data(as_text=True)
    db.expire_all()
    assert {a.status for a in db.scalars(select(RiskAlert)).all()} == {"acknowledged"}
