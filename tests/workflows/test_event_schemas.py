"""Event payload schemas: one instance per event's spec, built at import; unknown names get the note schema and
create nothing."""

from __future__ import annotations

from workflows import events
from workflows.events.mediating import SessionSchema


def test_a_known_event_has_one_schema_instance() -> None:
    first = events.event_schema("record_session")
    assert events.event_schema("record_session") is first
    assert isinstance(first, SessionSchema)
    assert first is events.SPECS["record_session"].payload


def test_unknown_event_names_share_the_note_schema_and_create_nothing() -> None:
    before = {name: spec.payload for name, spec in events.SPECS.items()}
    names = [f"no_such_event_{i}" for i in range(50)]
    schemas = [events.event_schema(n) for n in names]
    assert all(s is schemas[0] for s in schemas)
    assert all(s.load({"note": "说明"}) == {"note": "说明", "reason": ""} for s in schemas)
    assert {name: spec.payload for name, spec in events.SPECS.items()} == before
    assert not any(n in events.SPECS for n in names)
