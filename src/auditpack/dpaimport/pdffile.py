"""Read the text layer of a PDF, page by page, keeping its layout (indents, columns).

pypdf's layout mode places text by its position, so indentation (nested lists) and aligned
register columns survive; page furniture and hyphenation are undone later, in ``layout``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .model import DocumentError

MIN_TEXT = 40  # characters of text in the whole file below which it has no usable text layer


def read_pdf(path: Path) -> tuple[list[list[str]], str | None]:
    """The lines of each page and the title from the document information, if any."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import FileNotDecryptedError, PdfReadError
    except ImportError:  # pragma: no cover - the dpa extra is part of every documented install
        raise DocumentError("reading PDF needs pypdf: pip install 'auditpack[dpa]'") from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("the PDF is encrypted with a password; save an unprotected copy first")
        pages = []
        for page in reader.pages:
            text = page.extract_text(extraction_mode="layout") or ""
            pages.append([line.rstrip() for line in text.replace("\r", "").split("\n")])
        title = None
        meta = reader.metadata
        if meta is not None and meta.title:
            title = " ".join(str(meta.title).split()) or None
    except FileNotDecryptedError:
        raise DocumentError("the PDF is encrypted with a password; save an unprotected copy first") from None
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError,
            RecursionError, NotImplementedError) as exc:
        raise DocumentError(f"not a readable PDF: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") \
            from None
    if not pages:
        raise DocumentError("the PDF has no pages")
    if sum(len(line.strip()) for page in pages for line in page) < MIN_TEXT:
        raise DocumentError("the PDF has no text layer (a scanned document?); run OCR on it first")
    return pages, title
