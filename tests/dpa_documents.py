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
