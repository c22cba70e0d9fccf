"""Event payload schemas: built once per known event; unknown names neither fail here nor grow the cache."""

from __future__ import annotations

from mediation.cases import schemas


def test_a_known_event_has_one_schema_instance() -> None:
    first = schemas.event_schema("record_session")
    assert schemas.event_schema("record_session") is first
    assert isinstance(first, schemas.EVENT_SCHEMAS["record_session"])


def test_unknown_event_names_share_the_note_schema_and_are_not_cached() -> None:
    before = dict(schemas._SCHEMA_CACHE)
    names = [f"no_such_event_{i}" for i in range(50)]
    loaded = [schemas.event_schema(n).load({"note": "说明"}) for n in names]
    assert all(d == {"note": "说明", "reason": ""} for d in loaded)
    assert schemas._SCHEMA_CACHE == before
