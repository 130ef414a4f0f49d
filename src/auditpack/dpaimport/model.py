"""The document as the importer sees it: numbered blocks with their references.

This is the seam between reading a file (``reader``: formats, numbering, segmentation) and
understanding it (tagging measures, parameters, the sub-processor register). Both sides
depend only on these types, so each can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["heading", "paragraph", "bullet", "table_row"]


class DocumentError(Exception):
    """The input cannot be imported; ``reason`` is one line for the user (the CLI names the file)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    """One unit of the document that a clause can point at.

    ``ref`` follows the convention of the built-in profiles (docs/profiles.md): the document's
    own numbering where it has one ("Artikel 3.1", "7.2 (ii), bullet 1", "6.2 a)",
    "Bijlage 2, bullet 3", "Annex II, row 3"), else "<heading>, bullet N" /
    "<heading>, paragraph N". Refs are unique within a document.
    """

    ref: str
    kind: BlockKind
    text: str  # whitespace normalised, the block's own numbering label removed
    headings: tuple[str, ...] = ()  # enclosing headings, outermost first, without their numbers
    level: int = 0  # nesting depth below the innermost heading (0 = top-level paragraph)
    cells: tuple[str, ...] = ()  # table rows: the cell texts, in column order
    header: tuple[str, ...] = ()  # table rows: the table's header cells, when it has a header row
    start: int = 0  # offsets of the block in Document.text, for highlighting on the review page
    end: int = 0
    parent: str | None = None  # ref of the block this one hangs from ("6.3" for "6.3, bullet 1"), or its heading
    table: int = 0  # table rows: which table of the document (1, 2, ...) the row belongs to

    @property
    def heading(self) -> str | None:
        return self.headings[-1] if self.headings else None


@dataclass(frozen=True)
class Document:
    path: str
    language: str  # ISO 639-1, detected from the text ("nl", "en", ...)
    text: str  # the document as shown to the reviewer, with reconstructed numbering
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    title: str | None = None
