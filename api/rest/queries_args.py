"""Query-string vocabularies shared by the schemas."""

from __future__ import annotations

from mediation.cases.queries import SORTS

SORT_CHOICES = [k for k in SORTS] + [f"-{k}" for k in SORTS]
