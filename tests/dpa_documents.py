"""Build :class:`~auditpack.dpaimport.model.Document` values by hand, so the tagger, the
parameter and register extractors and the drafter are tested apart from the file reader."""

from __future__ import annotations

from dataclasses import dataclass

from auditpack.dpaimport.model import Block, BlockKind, Document


@dataclass(frozen=True)
class B:
    """One block as a test writes it; headings are the enclosing section titles."""

    ref: str
    text: str
    headings: tuple[str, ...] = ()
    kind: BlockKind = "paragraph"
    level: int = 0
    cells: tuple[str, ...] = ()
    header: tuple[str, ...] = ()


def build(blocks: list[B], *, language: str = "en", path: str = "agreement.txt", title: str | None = None) -> Document:
    """The document text is each block's text on its own line, preceded by its headings when they
    change; block offsets point at the block's line, as the reader's do."""
    text = ""
    out: list[Block] = []
    last: tuple[str, ...] = ()
    for b in blocks:
        if b.headings != last and b.headings:
            text += b.headings[-1] + "\n"
            last = b.headings
        line = "\t".join(b.cells) if b.kind == "table_row" and b.cells else b.text
        label = "" if b.kind == "table_row" else f"{b.ref.rsplit(', ', 1)[-1]} "
        start = len(text)
        text += label + line + "\n"
        out.append(Block(ref=b.ref, kind=b.kind, text=" ".join((line if b.kind == "table_row" else b.text).split()),
                         headings=b.headings, level=b.level, cells=b.cells, header=b.header,
                         start=start, end=len(text) - 1))
    return Document(path=path, language=language, text=text, blocks=tuple(out), title=title)


SEC = ("5. Security",)
ANNEX = ("Annex 3 – Sub-processors",)


def english_dpa() -> list[B]:
    return [
        B("1.1", "'Personal Data' means any information relating to an identified natural person.",
          ("1. Definitions",)),
        B("2.1", "The Processor shall process Personal Data only on documented instructions from the Controller.",
          ("2. Processing",)),
        B("3.1", "The Processor shall store Personal Data only in data centres within the European Economic Area.",
          ("3. Location",)),
        B("5.1", "The Processor shall implement appropriate technical and organisational measures, including:", SEC),
        B("5.1 (a)", "encryption of Personal Data in transit using TLS 1.2 or higher;", SEC, kind="bullet", level=1),
        B("5.1 (b)", "multi-factor authentication for all administrative access;", SEC, kind="bullet", level=1),
        B("5.1 (c)", "daily backups, with a restore test at least every quarter.", SEC, kind="bullet", level=1),
        B("6.1", "The Processor shall notify the Controller of a Personal Data Breach without undue delay and in any "
                 "event within 48 hours.", ("6. Personal Data Breaches",)),
        B("6.2", "The notification shall describe the nature of the breach:", ("6. Personal Data Breaches",)),
        B("6.2 (i)", "the categories of data subjects concerned;", ("6. Personal Data Breaches",), kind="bullet",
          level=1),
        B("7.1", "The Processor shall assist the Controller in ensuring compliance with Articles 32 to 36 GDPR.",
          ("7. Assistance",)),
        B("8.1", "The Controller may audit the Processor once a year on 14 days' notice.", ("8. Audits",)),
        B("9.1", "The Processor's total liability shall not exceed the fees paid in the preceding year.",
          ("9. Liability",)),
        B("10.1", "Within 30 days of termination the Processor shall delete all Personal Data.", ("10. Termination",)),
        B("Annex 3, row 1", "", ANNEX, kind="table_row", cells=("Hetzner Online GmbH", "Hosting", "Germany"),
          header=("Name", "Service", "Location")),
        B("Annex 3, row 2", "", ANNEX, kind="table_row", cells=("Scaleway SAS", "Backups", "EU (France)"),
          header=("Name", "Service", "Location")),
    ]
