"""report.pdf: the same report.html, printed to A4 by WeasyPrint (the optional ``pdf`` extra).

Why WeasyPrint: it implements CSS Paged Media (running headers from ``string-set``, page
counters, ``target-counter`` for the table of contents, repeated table headers), runs no
JavaScript and needs no browser. The print rules live in report.css under ``@media print``,
so Chromium's print and the PDF agree.

Deterministic: WeasyPrint writes no date unless the HTML asks for one (ours does not), and
the PDF identifier is derived from the HTML, so the same report.html gives the same bytes
with the same WeasyPrint version and fonts. Offline: every URL the document could name is
refused (the HTML has none; the fetcher makes sure).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, NoReturn

INSTALL_HINT = ("--pdf needs WeasyPrint: pip install 'auditpack[pdf]' (and the Pango libraries, e.g. "
                "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)")


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the system libraries it loads) is not installed."""


def _weasyprint() -> Any:
    try:
        import weasyprint  # type: ignore[import-untyped,unused-ignore]
    except (ImportError, OSError) as exc:  # OSError: the Python package is there, Pango is not
        raise PdfUnavailable(INSTALL_HINT) from exc
    return weasyprint


def check_available() -> None:
    """Raise :class:`PdfUnavailable` (one line saying how to install) before any work starts."""
    _weasyprint()


def _refuse(url: str, *args: Any, **kwargs: Any) -> NoReturn:
    raise ValueError(f"report.pdf loads nothing from outside the pack: {url[:80]}")


def html_to_pdf(html: str) -> bytes:
    weasyprint = _weasyprint()
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode()
    document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_refuse)
    data: bytes = document.write_pdf(pdf_identifier=identifier, uncompressed_pdf=False)
    return data


def render_pdf(root: Path) -> Path:
    """Write ``root/report.pdf`` from ``root/report.html`` (render_pack writes that first)."""
    target = root / "report.pdf"
    target.write_bytes(html_to_pdf((root / "report.html").read_text("utf-8")))
    return target


__all__ = ["INSTALL_HINT", "PdfUnavailable", "check_available", "html_to_pdf", "render_pdf"]
