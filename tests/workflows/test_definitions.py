"""The transition table as data: validation, guards' readable reasons, mermaid export."""

from __future__ import annotations

import dataclasses
import re

import pytest

from workflows.definitions import V1, V2, State, Transition, WorkflowDefinition, get_definition
from workflows.diagram import mermaid
from workflows.guards import GUARDS


def test_every_guard_named_in_the_table_exists() -> None:
    for t in V1.transitions:
        for g in t.guards:
            assert g in GUARDS, (t.event, g)


def test_terminal_states_have_no_events_and_every_state_is_reachable() -> None:
    assert V1.terminal_states() == ("closed",)
    reachable = set(V1.initial_states)
    changed = True
    while changed:
        changed = False
        for t in V1.transitions:
            if reachable & set(t.sources):
                dest = t.dest
                if dest is not None and dest not in reachable:
                    reachable.add(dest)
                    changed = True
    assert reachable == set(V1.state_names)


def test_invalid_definitions_are_refused() -> None:
    states = (State("a", "甲"), State("z", "终", terminal=True))
    with pytest.raises(ValueError, match="unknown states"):
        WorkflowDefinition("x", states, (Transition("go", "走", ("a",), "b"),), ("a",))
    with pytest.raises(ValueError, match="terminal"):
        WorkflowDefinition("x", states, (Transition("back", "回", ("z",), "a"),), ("a",))
    with pytest.raises(ValueError, match="duplicate event"):
        t = Transition("go", "走", ("a",), "z")
        WorkflowDefinition("x", states, (t, dataclasses.replace(t)), ("a",))
    with pytest.raises(KeyError, match="unknown workflow definition"):
        get_definition("99")


@pytest.mark.parametrize("definition", [V1, V2], ids=["v1", "v2"])
def test_mermaid_export_names_every_state_and_event(definition: WorkflowDefinition) -> None:
    text = mermaid(definition)
    assert text.lstrip().startswith("---") and "stateDiagram-v2" in text
    # whole names: "performed" must not be found inside "non_performed", nor "record_performance" inside
    # "record_late_performance"
    tokens = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    for s in definition.states:
        assert s.name in tokens, s.name
    for t in definition.transitions:
        assert t.event in tokens, t.event
    assert "closed --> [*]" in text


def test_v2_only_adds_transitions_from_lapsed_and_non_performed() -> None:
    text = mermaid(V2)
    assert "lapsed --> mediating: 延长调解期限（extend）" in text
    assert any(line.strip().startswith("non_performed --> non_performed") and "(request_review)" not in line
               and "（request_review）" in line for line in text.splitlines())
    assert "（request_review）" not in next(line for line in mermaid(V1).splitlines()
                                          if line.strip().startswith("non_performed --> non_performed"))
    assert [t.event for t in V2.transitions] == [t.event for t in V1.transitions]
    changed = {t.event for t, u in zip(V1.transitions, V2.transitions, strict=True) if t != u}
    assert changed == {"extend", "request_review"}
    assert V2.states == V1.states
    for t in V2.transitions:
        for g in t.guards:
            assert g in GUARDS, (t.event, g)
