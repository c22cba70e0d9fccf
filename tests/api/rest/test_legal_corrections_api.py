"""The legal corrections over HTTP: committee policies, the limitation rule and the collective note on the case,
the 已告知申请仲裁 state, and problem details that name the missing box with a short citation."""

from __future__ import annotations

from typing import Any

from tests.factories import World, application
from tests.fixtures import Api
from tests.mediation.domain.test_legal_basis import offending


def _create(api: Api, world: World, **over: Any) -> dict[str, Any]:
    r = api.as_(world.clerk).post("/api/v1/cases/", json=application(world, **over))
    assert r.status_code == 201, r.json
    return r.json


def _fire(api: Api, user: Any, case: dict[str, Any], event: str, payload: dict[str, Any] | None = None) -> Any:
    return api.as_(user).post(f"/api/v1/cases/{case['id']}/transitions",
                              json={"event": event, "payload": payload or {}},
                              headers={"If-Match": f'"{case["version"]}"'})


def test_committee_policies_are_set_by_supervisors_and_validated(api: Api, world: World) -> None:
    url = f"/api/v1/organisations/{world.township.id}/policy"
    r = api.as_(world.mediator).patch(url, json={"extension_cap_days": 15})
    assert r.status_code == 403 and r.mimetype == "application/problem+json"
    r = api.as_(world.supervisor).patch(url, json={"extension_cap_days": 0, "own_rules_basis": "本会规则"})
    assert r.status_code == 422
    assert set(r.json["errors"]) == {"extension_cap_days", "own_rules_basis"}
    assert "第十条" in r.json["errors"]["own_rules_basis"][0]
    r = api.as_(world.supervisor).patch(url, json={"collective_reps_practice": 1})
    assert r.status_code == 422 and "collective_reps_practice" in r.json["errors"]
    r = api.as_(world.supervisor).patch(url, json={"extension_cap_days": 15, "collective_reps_practice": False,
                                                   "own_rules_basis": "《东栅街道劳动争议调解工作规则》第十条"})
    assert r.status_code == 200, r.json
    assert (r.json["extension_cap_days"], r.json["collective_reps_practice"], r.json["own_rules_basis"]) == (
        15, False, "《东栅街道劳动争议调解工作规则》第十条")
    r = api.as_(world.outsider).patch(url, json={"extension_cap_days": 15})
    assert r.status_code == 404
    # the cap is now the committee's rule, and says so
    case = _create(api, world)
    case = _fire(api, world.mediator, case, "accept", {"respondent_consents": True}).json
    r = _fire(api, world.mediator, case, "extend", {"worker_agrees": True, "employer_agrees": True, "days": 20})
    assert r.status_code == 422 and r.json["blockers"][0]["guard"] == "extension_within_cap"
    assert "按本会规定，延长调解期限累计不超过15日" in r.json["detail"] and "法律未规定延长上限" in r.json["detail"]
    # null removes it again (off is the default)
    r = api.as_(world.supervisor).patch(url, json={"extension_cap_days": None})
    assert r.status_code == 200 and r.json["extension_cap_days"] is None


def test_the_case_shows_the_limitation_rule_and_the_collective_note(api: Api, world: World) -> None:
    case = _create(api, world, received_on="2025-09-28", dispute_arose_on="2025-09-01", workers_count=12,
                   common_claim="")
    assert case["is_collective"] is False
    assert case["collective_note"].startswith("涉及12名劳动者，但未登记共同请求，不属于调解仲裁法第七条规定的集体争议")
    lim = case["limitation"]
    assert (lim["since"], lim["due_on"]) == ("2025-09-28", "2026-09-28")
    assert lim["basis"] == ("《中华人民共和国劳动争议调解仲裁法》第二十七条第二款、"
                            "《劳动人事争议仲裁办案规则》第二十七条第一项")
    assert lim["text"].startswith("仲裁时效自2025年9月28日起计算（依据：")
    r = _fire(api, world.mediator, case, "suspend_limitation", {"suspended_on": "2025-10-01", "reason": "台风"})
    assert r.status_code == 200, r.json
    assert r.json["limitation"]["suspended_on"] == "2025-10-01"
    assert "自2025年10月1日起中止" in r.json["limitation"]["text"]


def test_referred_reads_as_told_of_the_right_to_arbitrate(api: Api, world: World) -> None:
    case = _create(api, world)
    case = _fire(api, world.mediator, case, "reject", {"reason_code": "out_of_scope", "reason": "不属于"}).json
    case = _fire(api, world.mediator, case, "refer", {}).json
    assert case["status"] == "referred" and case["status_label"] == "已告知申请仲裁"
    wf = api.as_(world.mediator).get("/api/v1/workflows/3").json
    refer = next(t for t in wf["transitions"] if t["event"] == "refer")
    assert refer["label"] == "告知申请仲裁" and "当事人书面申请" in refer["description"]
    assert "移送仲裁" not in str(wf)


def test_problem_details_name_the_box_and_carry_no_marker(api: Api, world: World) -> None:
    world.township.kind = "enterprise_committee"
    api.db.commit()
    case = _create(api, world)
    r = _fire(api, world.mediator, case, "accept")
    assert r.status_code == 422
    assert r.json["blockers"][0]["reason"] == (
        "未勾选“被申请人同意调解”：须先确认对方当事人同意调解（企业劳动争议协商调解规定第二十二条）")
    case = _fire(api, world.mediator, case, "accept", {"respondent_consents": True}).json
    r = _fire(api, world.mediator, case, "sign_agreement", {"terms": "x", "signed_by_parties": True,
                                                            "signed_by_mediator": True})
    assert r.status_code == 422
    assert "未勾选“已加盖调解组织印章”" in r.json["blockers"][0]["reason"]
    assert "（调解仲裁法第十四条）" in r.json["blockers"][0]["reason"]
    assert offending(str(r.json)) == []
