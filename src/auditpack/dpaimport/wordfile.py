"""Read a .docx: paragraphs, heading levels, tables, and Word's automatic numbering.

Numbers that Word generates ("Artikel 3.", "2.1.", "a)", bullets) are not in the text of
document.xml; they come from numbering.xml (w:abstractNum levels: start, format, level text
such as "%1.%2.") and the w:numPr of each paragraph or of its style. This module replays
the counters in document order, so the reader sees the numbers a person sees in Word.
Only the standard library is used: a .docx is a zip of XML parts.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from .layout import Line
from .model import DocumentError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MAX_PART = 50_000_000  # bytes: a larger document.xml is refused rather than read into memory


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    restart: int | None = None  # lvlRestart as a 0-based level (-1: never); None: after any higher level
    indent: int | None = None  # the level's left indent in twips (List Bullet 2 is indented further)


@dataclass
class _Numbering:
    abstract: dict[str, dict[int, _Level]] = field(default_factory=dict)
    nums: dict[str, str] = field(default_factory=dict)  # numId -> abstractNumId
    overrides: dict[str, dict[int, int]] = field(default_factory=dict)  # numId -> {ilvl: start}
    counters: dict[str, dict[int, int]] = field(default_factory=dict)  # abstractNumId -> {ilvl: value}
    started: set[tuple[str, int]] = field(default_factory=set)

    def indent(self, num_id: str, ilvl: int) -> int | None:
        level = self.abstract.get(self.nums.get(num_id, ""), {}).get(ilvl)
        return level.indent if level is not None else None

    def label(self, num_id: str, ilvl: int) -> str:
        abstract_id = self.nums.get(num_id)
        if abstract_id is None or num_id == "0":
            return ""
        levels = self.abstract.get(abstract_id, {})
        counters = self.counters.setdefault(abstract_id, {})
        override = self.overrides.get(num_id, {})
        if ilvl in override and (num_id, ilvl) not in self.started:
            self.started.add((num_id, ilvl))
            counters[ilvl] = override[ilvl] - 1
        level = levels.get(ilvl, _Level())
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            restart = levels.get(deeper, _Level()).restart  # None: after any higher level; -1: never
            if restart is None or (restart >= 0 and ilvl <= restart):
                counters.pop(deeper)
        if level.fmt == "bullet":
            return "•"
        if level.fmt == "none":
            return ""

        def value(match: re.Match[str]) -> str:
            k = int(match.group(1)) - 1
            lvl = levels.get(k, _Level())
            n = counters.get(k, lvl.start)
            return _format(n, lvl.fmt)

        return re.sub(r"%(\d)", value, level.text)


def _indent(ppr: ElementTree.Element | None) -> int | None:
    ind = ppr.find(f"{W}ind") if ppr is not None else None
    if ind is None:
        return None
    value = ind.get(f"{W}left") or ind.get(f"{W}start")
    return int(value) if value and value.lstrip("-").isdigit() else None


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            s = chr(ord("a") + r) + s
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        s = _roman(n)
        return s.upper() if fmt == "upperRoman" else s
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += letters
            n -= value
    return out


def _parse(zf: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART:
        raise DocumentError(f"{name} inside the .docx is too large ({info.file_size} bytes)")
    data = zf.read(name)
    if b"<!DOCTYPE" in data[:2000] or b"<!ENTITY" in data[:2000]:
        raise DocumentError(f"{name} inside the .docx declares a DTD, which a Word file never does")
    return ElementTree.fromstring(data)


def _numbering(root: ElementTree.Element | None) -> _Numbering:
    numbering = _Numbering()
    if root is None:
        return numbering
    for abstract in root.iter(f"{W}abstractNum"):
        levels: dict[int, _Level] = {}
        for lvl in abstract.iter(f"{W}lvl"):
            level = _Level()
            for child, attr in ((f"{W}start", "start"), (f"{W}numFmt", "fmt"), (f"{W}lvlText", "text"),
                                (f"{W}lvlRestart", "restart")):
                el = lvl.find(child)
                if el is not None and el.get(f"{W}val") is not None:
                    val = el.get(f"{W}val", "")
                    if attr in ("start", "restart"):
                        setattr(level, attr, int(val) if val.lstrip("-").isdigit() else getattr(level, attr))
                    else:
                        setattr(level, attr, val)
            if level.restart is not None:
                level.restart -= 1
            level.indent = _indent(lvl.find(f"{W}pPr"))
            levels[int(lvl.get(f"{W}ilvl", "0"))] = level
        numbering.abstract[abstract.get(f"{W}abstractNumId", "")] = levels
    for num in root.iter(f"{W}num"):
        num_id = num.get(f"{W}numId", "")
        ref = num.find(f"{W}abstractNumId")
        if ref is not None:
            numbering.nums[num_id] = ref.get(f"{W}val", "")
        for override in num.iter(f"{W}lvlOverride"):
            start = override.find(f"{W}startOverride")
            if start is not None:
                numbering.overrides.setdefault(num_id, {})[int(override.get(f"{W}ilvl", "0"))] = \
                    int(start.get(f"{W}val", "1"))
    return numbering


@dataclass
class _Style:
    heading: int | None = None
    num_id: str | None = None
    ilvl: int = 0
    based_on: str | None = None


def _styles(root: ElementTree.Element | None) -> dict[str, _Style]:
    styles: dict[str, _Style] = {}
    if root is None:
        return styles
    for style in root.iter(f"{W}style"):
        sid = style.get(f"{W}styleId", "")
        name_el = style.find(f"{W}name")
        name = (name_el.get(f"{W}val", "") if name_el is not None else "").lower()
        info = _Style()
        m = re.fullmatch(r"heading (\d)", name) or re.fullmatch(r"heading(\d)", sid.lower())
        if m:
            info.heading = int(m.group(1))
        elif name == "title":
            info.heading = 1
        ppr = style.find(f"{W}pPr")
        if ppr is not None:
            outline = ppr.find(f"{W}outlineLvl")
            if outline is not None and info.heading is None:
                info.heading = int(outline.get(f"{W}val", "0")) + 1
            numpr = ppr.find(f"{W}numPr")
            if numpr is not None:
                nid, lvl = numpr.find(f"{W}numId"), numpr.find(f"{W}ilvl")
                info.num_id = nid.get(f"{W}val") if nid is not None else None
                info.ilvl = int(lvl.get(f"{W}val", "0")) if lvl is not None else 0
        based = style.find(f"{W}basedOn")
        info.based_on = based.get(f"{W}val") if based is not None else None
        styles[sid] = info
    return styles


def _text(el: ElementTree.Element) -> str:
    parts: list[str] = []
    for node in el.iter():
        if node.tag == f"{W}t" and node.text:
            parts.append(node.text)
        elif node.tag == f"{W}tab":
            parts.append("\t")
        elif node.tag in (f"{W}br", f"{W}cr"):
            parts.append(" ")
    return "".join(parts)


def read_docx(path: Path) -> tuple[list[Line], str | None]:
    """Lines (with numbering labels prepended) and the document title from its properties."""
    try:
        with zipfile.ZipFile(path) as zf:
            document = _parse(zf, "word/document.xml")
            if document is None:
                raise DocumentError("not a Word document (no word/document.xml in the .docx)")
            numbering = _numbering(_parse(zf, "word/numbering.xml"))
            styles = _styles(_parse(zf, "word/styles.xml"))
            core = _parse(zf, "docProps/core.xml")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DocumentError(f"not a readable .docx (zip): {exc}") from None
    except ElementTree.ParseError as exc:
        raise DocumentError(f"not a readable .docx: broken XML ({exc})") from None
    title = None
    if core is not None:
        for el in core.iter():
            if el.tag.endswith("}title") and el.text and el.text.strip():
                title = " ".join(el.text.split())
    body = document.find(f"{W}body")
    lines: list[Line] = []
    if body is None:
        return lines, title
    table_count = 0

    def style_of(sid: str | None) -> _Style:
        seen = 0
        info = _Style()
        while sid and sid in styles and seen < 10:
            s = styles[sid]
            info = _Style(info.heading if info.heading is not None else s.heading,
                          info.num_id if info.num_id is not None else s.num_id,
                          info.ilvl if info.num_id is not None else s.ilvl)
            sid = s.based_on
            seen += 1
        return info

    def paragraph(p: ElementTree.Element) -> None:
        ppr = p.find(f"{W}pPr")
        sid = None
        num_id, ilvl = None, 0
        if ppr is not None:
            pstyle = ppr.find(f"{W}pStyle")
            sid = pstyle.get(f"{W}val") if pstyle is not None else None
        style = style_of(sid)
        heading = style.heading
        num_id, ilvl = style.num_id, style.ilvl
        if ppr is not None:
            numpr = ppr.find(f"{W}numPr")
            if numpr is not None:
                nid, lvl = numpr.find(f"{W}numId"), numpr.find(f"{W}ilvl")
                if nid is not None:
                    num_id = nid.get(f"{W}val")
                if lvl is not None:
                    ilvl = int(lvl.get(f"{W}val", "0"))
            outline = ppr.find(f"{W}outlineLvl")
            if outline is not None and heading is None:
                heading = int(outline.get(f"{W}val", "0")) + 1
        text = _text(p).strip()
        if not text:
            return
        label = numbering.label(num_id, ilvl) if num_id else ""
        depth = ilvl if num_id and label else None
        indent = _indent(ppr)
        if indent is None and depth is not None and num_id:
            indent = numbering.indent(num_id, ilvl)
        lines.append(Line(f"{label} {text}".strip() if label else text, heading=heading, depth=depth,
                          indent=indent // 90 if indent is not None and depth is not None else None))

    def table(tbl: ElementTree.Element) -> None:
        nonlocal table_count
        table_count += 1
        for i, tr in enumerate(tbl.findall(f"{W}tr")):
            cells = tuple(" ".join(" ".join(_text(p).split()) for p in tc.iter(f"{W}p")).strip()
                          for tc in tr.findall(f"{W}tc"))
            trpr = tr.find(f"{W}trPr")
            header = trpr is not None and trpr.find(f"{W}tblHeader") is not None
            lines.append(Line(" | ".join(cells), cells=cells, header=header and i == 0, table=table_count))

    def walk(container: ElementTree.Element) -> None:
        for child in container:
            if child.tag == f"{W}p":
                paragraph(child)
            elif child.tag == f"{W}tbl":
                table(child)
            elif child.tag == f"{W}sdt":
                content = child.find(f"{W}sdtContent")
                if content is not None:
                    walk(content)

    walk(body)
    return lines, title
