"""Write dpa-larchmere.pdf: a UK-English DPA as a real PDF text layer, rendered with reportlab.

Run from the repository: ``python tests/data/dpa/make_pdf_larchmere.py`` (needs reportlab, in
the ``test`` extra). The committed PDF is what the tests read. The layout is an English law
firm's: Times, clause numbers in a hanging margin ("4.3" at the margin, "4.3.1" indented),
schedules on new pages, a running header and a "Page N" footer with a document reference, and
the Part B register as a two-column table whose cells wrap inside their columns.
"""

from __future__ import annotations

import re
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

OUT = Path(__file__).with_name("dpa-larchmere.pdf")
SOURCE = Path(__file__).with_name("dpa-larchmere.src.txt")
FONT, BOLD, SIZE, LEADING = "Times-Roman", "Times-Bold", 11, 14
LEFT, RIGHT, TOP, BOTTOM = 72, A4[0] - 72, A4[1] - 96, 90
HEADER = "Larchmere Systems Limited – Data Processing Agreement – CONFIDENTIAL"
FOOTER = "LS-DPA-UK v4.1 (March 2026)"
COLUMNS = (0, 250)  # the register's two columns, as offsets from LEFT
NUMBER = re.compile(r"^(\d+(?:\.\d+)*|\([A-Z]\)|\(\d+\))\s+(.*)$")

Line = tuple[float, str, str]


def _wrap(text: str, width: float, font: str = FONT) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if stringWidth(trial, font, SIZE) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _layout(source: str) -> list[list[list[Line]]]:
    """Pages of rows; a row is the (x, text, font) pieces drawn on one baseline."""
    pages: list[list[list[Line]]] = [[]]
    rows_left = int((TOP - BOTTOM) / LEADING)

    def emit(row: list[Line]) -> None:
        nonlocal rows_left
        if rows_left <= 0:
            pages.append([])
            rows_left = int((TOP - BOTTOM) / LEADING)
        pages[-1].append(row)
        rows_left -= 1

    header_row = True
    for raw in source.split("\n"):
        if raw == "<<PAGE>>":
            pages.append([])
            rows_left = int((TOP - BOTTOM) / LEADING)
            continue
        if not raw.strip():
            if pages[-1]:
                emit([])
            header_row = True
            continue
        if raw.startswith("# "):
            for text in _wrap(raw[2:], RIGHT - LEFT, BOLD):
                emit([(LEFT, text, BOLD)])
            continue
        if raw.startswith("|"):
            cells = [c.strip() for c in raw.strip("|").split("|")]
            font = BOLD if header_row else FONT
            header_row = False
            widths = [COLUMNS[1] - 12, RIGHT - LEFT - COLUMNS[1]]
            wrapped = [_wrap(cell, w, font) for cell, w in zip(cells, widths)]
            for k in range(max(len(w) for w in wrapped)):
                emit([(LEFT + COLUMNS[c], w[k], font) for c, w in enumerate(wrapped) if k < len(w)])
            continue
        m = NUMBER.match(raw)
        if m and re.fullmatch(r"\d+", m.group(1)) and len(m.group(2)) < 40:  # "1. Governance" in a schedule
            emit([(LEFT, f"{m.group(1)}.", BOLD), (LEFT + 36, m.group(2), BOLD)])
            continue
        if m:
            depth = m.group(1).count(".")
            at, text_at = (LEFT + 36, LEFT + 84) if depth >= 2 else (LEFT, LEFT + 36)
            for k, text in enumerate(_wrap(m.group(2), RIGHT - text_at)):
                emit(([(at, m.group(1), FONT)] if k == 0 else []) + [(text_at, text, FONT)])
            continue
        indent = LEFT + 36 if raw.startswith('"') else LEFT
        for text in _wrap(raw.strip(), RIGHT - indent):
            emit([(indent, text, FONT)])
    return [p for p in pages if p]


def render(source: str, out: Path) -> int:
    """Render the marked-up ``source`` to ``out``; returns the number of pages."""
    pages = _layout(source)
    canvas = Canvas(str(out), pagesize=A4, invariant=True)
    canvas.setTitle("Larchmere Systems Limited: Data Processing Agreement")
    for number, page in enumerate(pages, start=1):
        canvas.setFont(FONT, 8)
        canvas.drawString(LEFT, A4[1] - 54, HEADER)
        canvas.drawString(LEFT, 54, FOOTER)
        canvas.drawCentredString(A4[0] / 2, 40, f"Page {number}")
        y = TOP
        for row in page:
            for x, text, font in row:
                canvas.setFont(font, SIZE)
                canvas.drawString(x, y, text)
            y -= LEADING
        canvas.showPage()
    canvas.save()
    return len(pages)


def main() -> None:
    print(render(SOURCE.read_text("utf-8"), OUT), "pages")


if __name__ == "__main__":
    main()
