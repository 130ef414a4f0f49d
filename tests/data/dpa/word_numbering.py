"""Word automatic numbering for the corpus generators (make_docx*.py): the numbering.xml
definitions and a paragraph's reference to them, so the numbers exist only as Word shows
them and never in the text, which is what the reader must reconstruct."""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn


def abstract_num(num_id: int, levels: list[tuple[str, str, str]], hanging: str = "360") -> OxmlElement:
    """``levels``: (numFmt, lvlText, left indent) per level, e.g. ("decimal", "%1.%2.", "720")."""
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), str(num_id))
    for ilvl, (fmt, text, indent) in enumerate(levels):
        lvl = OxmlElement("w:lvl")
        lvl.set(qn("w:ilvl"), str(ilvl))
        for tag, value in (("w:start", "1"), ("w:numFmt", fmt), ("w:lvlText", text)):
            el = OxmlElement(tag)
            el.set(qn("w:val"), value)
            lvl.append(el)
        ppr = OxmlElement("w:pPr")
        ind = OxmlElement("w:ind")
        ind.set(qn("w:left"), indent)
        ind.set(qn("w:hanging"), hanging)
        ppr.append(ind)
        lvl.append(ppr)
        abstract.append(lvl)
    return abstract


def num(num_id: int, abstract_id: int) -> OxmlElement:
    element = OxmlElement("w:num")
    element.set(qn("w:numId"), str(num_id))
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), str(abstract_id))
    element.append(ref)
    return element


def number(paragraph: object, num_id: int, ilvl: int) -> None:
    """Give ``paragraph`` level ``ilvl`` of numbering ``num_id``."""
    ppr = paragraph._p.get_or_add_pPr()  # type: ignore[attr-defined]
    numpr = OxmlElement("w:numPr")
    lvl = OxmlElement("w:ilvl")
    lvl.set(qn("w:val"), str(ilvl))
    nid = OxmlElement("w:numId")
    nid.set(qn("w:val"), str(num_id))
    numpr.append(lvl)
    numpr.append(nid)
    ppr.append(numpr)
