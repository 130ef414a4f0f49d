"""Write dpa-brightwave.pdf: a DPA as a real PDF text layer, rendered with reportlab.

Run from the repository: ``python tests/data/dpa/make_pdf.py`` (needs reportlab, in the
``test`` extra). The committed PDF is what the tests read. Every page carries a running
header and a "Page N of M" footer, long words are hyphenated at line ends, and the register
in Schedule 2 is laid out in aligned columns: what a reader of real PDFs has to undo.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

OUT = Path(__file__).with_name("dpa-brightwave.pdf")
SOURCE = Path(__file__).with_name("dpa-brightwave.src.txt")
FONT, SIZE, LEADING = "Helvetica", 10, 13
LEFT, RIGHT, TOP, BOTTOM = 72, A4[0] - 72, A4[1] - 90, 90
HEADER = "Brightwave Cloud Services – Data Processing Agreement – v2.3"


def _wrap(text: str, width: float, indent: float) -> list[str]:
    """Greedy wrap; a long word that does not fit is hyphenated, as word processors do."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if stringWidth(trial, FONT, SIZE) <= width - indent:
            line = trial
            continue
        if len(word) >= 10:  # split the word: the head with a hyphen stays on this line
            for cut in range(len(word) - 4, 3, -1):
                head = f"{line} {word[:cut]}-".strip()
                if stringWidth(head, FONT, SIZE) <= width - indent:
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


def _layout(source: str) -> list[list[tuple[float, str, str]]]:
    """Pages of (x, text, font) lines."""
    pages: list[list[tuple[float, str, str]]] = [[]]
    y = TOP

    def emit(x: float, text: str, font: str = FONT) -> None:
        nonlocal y
        if y < BOTTOM:
            pages.append([])
            y = TOP
        pages[-1].append((x, text, font))
        y -= LEADING

    for raw in source.split("\n"):
        if not raw.strip():
            emit(LEFT, "")
            continue
        if raw.startswith("#"):  # a heading, in bold
            emit(LEFT, raw.lstrip("# "), "Helvetica-Bold")
            continue
        if raw.startswith("|"):  # a register row: aligned columns
            cells = [c.strip() for c in raw.strip("|").split("|")]
            emit(LEFT, "\x00" + "\x00".join(cells))
            continue
        indent = (len(raw) - len(raw.lstrip(" "))) * 6
        for i, line in enumerate(_wrap(raw.strip(), RIGHT - LEFT, indent)):
            emit(LEFT + indent + (0 if i == 0 or indent == 0 else 14), line)
    return [p for p in pages if any(t for _, t, _ in p)]


def render(source: str, out: Path, title: str = "Brightwave Cloud Services: Data Processing Agreement") -> int:
    """Render the marked-up ``source`` to ``out``; returns the number of pages."""
    pages = _layout(source)
    canvas = Canvas(str(out), pagesize=A4, invariant=True)
    canvas.setTitle(title)
    for number, page in enumerate(pages, start=1):
        canvas.setFont(FONT, 8)
        canvas.drawString(LEFT, A4[1] - 50, HEADER)
        canvas.drawRightString(RIGHT, 50, f"Page {number} of {len(pages)}")
        y = TOP
        for x, text, font in page:
            canvas.setFont(font, SIZE)
            if text.startswith("\x00"):
                for col, cell in zip((0, 190, 330), text[1:].split("\x00")):
                    canvas.drawString(LEFT + col, y, cell)
            elif text:
                canvas.drawString(x, y, text)
            y -= LEADING
        canvas.showPage()
    canvas.save()
    return len(pages)


def main() -> None:
    render(SOURCE.read_text("utf-8"), OUT)


if __name__ == "__main__":
    main()
