"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests, create_all)."""

from __future__ import annotations

from mediation.db import (
    models,
    models_access,
    models_documents,
    models_handoff,
    models_notify,
    models_ops,
    models_privacy,
    models_risk,
)

__all__ = ["models", "models_access", "models_documents", "models_handoff", "models_notify", "models_ops",
           "models_privacy", "models_risk"]
