"""The transition table as data: validation, guards' readable reasons, mermaid export."""

from __future__ import annotations

import dataclasses

import pytest

from workflows.definitions import V1, State, Transition, WorkflowDefinition, get_definition
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


def test_mermaid_export_names_every_state_and_event() -> None:
    text = mermaid(V1)
    assert text.lstrip().startswith("---") and "stateDiagram-v2" in text
    for s in V1.states:
        assert s.name in text
    for t in V1.transitions:
        assert t.event in text
    assert "closed --> [*]" in text
