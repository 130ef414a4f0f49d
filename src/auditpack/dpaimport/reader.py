"""``read_document``: a .txt, .md, .docx or .pdf DPA as a :class:`~.model.Document`.

Formats are read by ``wordfile`` (Word numbering replayed from numbering.xml), ``pdffile``
(text layer) or as text; ``layout`` rebuilds paragraphs and tables and drops tables of
contents and page furniture; ``outline`` gives every block its ref; ``language`` names the
language. Any input that cannot be read raises :class:`~.model.DocumentError` with one line.
"""

from __future__ import annotations

from pathlib import Path

from .language import detect_language
from .layout import Unit, drop_page_furniture, drop_repeated_lines, text_units, word_units
from .model import Block, Document, DocumentError
from .outline import Drafted, outline

FORMATS = (".txt", ".md", ".docx", ".pdf")
MAX_BYTES = 50_000_000


def read_document(path: Path) -> Document:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DocumentError(f"unknown file type {suffix or '(none)'!r}: use one of {', '.join(FORMATS)}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise DocumentError("the file is empty")
    if size > MAX_BYTES:
        raise DocumentError(f"the file is too large ({size} bytes; at most {MAX_BYTES})")
    title: str | None = None
    if suffix == ".docx":
        from .wordfile import read_docx

        lines, title = read_docx(path)
        units = word_units(lines)
    elif suffix == ".pdf":
        from .pdffile import read_pdf

        pages, title = read_pdf(path)
        units = text_units([line for page in drop_page_furniture(pages) for line in [*page, ""]], wrapped=True)
    else:
        units = text_units(_text_lines(path), markdown=suffix == ".md")
    return _document(path, units, title)


def _text_lines(path: Path) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror or exc}") from None
    if b"\x00" in data[:8192]:
        raise DocumentError("a binary file, not text (a .docx or .pdf renamed?)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise DocumentError("the text is neither UTF-8 nor Windows-1252")
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if control > 0.05 * min(len(text), 8192):
        raise DocumentError("a binary file, not text")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    if "\f" in text:
        pages = [page.split("\n") for page in text.split("\f")]
        return [line for page in drop_page_furniture(pages) for line in [*page, ""]]
    return drop_repeated_lines(text.split("\n"))


def _document(path: Path, units: list[Unit], title: str | None) -> Document:
    drafted = outline(units)
    if not drafted:
        raise DocumentError("no text found in the document")
    blocks: list[Block] = []
    parts: list[str] = []
    offset = 0
    seen: dict[str, int] = {}
    for d in drafted:
        ref = _unique(d, seen)
        shown = d.shown
        blocks.append(Block(ref=ref, kind=d.kind, text=d.text, headings=d.headings, level=d.level, cells=d.cells,
                            header=d.header, start=offset, end=offset + len(shown), parent=d.parent,
                            table=d.table))
        parts.append(shown)
        offset += len(shown) + 1
    text = "\n".join(parts)
    if title is None:
        title = next((b.text for b in blocks if b.kind == "heading"), None)
    return Document(path=str(path), language=detect_language(text), text=text, blocks=tuple(blocks), title=title)


def _unique(block: Drafted, seen: dict[str, int]) -> str:
    """Refs are unique: a second "Definitions" heading becomes "Definitions (2)"."""
    seen[block.ref] = seen.get(block.ref, 0) + 1
    if seen[block.ref] == 1:
        return block.ref
    ref = f"{block.ref} ({seen[block.ref]})"
    seen[ref] = 1
    return ref
