"""Start-up warnings about fonts: loud when fast subsetting (HarfBuzz) or the CJK font is missing."""

from __future__ import annotations

import ctypes.util
import logging
from typing import Any

import pytest
from sqlalchemy.orm import Session

from documents import renderer


def test_no_warning_on_a_complete_install() -> None:
    assert renderer.check_fonts() == []


def test_missing_harfbuzz_subset_is_reported_at_start_up(monkeypatch: pytest.MonkeyPatch, db: Session,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    real = ctypes.util.find_library

    def find(name: str) -> Any:
        return None if name == "harfbuzz-subset" else real(name)

    monkeypatch.setattr(ctypes.util, "find_library", find)
    warnings = renderer.check_fonts()
    assert len(warnings) == 1 and "libharfbuzz-subset" in warnings[0] and "install-system.sh" in warnings[0]

    from api.app import create_app

    conn = db.connection()
    with caplog.at_level(logging.WARNING, logger="documents"):
        create_app({"TESTING": True, "SECRET_KEY": "t"},
                   session_factory=lambda: Session(bind=conn, join_transaction_mode="create_savepoint"))
    assert any("libharfbuzz-subset" in r.getMessage() for r in caplog.records)
