"""Write dpa-skylark.pdf: a US/Irish SaaS vendor's online Data Processing Addendum as a PDF.

Run from the repository: ``python tests/data/dpa/make_pdf_skylark.py`` (needs reportlab, in
the ``test`` extra). The committed PDF is what the tests read. The layout is a big SaaS
vendor's click-through addendum printed from its legal page: Helvetica, section headings
"N. Title" in bold, sub-sections "4.2" in a hanging margin with a bold run-in title
("Sub-processor List and Notice.") followed by the text on the same line, "(i)" points
indented, schedules on new pages, Schedule 2 as short bold headings with prose paragraphs,
Schedule 3 a three-column table whose cells wrap, a running header and a "Page N of M" footer.
Markup of the source: "# " title, "## " section, "### " schedule heading, "| " table row,
"<<PAGE>>" page break; everything else is a paragraph.
"""

from __future__ import annotations

import re
from pathlib import Path

from reportlab.lib.pagesizes import LETTER
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

OUT = Path(__file__).with_name("dpa-skylark.pdf")
SOURCE = Path(__file__).with_name("dpa-skylark.src.txt")
FONT, BOLD, SIZE, LEADING = "Helvetica", "Helvetica-Bold", 10, 13
LEFT, RIGHT, TOP, BOTTOM = 66, LETTER[0] - 66, LETTER[1] - 86, 80
HEADER = "Skylark Labs – Data Processing Addendum"
FOOTER = "skylarklabs.com/legal/dpa – version 5.2"
COLUMNS = (0, 170, 340)  # the register's three columns, as offsets from LEFT
RUN_IN = re.compile(r"^(\d+\.\d+)\s+([A-Z][^.]{2,60}\.)\s+(.*)$")
POINT = re.compile(r"^(\([ivx]+\))\s+(.*)$")

Piece = tuple[float, str, str]


def _wrap(text: str, width: float, font: str = FONT, first: float | None = None) -> list[str]:
    """Words into lines of ``width`` points; the first line may be narrower (a run-in title)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        room = first if first is not None and not lines else width
        trial = f"{line} {word}".strip()
        if stringWidth(trial, font, SIZE) <= room or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _layout(source: str) -> list[list[list[Piece]]]:
    """Pages of rows; a row is the (x, text, font) pieces drawn on one baseline."""
    per_page = int((TOP - BOTTOM) / LEADING)
    pages: list[list[list[Piece]]] = [[]]

    def emit(row: list[Piece]) -> None:
        if len(pages[-1]) >= per_page:
            pages.append([])
        if row or pages[-1]:
            pages[-1].append(row)

    def keep_with_next(rows: int) -> None:
        if len(pages[-1]) + rows > per_page:
            pages.append([])

    header_row = True
    for raw in source.split("\n"):
        if raw == "<<PAGE>>":
            pages.append([])
            continue
        if raw.startswith("# "):
            emit([(LEFT + (RIGHT - LEFT - stringWidth(raw[2:], BOLD, SIZE)) / 2, raw[2:], BOLD)])
            emit([])
            header_row = True
            continue
        if raw.startswith("## ") or raw.startswith("### "):
            text = raw.split(" ", 1)[1]
            keep_with_next(4)
            emit([])
            emit([(LEFT, text, BOLD)])
            continue
        if raw.startswith("|"):
            cells = [c.strip() for c in raw.strip("|").split("|")]
            font = BOLD if header_row else FONT
            if header_row:
                emit([])
            header_row = False
            edges = [*COLUMNS[1:], RIGHT - LEFT]
            wrapped = [_wrap(cell, edges[c] - COLUMNS[c] - 10, font) for c, cell in enumerate(cells)]
            keep_with_next(max(len(w) for w in wrapped))
            for k in range(max(len(w) for w in wrapped)):
                emit([(LEFT + COLUMNS[c], w[k], font) for c, w in enumerate(wrapped) if k < len(w)])
            continue
        if m := RUN_IN.match(raw):
            number, title, rest = m.groups()
            text_at = LEFT + 30
            title_width = stringWidth(title + " ", BOLD, SIZE)
            lines = _wrap(rest, RIGHT - text_at, first=RIGHT - text_at - title_width)
            emit([])
            for k, text in enumerate(lines):
                if k == 0:
                    emit([(LEFT, number, FONT), (text_at, title, BOLD), (text_at + title_width, text, FONT)])
                else:
                    emit([(text_at, text, FONT)])
            continue
        if m := POINT.match(raw):
            text_at = LEFT + 58
            for k, text in enumerate(_wrap(m.group(2), RIGHT - text_at)):
                emit(([(LEFT + 34, m.group(1), FONT)] if k == 0 else []) + [(text_at, text, FONT)])
            continue
        indent = LEFT + 18 if raw.startswith('"') else LEFT
        emit([])
        for text in _wrap(raw.strip(), RIGHT - indent):
            emit([(indent, text, FONT)])
    return [p for p in pages if p]


def render(source: str, out: Path) -> int:
    """Render the marked-up ``source`` to ``out``; returns the number of pages."""
    pages = _layout(source)
    canvas = Canvas(str(out), pagesize=LETTER, invariant=True)
    canvas.setTitle("Skylark Labs: Data Processing Addendum")
    for number, page in enumerate(pages, start=1):
        canvas.setFont(FONT, 8)
        canvas.drawString(LEFT, LETTER[1] - 50, HEADER)
        canvas.drawRightString(RIGHT, LETTER[1] - 50, "Confidential")
        canvas.drawString(LEFT, 46, FOOTER)
        canvas.drawRightString(RIGHT, 46, f"Page {number} of {len(pages)}")
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
