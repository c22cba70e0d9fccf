"""Documents fixtures: the PDF producer installed for transitions, text extraction from real PDFs."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, whitespace removed (justified CJK text is extracted with stray spaces)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in reader.pages))


def pdf_pages(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)
