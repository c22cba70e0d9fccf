"""The citations table (mediation/domain/legal_basis.py) and every user-facing string source: no internal marker
(待核实, TODO) and no "有关规定" without an article may reach a page, a PDF, the API's spec or an error message.
The produced PDFs and problem details are scanned by the flow tests (tests/documents/test_legal_round2.py)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from mediation.domain import legal_basis as lb
from mediation.domain.deadline_rules import DeadlineKind, default_rules

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("api", "mediation", "workflows", "documents")
#: Files whose strings are about markers, not shown to anyone: the migration that rewrites the old basis text of
#: stored rows, the sanitiser of stored text from older versions, and the marker list itself.
NOT_USER_FACING = {
    "mediation/db/migrations/versions/legal_0001_legal_corrections.py",
    "api/ui/wording.py",
}
MARKERS = re.compile(r"待核实|\bTODO\b|\bFIXME\b")
#: "有关规定" is only acceptable when an article follows in the same sentence (…有关规定第…条).
VAGUE = re.compile(r"有关规定(?![^。；]*第[一二三四五六七八九十百零\d]+条)")


def offending(text: str) -> list[str]:
    return [m.group(0) for m in MARKERS.finditer(text)] + [m.group(0) for m in VAGUE.finditer(text)]


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def python_strings() -> list[tuple[str, str]]:
    """Every string constant of the packages that is not a docstring, with its file."""
    out: list[tuple[str, str]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in NOT_USER_FACING:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = _docstring_nodes(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                    out.append((rel, node.value))
    return out


def test_the_scanner_finds_what_it_looks_for() -> None:
    assert offending("《企业劳动争议协商调解规定》（条号待核实）") == ["待核实"]
    assert offending("根据《企业劳动争议协商调解规定》的有关规定，本会决定不予受理。") == ["有关规定"]
    assert offending("TODO: cite") == ["TODO"]
    assert offending("根据《企业劳动争议协商调解规定》第二十二条的规定") == []
    assert offending("向有关部门反映") == []


def test_no_python_string_constant_carries_a_marker() -> None:
    strings = python_strings()
    assert len(strings) > 2000  # the scan really read the packages
    bad = [(f, s[:80]) for f, s in strings if offending(s) and s not in lb.INTERNAL_MARKERS]
    assert bad == []


@pytest.mark.parametrize("folder", ["api/ui/templates", "documents/templates"])
def test_no_template_carries_a_marker(folder: str) -> None:
    templates = sorted((ROOT / folder).rglob("*.html"))
    assert templates
    bad = {t.relative_to(ROOT).as_posix(): offending(t.read_text(encoding="utf-8")) for t in templates}
    assert {k: v for k, v in bad.items() if v} == {}


def test_the_committed_api_spec_carries_no_marker() -> None:
    spec = (ROOT / "api" / "openapi.json").read_text(encoding="utf-8")
    json.loads(spec)
    assert offending(spec) == []


def test_every_rule_of_the_deadline_table_cites_an_article_or_says_it_is_the_committees_practice() -> None:
    rules = default_rules()
    for kind in DeadlineKind:
        source = rules.rule(kind).source
        assert offending(source) == [], kind
        assert re.search(r"第[一二三四五六七八九十百零]+条", source) or source.startswith("本会"), (kind, source)
    # the confirmed articles (docs/domain.md#sources), and the one pair for the arbitration review
    assert rules.rule(DeadlineKind.ACCEPTANCE).source == "《企业劳动争议协商调解规定》第二十二条"
    assert rules.rule(DeadlineKind.MEDIATION_END).source == "《企业劳动争议协商调解规定》第二十九条"
    assert rules.rule(DeadlineKind.ARBITRATION_REVIEW).source == lb.ARBITRATION_REVIEW.full == (
        "《企业劳动争议协商调解规定》第二十七条第二款、《劳动人事争议仲裁办案规则》第七十四条")
    assert all(rules.rule(k).confirmed for k in (DeadlineKind.ACCEPTANCE, DeadlineKind.MEDIATION_END,
                                                  DeadlineKind.ARBITRATION_REVIEW))
    # no statutory cap on extensions (ELDNMP art. 29)
    assert rules.rule(DeadlineKind.MEDIATION_END).max_extension_days is None


def test_citations_name_an_instrument_once_and_read_short_in_refusals() -> None:
    assert lb.COLLECTIVE_REPRESENTATIVES.full == "《劳动人事争议仲裁办案规则》第五条、第六十二条、第六十三条"
    assert lb.COLLECTIVE_REPRESENTATIVES.short == "劳动人事争议仲裁办案规则第五条、第六十二条、第六十三条"
    assert lb.ACCEPTANCE.cite == "（企业劳动争议协商调解规定第二十二条）"
    assert lb.LATE_REVIEW.full == "《劳动人事争议仲裁办案规则》第七十五条第三项"
    assert lb.DEFAULT_WITHOUT_REVIEW.full == "《企业劳动争议协商调解规定》第二十八条"
    assert lb.FAILURE_RECORD.full == "《企业劳动争议协商调解规定》第三十条"


def test_the_refusal_basis_follows_the_organisations_regime() -> None:
    assert lb.refusal_basis("enterprise_committee") is lb.REFUSAL_ENTERPRISE
    assert lb.REFUSAL_ENTERPRISE.full == "《企业劳动争议协商调解规定》第二十二条"
    assert lb.refusal_basis("peoples_mediation") is lb.REFUSAL_PEOPLES
    assert lb.REFUSAL_PEOPLES.full == "《中华人民共和国人民调解法》第十七条"
    assert lb.refusal_basis("township_mediation") is None
    own = lb.refusal_basis("township_mediation", "《东栅街道劳动争议调解工作规则》第十条")
    assert own is not None and own.full == "《东栅街道劳动争议调解工作规则》第十条"
    assert lb.eldnmp_applies("enterprise_committee") and not lb.eldnmp_applies("township_mediation")
