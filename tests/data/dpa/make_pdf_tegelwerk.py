"""Write dpa-tegelwerk.pdf: Dutch general terms and conditions as a real PDF text layer (reportlab).

Run from the repository: ``python tests/data/dpa/make_pdf_tegelwerk.py`` (needs reportlab, in
the ``test`` extra). The committed PDF is what the tests read. The layout is a small Dutch
software company's "Algemene Voorwaarden": Helvetica, bold "Artikel N. Titel" headings, member
numbers "N.M" in a hanging margin, lettered points "a." and annex items "1." indented, long
Dutch compounds hyphenated at line ends, and a running footer with the version and "pagina N van
M" on every page. Only Artikel 13 and Bijlage 1 are about data protection.
"""

from __future__ import annotations

import re
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

OUT = Path(__file__).with_name("dpa-tegelwerk.pdf")
SOURCE = Path(__file__).with_name("dpa-tegelwerk.src.txt")
FONT, BOLD, SIZE, LEADING = "Helvetica", "Helvetica-Bold", 10.5, 14
LEFT, RIGHT, TOP, BOTTOM = 70, A4[0] - 70, A4[1] - 80, 90
FOOTER = "Algemene Voorwaarden Tegelwerk Software B.V. – versie 2026.1"
MEMBER = re.compile(r"^(\d+\.\d+)\s+(.*)$")
POINT = re.compile(r"^([a-z]\.|\d+\.)\s+(.*)$")

Row = list[tuple[float, str, str]]


def _wrap(text: str, width: float, font: str = FONT) -> list[str]:
    """Greedy wrap; a long word that does not fit is hyphenated, as word processors do."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if stringWidth(trial, font, SIZE) <= width:
            line = trial
            continue
        if len(word) >= 12 and "-" not in word:  # split the word: the head with a hyphen stays here
            for cut in range(len(word) - 4, 4, -1):
                head = f"{line} {word[:cut]}-".strip()
                if stringWidth(head, font, SIZE) <= width:
                    lines.append(head)
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
            continue
        lines.append(line)
        line = word
    if line:
        lines.append(line)
    return lines


def _layout(source: str) -> list[list[Row]]:
    """Pages of rows; a row is the (x, text, font) pieces drawn on one baseline."""
    pages: list[list[Row]] = [[]]
    rows = int((TOP - BOTTOM) / LEADING)
    left = rows

    def emit(row: Row) -> None:
        nonlocal left
        if left <= 0:
            pages.append([])
            left = rows
        pages[-1].append(row)
        left -= 1

    def hanging(number: str, text: str, at: float, text_at: float) -> None:
        for k, line in enumerate(_wrap(text, RIGHT - text_at)):
            emit(([(at, number, FONT)] if k == 0 else []) + [(text_at, line, FONT)])

    for raw in source.split("\n"):
        if raw == "<<PAGE>>":
            pages.append([])
            left = rows
        elif not raw.strip():
            if pages[-1]:
                emit([])
        elif raw.startswith("# "):
            if left < 4:  # keep a heading with the lines after it
                pages.append([])
                left = rows
            for line in _wrap(raw[2:], RIGHT - LEFT, BOLD):
                emit([(LEFT, line, BOLD)])
        elif m := MEMBER.match(raw):
            hanging(m.group(1), m.group(2), LEFT, LEFT + 32)
        elif m := POINT.match(raw):
            hanging(m.group(1), m.group(2), LEFT + 32, LEFT + 50)
        else:
            for line in _wrap(raw.strip(), RIGHT - LEFT):
                emit([(LEFT, line, FONT)])
    return [p for p in pages if p]


def render(source: str, out: Path) -> int:
    """Render the marked-up ``source`` to ``out``; returns the number of pages."""
    pages = _layout(source)
    canvas = Canvas(str(out), pagesize=A4, invariant=True)
    canvas.setTitle("Algemene Voorwaarden Tegelwerk Software B.V.")
    for number, page in enumerate(pages, start=1):
        canvas.setFont(FONT, 8)
        canvas.drawString(LEFT, 50, FOOTER)
        canvas.drawRightString(RIGHT, 50, f"pagina {number} van {len(pages)}")
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
