"""Render printable documents (order confirmations) to PDF with WeasyPrint and a CJK font.

The templates set ``font-family: "Noto Sans CJK SC", "DejaVu Sans", sans-serif`` (Debian's
fonts-noto-cjk, installed by scripts/system-deps.sh); WeasyPrint finds the fonts through fontconfig.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.document import Document  # type: ignore[import-untyped]


def render_document(template: str, context: dict[str, Any]) -> Document:
    """Lay out a template as paged A4 document (the pages can be written to PDF or inspected)."""
    html = render_to_string(template, context)
    base_url = str(getattr(settings, "BASE_DIR", "."))
    return HTML(string=html, base_url=base_url).render()


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a template to PDF bytes."""
    pdf: bytes = render_document(template, context).write_pdf()
    return pdf


def _box_text(box: Any, out: list[str]) -> None:
    text = getattr(box, "text", None)
    if isinstance(text, str):
        out.append(text)
    for child in getattr(box, "children", ()) or ():
        _box_text(child, out)


def document_text(document: Document) -> list[str]:
    """The text laid out on each page, in reading order (used by tests to check what prints)."""
    pages = []
    for page in document.pages:
        out: list[str] = []
        _box_text(page._page_box, out)
        pages.append("".join(out))
    return pages
