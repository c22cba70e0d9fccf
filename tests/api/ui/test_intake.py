"""Intake: every error in one round and named by its field; the workers of a collective dispute listed row by row,
pasted or imported from Excel (head count derived, common claim required); the employer picked from the user's
area or registered on the spot."""

from __future__ import annotations

import datetime as dt
import io
import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.ui.intake import parse_roster_text, parse_roster_xlsx, row_from_tokens
from mediation.db.models import Case, Enterprise
from mediation.domain.identity import id_check_character
from tests.api.ui.test_ui_pages import TODAY, app, login, text_of  # noqa: F401  (fixture)
from tests.factories import WORKER_ID, World


def _id(n: int) -> str:
    body = f"33040219850101{n:03d}"
    return body + id_check_character(body)


def _summary(html: str) -> list[str]:
    start = html.index('id="form-errors"')
    box = html[start:html.index("</div></div>", start)]
    return [text_of(m).strip() for m in re.findall(r"<li><a href=\"#[^\"]+\">(.*?)</a></li>", box)]


def test_every_error_at_once_each_naming_its_field(client: FlaskClient, world: World) -> None:
    token = login(client, world.clerk.username)
    future = (TODAY + dt.timedelta(days=3)).isoformat()
    r = client.post("/ui/intake", data={"csrf_token": token, "category": "", "worker_name": "   ",
                                        "received_on": future, "worker_phone": "12", "claim_type": "wages",
                                        "claim_amount": "六千"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    items = _summary(html)
    assert "争议类别：请选择争议类别" in items and "申请人姓名：请填写申请人姓名" in items
    assert any(i.startswith("被申请人（用人单位）：请从本辖区已登记的单位中选择") for i in items)
    assert "收到申请日期：日期不能晚于今天" in items  # in the first round, with the others
    assert any(i.startswith("申请人联系电话：") for i in items) and any(i.startswith("请求金额：") for i in items)
    assert "长度" not in html and "1至200" not in html
    assert 'id="f-worker_name"' in html and re.search(r'id="f-worker_name"[^>]*aria-invalid="true"', html)
    assert '<a href="#f-worker_name">' in html


def test_collective_roster_pasted_head_count_derived_and_common_claim(
        client: FlaskClient, db: Session, world: World) -> None:
    token = login(client, world.clerk.username)
    lines = "\n".join(f"工人{i}\t{_id(i)}\t1381234{i:04d}" for i in range(1, 12))
    base = {"csrf_token": token, "category": "remuneration", "worker_name": "张三", "worker_id_number": WORKER_ID,
            "enterprise_id": str(world.enterprise.id), "claim_type": "wages", "claim_amount": "120000",
            "extra_role": ["representative"], "extra_name": ["代表甲"], "extra_id_number": [_id(20)],
            "extra_phone": [""], "roster_text": lines, "workers_unlisted": "3"}
    r = client.post("/ui/intake", data=base)  # 13 listed + 3: collective, but no common claim
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "集体争议请写明全体劳动者的共同请求" in html
    assert html.count('name="extra_name"') >= 12 + 1  # the pasted lines became rows, kept for correction
    r = client.post("/ui/intake", data={**base, "requests": "全体职工共同请求支付2025年7-9月工资"})
    assert r.status_code == 302, r.get_data(as_text=True)
    case = db.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case is not None and case.workers_count == 1 + 12 + 3 and case.is_collective
    roles = [p.role for p in case.parties]
    assert roles.count("worker") == 12 and roles.count("representative") == 1  # rows default to 劳动者
    assert case.requests == "全体职工共同请求支付2025年7-9月工资"
    html = client.get(f"/ui/cases/{case.id}").get_data(as_text=True)
    assert "劳动者代表" in html and "职工代表" not in html


def test_roster_rows_are_checked_one_by_one(client: FlaskClient, world: World) -> None:
    token = login(client, world.clerk.username)
    r = client.post("/ui/intake", data={
        "csrf_token": token, "category": "remuneration", "worker_name": "张三", "worker_id_number": WORKER_ID,
        "enterprise_id": str(world.enterprise.id), "extra_role": ["worker", "worker"], "extra_name": ["", "李四"],
        "extra_id_number": ["330402199003070016", WORKER_ID], "extra_phone": ["", ""]})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    items = _summary(html)
    assert "劳动者名单第1行的姓名：请填写姓名" in items
    assert any(i.startswith("劳动者名单第1行的身份证号码：") and "校验位" in i for i in items)
    assert "劳动者名单第2行的身份证号码：与申请人的身份证号码重复" in items
    assert re.search(r'data-row-error="1">第2行：与申请人的身份证号码重复', html)


def test_roster_parsing_text_and_excel() -> None:
    rows = parse_roster_text("姓名,身份证号码,电话\n李四，13812345678，" + WORKER_ID + "\n王五 代表\n\n  ")
    assert [(r.name, r.id_number, r.phone, r.role) for r in rows] == [
        ("李四", WORKER_ID, "13812345678", "worker"), ("王五", "", "", "representative")]
    assert row_from_tokens(["", "  "]) is None
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号码", "联系电话"])
    ws.append(["赵六", WORKER_ID, 13812345678])
    ws.append([None, None, None])
    ws.append(["钱七", None, "0573-82345678"])
    out = io.BytesIO()
    wb.save(out)
    rows = parse_roster_xlsx(out.getvalue())
    assert [(r.name, r.id_number, r.phone) for r in rows] == [("赵六", WORKER_ID, "13812345678"),
                                                              ("钱七", "", "0573-82345678")]


def test_roster_import_endpoint_returns_rows(client: FlaskClient, world: World) -> None:
    token = login(client, world.clerk.username)
    r = client.post("/ui/intake/roster", data={"csrf_token": token, "roster_text": f"李四\t{WORKER_ID}\t13812345678"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'value="李四"' in html and "已导入1人" in html and 'hx-swap-oob="true"' in html
    r = client.post("/ui/intake/roster", data={"csrf_token": token,
                                               "roster_file": (io.BytesIO(b"not a workbook"), "名单.xlsx")},
                    content_type="multipart/form-data")
    assert r.status_code == 200 and "无法读取该文件" in r.get_data(as_text=True)


def test_employer_picker_is_limited_to_the_area_and_a_new_one_is_registered_inline(
        client: FlaskClient, db: Session, world: World) -> None:
    far = Enterprise(name="秀洲远方贸易有限公司", region_code="330411")  # the other district
    near = Enterprise(name="南湖新兴纺织有限公司", region_code="330402")
    db.add_all([far, near])
    db.commit()
    token = login(client, world.clerk.username)
    html = client.get("/ui/enterprises/pick", query_string={"ent_q": "有限公司"}).get_data(as_text=True)
    assert "南湖新兴纺织有限公司" in html and world.enterprise.name in html and "秀洲远方贸易有限公司" not in html
    html = client.get("/ui/enterprises/pick", query_string={"ent_q": "远方"}).get_data(as_text=True)
    assert "本辖区没有名称含“远方”的已登记单位" in html
    data = {"csrf_token": token, "category": "remuneration", "worker_name": "李四", "new_ent_name": "东栅新办五金厂",
            "new_ent_uscc": "9133040212345", "requests": "支付工资"}
    r = client.post("/ui/intake", data=data)  # a bad USCC: named, nothing registered
    assert r.status_code == 422 and "新登记单位的统一社会信用代码" in r.get_data(as_text=True)
    assert db.scalar(select(Enterprise).where(Enterprise.name == "东栅新办五金厂")) is None
    r = client.post("/ui/intake", data={**data, "new_ent_uscc": "", "new_ent_legal_representative": "周八"})
    assert r.status_code == 302, r.get_data(as_text=True)
    ent = db.scalar(select(Enterprise).where(Enterprise.name == "东栅新办五金厂"))
    assert ent is not None and ent.region_code == "330402" and ent.legal_representative == "周八"
    case = db.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case is not None and case.enterprise_id == ent.id
