"""The document producer transitions call (see :mod:`mediation.runtime.hooks`)."""

from __future__ import annotations

from documents.service import PdfProducer, default_producer

__all__ = ["PdfProducer", "default_producer"]
