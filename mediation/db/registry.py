"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests, create_all).

Feature areas add their own ``models_<area>`` module; it is picked up here when present.
"""

from __future__ import annotations

import importlib
import importlib.util

from mediation.db import models, models_access

AREAS = ("models_documents", "models_risk")
for _name in AREAS:
    if importlib.util.find_spec(f"mediation.db.{_name}") is not None:
        importlib.import_module(f"mediation.db.{_name}")

__all__ = ["models", "models_access"]
