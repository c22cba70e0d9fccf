"""Imports every model module so ``Base.metadata`` is complete (Alembic, tests, create_all)."""

from mediation.db import models, models_access

__all__ = ["models", "models_access"]
