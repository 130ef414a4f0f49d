"""Write dpa-corvana.docx from dpa-corvana.src.txt: a US-SaaS style addendum whose numbers are
typed in the text ("7.2 Notification.", "(a)"), unlike dpa-noordlicht.docx's automatic numbering.

Run from the repository: ``python tests/data/dpa/make_docx_corvana.py`` (needs python-docx, in
the ``test`` extra). The committed .docx is what the tests read; this script shows how it was
made. Source markup: "# " a heading, four leading spaces per indent level, "| a | b |" a row of
the Word table, anything else a paragraph; blank lines separate paragraphs.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.shared import Inches

SOURCE = Path(__file__).with_name("dpa-corvana.src.txt")
OUT = SOURCE.with_name("dpa-corvana.docx")


def main() -> None:
    doc = Document()
    rows: list[list[str]] = []

    def flush_table() -> None:
        if rows:
            table = doc.add_table(rows=len(rows), cols=len(rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
            rows.clear()

    for line in SOURCE.read_text("utf-8").splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        flush_table()
        if not line.strip():
            continue
        if line.startswith("# "):
            doc.add_heading(line[2:], level=1)
            continue
        indent = (len(line) - len(line.lstrip(" "))) // 4
        paragraph = doc.add_paragraph(line.strip())
        if indent:
            paragraph.paragraph_format.left_indent = Inches(0.5 * indent)
    flush_table()
    doc.save(str(OUT))


if __name__ == "__main__":
    main()
