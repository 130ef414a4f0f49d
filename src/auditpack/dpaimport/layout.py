"""From the lines of a file to the paragraphs, headings and table rows of the agreement.

Every format ends up here as :class:`Line` s: plain text and PDF text layers as physical lines
(which this module rejoins, dropping page furniture, tables of contents and hyphenation), Word
and Markdown with what the format already says (heading levels, list depth, table cells).
The result is a list of :class:`Unit` s that :mod:`.outline` numbers into blocks.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .labels import parse_label


@dataclass
class Line:
    """One line of a source file, with what its format says about it."""

    text: str
    heading: int | None = None  # explicit heading level (Word heading style, Markdown "#")
    depth: int | None = None  # explicit list depth (Word ilvl, Markdown nesting)
    indent: int | None = None  # explicit indentation in columns (Word: the list level's left indent)
    cells: tuple[str, ...] | None = None  # a row of a real table (Word table, Markdown pipes)
    header: bool = False  # the header row of its table
    table: int = 0  # which table the row belongs to


@dataclass
class Unit:
    """A paragraph, heading candidate or table row, before numbering."""

    text: str  # whitespace normalised, label included
    indent: int = 0  # columns of indentation (explicit depth counts as 4 per level)
    heading: int | None = None  # explicit heading level
    heading_hint: bool = False  # a short title-like single line (or a Word/Markdown hint)
    cells: tuple[str, ...] | None = None
    header: tuple[str, ...] = ()
    table: int = 0
    lines: int = 1
    explicit_depth: bool = False


TERMINAL = (".", ";", ":", "!", "?")
TOC_TITLE = re.compile(
    r"^\W*(inhoud|inhoudsopgave|inhoudstafel|inhoudsindex|table of contents|contents|sommaire|"
    r"table des mati[eè]res|inhaltsverzeichnis|inhalt)\W*$", re.I)
TOC_ENTRY = re.compile(r"^\s*(?:#+\s*)?(.{2,140}?)(?:\s*(?:\.{2,}|…+|_{3,}|·{2,})\s*|\t+|\s{3,})(\d{1,3})\s*$")
PAGE_NUMBER = re.compile(
    r"^\W*(?:(?:page|pagina|seite|blz\.?|p\.)\s*)?\d{1,3}(?:\s*(?:of|van|/|von|sur|de)\s*\d{1,3})?\W*$", re.I)
PAGE_LINE = re.compile(  # stricter than PAGE_NUMBER: anywhere in a text export ("1." alone may be a label)
    r"^(?:(?:page|pagina|seite|blz\.?|p\.)\s*\d{1,3}(?:\s*(?:of|van|/|von|sur|de)\s*\d{1,3})?|-\s*\d{1,3}\s*-|"
    r"\d{1,3}\s*/\s*\d{1,3}|\d{1,3})$", re.I)
URL_ONLY = re.compile(r"^(?:https?://)?(?:www\.)?[\w.-]+\.[a-z]{2,}(?:/\S*)?$", re.I)
BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def normalise(text: str) -> str:
    return " ".join(text.split())


# -- page furniture --------------------------------------------------------------------------

def drop_page_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Remove running headers/footers (a line repeated at the top or bottom of most pages,
    digits ignored) and bare page numbers."""

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", normalise(line)).casefold()

    def edges(page: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(page) if line.strip()]
        return filled[:3] + filled[-3:]

    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({key(page[i]) for i in edges(page)})
    threshold = max(2, (len(pages) + 1) // 2)
    out = []
    for page in pages:
        drop = {i for i in edges(page)
                if (len(pages) > 1 and counts[key(page[i])] >= threshold) or PAGE_NUMBER.match(page[i].strip())}
        out.append([line for i, line in enumerate(page) if i not in drop])
    return out


def drop_repeated_lines(lines: list[str]) -> list[str]:
    """A text export of a PDF keeps its headers and footers without page breaks: a bare web
    address that occurs more than once, a short line that occurs three times or more (digits
    ignored) and a bare page number are furniture, not clauses. Table cells (tab-indented)
    and numbered or bulleted lines are never dropped."""
    def url(line: str) -> str:
        return re.sub(r"^(https?://)?(www\.)?", "", line.strip().casefold()).rstrip("/")

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", normalise(line)).casefold()

    def candidate(line: str) -> bool:
        text = line.strip()
        return (bool(re.search(r"\w", text)) and not line.startswith("\t") and not text.startswith("|")
                and len(text) <= 100 and parse_label(text) is None)

    urls = Counter(url(line) for line in lines if URL_ONLY.match(line.strip()))
    repeated = Counter(key(line) for line in lines if candidate(line))
    return [line for line in lines
            if not (URL_ONLY.match(line.strip()) and urls[url(line)] > 1)
            and not (candidate(line) and (repeated[key(line)] >= 3 or PAGE_LINE.match(line.strip())))]


def undouble(lines: list[str]) -> list[str]:
    """A double-spaced export (an empty line after every line) keeps its paragraphs apart with
    longer blank runs: a single empty line is line spacing, a run of blanks is a break."""
    filled = [i for i, line in enumerate(lines[:-1]) if line.strip()]
    if len(filled) < 10 or sum(1 for i in filled if not lines[i + 1].strip()) < 0.8 * len(filled):
        return lines
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].strip():
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j - i >= 2:
            out.append("")
        i = j
    return out


# -- tables of contents ---------------------------------------------------------------------

def _toc_title(entry: str) -> str:
    label = parse_label(entry.strip())
    text = label.rest if label and label.kind != "bullet" else entry
    return normalise(re.sub(r"[\W\d_]+", " ", text)).casefold()


def drop_table_of_contents(lines: list[str]) -> list[str]:
    """Drop a table of contents: its title and the entries ending in page numbers whose titles
    come back later as headings. A TOC line is never a clause."""
    out: list[str] = []
    i = 0
    later = [_toc_title(line) for line in lines]
    while i < len(lines):
        titled = bool(TOC_TITLE.match(lines[i].strip()))
        j = i + 1 if titled else i
        entries: list[int] = []
        while j < len(lines) and (not lines[j].strip() or TOC_ENTRY.match(lines[j])):
            if lines[j].strip():
                entries.append(j)
            j += 1
        # trim trailing blank lines back into the document
        while j > i and not lines[j - 1].strip():
            j -= 1
        if entries:
            end = entries[-1] + 1
            titles = [_toc_title(m.group(1)) for k in entries if (m := TOC_ENTRY.match(lines[k]))]
            found = sum(1 for title in titles if _found_later(title, later, end))
            if (titled and found >= len(entries) / 2) or (len(entries) >= 3 and found >= 2 * len(entries) / 3):
                i = end
                continue
        if titled and not entries:
            out.append(lines[i])
            i += 1
            continue
        out.append(lines[i])
        i += 1
    return out


def _found_later(title: str, later: list[str], start: int) -> bool:
    return bool(title) and any(t.startswith(title) or (t and title.startswith(t) and len(t) > 8)
                               for t in later[start:])


# -- tables in text -------------------------------------------------------------------------

def _tab_cells(text: str) -> list[str]:
    return [normalise(c) for c in text.strip().split("\t") if c.strip()]


def _label_tab(text: str) -> str:
    """ "1.\tDefinitions" is a numbered line, not a two-column table: the tab becomes a space."""
    stripped = text.strip()
    head, _, tail = stripped.partition("\t")
    if tail and "\t" not in tail.strip():
        label = parse_label(f"{head} x")
        if label and label.kind != "bullet" and label.rest == "x":
            return text.replace("\t", " ", 1)
    return text


def _is_label(cell: str) -> bool:
    label = parse_label(f"{cell} Text")
    return label is not None and label.rest == "Text"


def _aligned_columns(rows: list[str]) -> list[tuple[str, ...]] | None:
    """Split lines laid out in columns (two or more spaces between columns, column starts
    aligned) into cells; None when they are not a table. A line with text in one column only
    ("storage)" under "Amazon Web Services EMEA SARL (hosting and") is that cell wrapping: it
    continues the row above."""
    full = [r for r in rows if _has_gap(r)]
    if len(full) < 2:
        return None
    starts = _column_starts(full)
    if starts is None:
        return None
    width = max(len(r) for r in rows)
    table: list[tuple[str, ...]] = []
    for r in rows:
        padded = r.ljust(width)
        cells = tuple(normalise(padded[a:b]) for a, b in zip(starts, [*starts[1:], width]))
        if any(len(c) > 60 for c in cells):
            return None  # prose, not a cell
        if table and not _has_gap(r):
            filled = [k for k, c in enumerate(cells) if c]
            k = filled[0] if len(filled) == 1 else -1
            if k < 0 or padded[starts[k]] == " " or (starts[k] > 0 and padded[starts[k] - 1] != " "):
                return None
            table[-1] = tuple(normalise(f"{c} {cells[k]}") if n == k else c for n, c in enumerate(table[-1]))
            continue
        table.append(cells)
    if sum(1 for row in table for c in row if c) < len(table) * 2:
        return None
    return table


def _column_starts(rows: list[str]) -> list[int] | None:
    """Where the columns of lines laid out in columns start; None when there is one column."""
    width = max(len(r) for r in rows)
    padded = [r.ljust(width) for r in rows]
    blank = [all(r[i] == " " for r in padded) for i in range(width)]
    starts = [0]
    i = 0
    while i < width:
        if blank[i]:
            j = i
            while j < width and blank[j]:
                j += 1
            # a column starts at j when most rows have text there, mostly after a gap of two or
            # more spaces (one space in a justified prose line is no column)
            opened = [r for r in padded if j < width and r[j] != " "]
            wide = [r for r in opened if r[i - 1] == " "] if j - i < 2 else opened
            if 0 < i and j < width and len(opened) >= max(2, (len(rows) + 1) // 2) and \
                    len(wide) >= 2 * len(opened) / 3:
                starts.append(j)
            i = j
        else:
            i += 1
    return starts if len(starts) >= 2 else None


def _wraps_cell(lines: list[str], first: int, j: int, last: bool = False) -> bool:
    """Whether line ``j`` of a column layout that began at ``first`` may be a cell wrapped onto
    its own line: short, no gap, after at least two rows, and followed by another row or by the
    end of the block (a longer line after the table is prose, not a cell)."""
    text = lines[j].strip()
    if j < first + 2 or _has_gap(lines[j]) or not text or len(text) > 60 or parse_label(text) is not None:
        return False
    if not (_has_gap(lines[j - 1]) or _wraps_cell(lines, first, j - 1)):
        return False
    nxt = lines[j + 1] if j + 1 < len(lines) else ""
    return not nxt.strip() or _has_gap(nxt) or (not last and len(nxt.strip()) <= 60)


def _has_gap(line: str) -> bool:
    return bool(re.search(r"\S {2,}\S", line.strip()))


# -- plain text to units --------------------------------------------------------------------

def text_units(raw: list[str], *, wrapped: bool | None = None, markdown: bool = False) -> list[Unit]:
    """Units of a plain-text or PDF text-layer document (its physical lines, furniture removed)."""
    lines = [BOOKMARK.sub("", line) if "[bookmark:" in line else line for line in raw]
    # in Markdown an empty line ends a paragraph: one-line paragraphs are not a double-spaced export
    lines = drop_table_of_contents(lines if markdown else undouble(lines))
    hints = {i for i, line in enumerate(raw) if "[bookmark: _Toc" in line}
    hint_texts = {normalise(BOOKMARK.sub("", raw[i])) for i in hints}
    if wrapped is None:
        wrapped = _looks_wrapped(lines) and not markdown
    width = _wrap_width(lines)
    units: list[Unit] = []
    table_id = 0
    i = 0
    blank_before = True
    while i < len(lines):
        line = lines[i].rstrip()
        stripped = line.strip()
        if not stripped:
            blank_before = True
            i += 1
            continue
        # Markdown pipe table
        if stripped.startswith("|") and stripped.count("|") >= 2:
            table_id += 1
            i = _pipe_table(lines, i, table_id, units)
            blank_before = False
            continue
        # a text table whose cells are separated by " | " without the Markdown frame
        if (rows := _bare_pipe_rows(lines, i)) is not None:
            table_id += 1
            _add_rows(units, rows, table_id)
            i += len(rows)
            blank_before = False
            continue
        # Word table exported as text: cells on tab-indented lines, rows separated by blank lines
        if line.startswith("\t"):
            j, rows = _tab_block(lines, i)
            if len(rows) >= 2 and len({len(r) for r in rows}) <= 2 and min(len(r) for r in rows) >= 2:
                table_id += 1
                _add_rows(units, rows, table_id)
                i = j
                blank_before = False
                continue
        line = _label_tab(line)
        if "\t" in line.strip() and len(_tab_cells(line)) >= 2:
            table_id += 1
            rows = []
            while i < len(lines) and "\t" in lines[i].strip() and len(_tab_cells(_label_tab(lines[i]))) >= 2:
                rows.append(tuple(_tab_cells(lines[i])))
                i += 1
                if i + 1 < len(lines) and not lines[i].strip() and "\t" in lines[i + 1].strip():
                    i += 1
            _add_rows(units, rows, table_id)
            blank_before = False
            continue
        if _has_gap(line) and i + 1 < len(lines) and _has_gap(lines[i + 1]) and not markdown:
            j = i
            while j < len(lines) and lines[j].strip() and (_has_gap(lines[j]) or _wraps_cell(lines, i, j)):
                j += 1
            while j > i and not _has_gap(lines[j - 1]) and not _wraps_cell(lines, i, j - 1, last=True):
                j -= 1
            indent = min(len(x) - len(x.lstrip()) for x in lines[i:j])
            table = _aligned_columns([x.rstrip()[indent:] for x in lines[i:j]])
            if table is not None and all(_is_label(row[0]) for row in table):
                table = None  # "(a)   encrypt ..." / "1.1   The Processor ...": a hanging indent, not a table
            if table is not None:
                table_id += 1
                _add_rows(units, [tuple(c for c in row) for row in table], table_id)
                i = j
                blank_before = False
                continue
        # a paragraph: this line and the ones that continue it
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        md_heading = None
        if markdown and (m := re.match(r"^(#{1,6})\s+(.*?)\s*#*$", stripped)):
            md_heading = len(m.group(1))
            stripped = m.group(2)
        if markdown and i + 1 < len(lines) and re.match(r"^(=+|-+)\s*$", lines[i + 1].strip()) and \
                not parse_label(stripped):
            md_heading = 1 if lines[i + 1].strip().startswith("=") else 2
            units.append(Unit(normalise(_md(stripped)), indent, md_heading, True))
            i += 2
            blank_before = True
            continue
        if markdown and re.match(r"^([-*_])(\s*\1){2,}$", stripped):
            i += 1
            continue
        parts = [stripped]
        i += 1
        if md_heading is None:
            while i < len(lines):
                nxt = lines[i].rstrip()
                if not nxt.strip():
                    break
                if not _continues(parts, nxt, wrapped, markdown, width):
                    break
                parts.append(nxt.strip())
                i += 1
        text = _join(parts, dehyphenate=wrapped)
        if markdown:
            text = _md(text)
        unit = Unit(normalise(text), indent, md_heading, md_heading is not None, lines=len(parts))
        unit.heading_hint = unit.heading_hint or normalise(stripped) in hint_texts
        if not blank_before and units and _continuation_of(units[-1], unit):
            _merge(units[-1], unit)
        elif blank_before and units and (_continuation_of(units[-1], unit, across_blank=True) or
                                         (wrapped and _runs_over_break(units[-1], unit))):
            _merge(units[-1], unit)
        else:
            units.append(unit)
        blank_before = False
    return units


def _md(text: str) -> str:
    text = MD_EMPHASIS.sub(r"\2", text)
    return re.sub(r"`([^`]*)`", r"\1", text)


def _tab_block(lines: list[str], i: int) -> tuple[int, list[tuple[str, ...]]]:
    rows: list[tuple[str, ...]] = []
    j = i
    while j < len(lines):
        if not lines[j].strip():
            j += 1
            continue
        if not lines[j].startswith("\t"):
            break
        cells: list[str] = []
        while j < len(lines) and lines[j].strip():
            if lines[j].startswith("\t"):
                cells.extend(_tab_cells(lines[j]) or [""])
            elif cells:
                cells[-1] = normalise(f"{cells[-1]} {lines[j]}")
            j += 1
        rows.append(tuple(cells))
    while j > i and not lines[j - 1].strip():
        j -= 1
    return j, rows


def _pipe_table(lines: list[str], i: int, table_id: int, units: list[Unit]) -> int:
    rows: list[tuple[str, ...]] = []
    header: tuple[str, ...] = ()
    while i < len(lines) and lines[i].strip().startswith("|"):
        cells = tuple(normalise(_md(c)) for c in lines[i].strip().strip("|").split("|"))
        if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            if rows and not header:
                header = rows.pop()
        else:
            rows.append(cells)
        i += 1
    for row in rows:
        units.append(Unit(" | ".join(c for c in row if c), cells=row, header=header, table=table_id))
    return i


def _bare_pipe_rows(lines: list[str], i: int) -> list[tuple[str, ...]] | None:
    """The rows of a text table written "Name | Service | Location" line by line (no outer "|"):
    at least two consecutive lines with the same number of " | "-separated cells, or None."""
    def cells(line: str) -> tuple[str, ...] | None:
        parts = tuple(normalise(c) for c in line.strip().split(" | "))
        return parts if len(parts) >= 2 and all(parts) else None

    first = cells(lines[i])
    if first is None:
        return None
    rows = [first]
    while i + len(rows) < len(lines) and (row := cells(lines[i + len(rows)])) is not None and len(row) == len(first):
        rows.append(row)
    return rows if len(rows) >= 2 else None


def _add_rows(units: list[Unit], rows: list[tuple[str, ...]], table_id: int) -> None:
    header: tuple[str, ...] = ()
    if len(rows) >= 2 and _looks_like_header(rows[0], rows[1:]):
        header, rows = rows[0], rows[1:]
    for row in rows:
        units.append(Unit(" | ".join(c for c in row if c), cells=row, header=header, table=table_id))


def _looks_like_header(first: tuple[str, ...], rest: list[tuple[str, ...]]) -> bool:
    cells = [c for c in first if c]
    return (len(cells) >= 2 and len(set(first)) == len(first) and first not in rest
            and all(len(c) <= 80 and not c.endswith(".") and not re.search(r"\d{3,}|@|www\.|\*", c) for c in cells))


def _looks_wrapped(lines: list[str]) -> bool:
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    if len(lengths) < 5:
        return False
    return lengths[int(len(lengths) * 0.9)] <= 130 and lengths[-1] <= 200


def _wrap_width(lines: list[str]) -> int:
    lengths = sorted(len(line.rstrip()) for line in lines if line.strip())
    return max(40, lengths[int(len(lengths) * 0.9)] if lengths else 80)


def _starts_block(text: str) -> bool:
    label = parse_label(text.strip())
    if label is None:
        return False
    if label.kind == "number":
        return label.explicit_end and (label.rest[:1].isupper() or label.rest[:1] in "(\"“'")
    if label.kind in ("word", "annex"):
        return not label.rest or label.rest[:1].isupper() or label.rest[:1].isdigit()
    return True


def _continues(parts: list[str], nxt: str, wrapped: bool, markdown: bool, width: int) -> bool:
    """Whether physical line ``nxt`` continues the paragraph made of the lines ``parts``."""
    body = nxt.strip()
    if markdown:
        return not (_starts_block(body) or body.startswith(("#", "|", ">")))
    if not wrapped:
        return False
    first, prev_s = parts[0], parts[-1].rstrip()
    mid_sentence = not prev_s.endswith(TERMINAL)
    if _starts_block(body) and not (mid_sentence and _weak_label(body, first)):
        return False
    short = len(prev_s) < 0.7 * width
    if short and (not mid_sentence or body[:1].isupper() or (len(parts) == 1 and is_title(first))):
        return False
    return True


def _weak_label(text: str, first: str) -> bool:
    """A label that may just be a word wrapped to the start of a line ("10 dagen", "a) " in the
    middle of a sentence); a letter after a lettered item ("a) ...; en" / "b) ...") is not."""
    label = parse_label(text)
    if label is None:
        return False
    if label.kind == "letter":
        before = parse_label(first)
        return before is None or before.kind != "letter"
    return label.kind == "number" and not label.explicit_end


def _join(parts: list[str], *, dehyphenate: bool) -> str:
    text = parts[0]
    for part in parts[1:]:
        if dehyphenate and re.search(r"[^\W\d_]-$", text) and part[:1].islower():
            text = text[:-1] + part if text[-2].islower() else text + part
        else:
            text = f"{text} {part}"
    return text


_FIELD_DASH = re.compile(r"\s[–—-]\s")


_CITATION_TAIL = re.compile(r"\s*\((?:art\.?|arts\.|article|artikel|§|section|clause|para\.?)\s[^()]*\)\s*$", re.I)


def is_title(text: str) -> bool:
    """A short line that reads like a heading: few words, no closing punctuation; not a row
    of dash-separated fields ("Twilio Ireland Limited – Sending of SMS notifications – Ireland")."""
    t = text.strip()
    # a legal reference in brackets after the title ("Confidentiality (Art. 32 para. 1 lit. b GDPR)",
    # "… (Art. 32 para. 1 lit. d GDPR; Art. 25 para. 1 GDPR)") is no part of its length
    t = _CITATION_TAIL.sub("", t) or t
    words = t.split()
    return (0 < len(words) <= 10 and len(t) <= 90 and not t.endswith((*TERMINAL, ",")) and t[:1].isupper()
            and not re.search(r"\w: ", t) and "*" not in t and len(_FIELD_DASH.findall(t)) < 2)


def _continuation_of(prev: Unit, unit: Unit, across_blank: bool = False) -> bool:
    """A line that only continues the previous paragraph (a page break in a text export):
    it starts in lower case and the previous one stopped mid-sentence."""
    if prev.cells is not None or unit.cells is not None or prev.heading is not None:
        return False
    label = parse_label(unit.text)
    body = label.rest if label and label.kind == "bullet" else unit.text
    if label and label.kind != "bullet":
        return False
    prev_label = parse_label(prev.text)
    inner = parse_label(prev_label.rest) if prev_label and prev_label.kind == "bullet" else None
    if inner is not None and inner.kind == "number":
        prev_label = inner  # "- 4.2 Verwerker ...": a numbered clause behind a stray dash
    if label and prev_label and prev_label.kind == "bullet":
        return False
    if across_blank and not label and is_title(prev.text) and prev.lines == 1:
        return False
    if not label and prev.text.endswith(",") and len(prev.text.split()) >= 5 and not capitals(unit.text):
        # "… does not reasonably satisfy the Customer," / page break / "Larchmere shall …"; a line
        # in capitals ("OVERWEGENDE DAT:", "WHEREAS:") after the parties' comma opens a section
        return True
    return bool(body[:1].islower()) and not prev.text.endswith(TERMINAL) and \
        not (prev.lines == 1 and is_title(prev.text))


def _runs_over_break(prev: Unit, unit: Unit) -> bool:
    """A wrapped paragraph that stops in the middle of a sentence ("3.1 … in the Processing of
    Customer") and an unlabelled line after the break ("Personal Data are …", a capitalised
    defined term): a page break cut the sentence, whatever the next word's case. Not a title,
    a short line or a row of dash-separated fields, which end without punctuation anyway."""
    if prev.cells is not None or unit.cells is not None or prev.heading is not None or unit.heading is not None:
        return False
    if len(prev.text.split()) < 8 or not prev.text[-1:].isalpha() or parse_label(unit.text) is not None:
        return False
    if is_title(prev.text) or any(len(_FIELD_DASH.findall(t)) >= 2 for t in (prev.text, unit.text)):
        return False
    return not capitals(unit.text) and not (unit.lines == 1 and is_title(unit.text))


def capitals(text: str) -> bool:
    """A line written in capitals: a heading or a caption, never the rest of a sentence."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _merge(prev: Unit, unit: Unit) -> None:
    label = parse_label(unit.text)
    body = label.rest if label and label.kind == "bullet" else unit.text
    prev.text = normalise(f"{prev.text} {body}")
    prev.lines += unit.lines


# -- Word: already paragraphs ---------------------------------------------------------------

def word_units(lines: list[Line]) -> list[Unit]:
    units: list[Unit] = []
    tables: dict[int, list[Line]] = {}
    for line in lines:
        if line.cells is not None:
            tables.setdefault(line.table, []).append(line)
            if len(tables[line.table]) == 1:
                units.append(Unit("", table=line.table, cells=()))  # placeholder, filled below
            continue
        text = normalise(line.text)
        if not text:
            continue
        indent = line.indent if line.indent is not None else 4 * line.depth if line.depth is not None else 0
        units.append(Unit(text, indent, line.heading, line.heading is not None or is_title(text),
                          explicit_depth=line.depth is not None))
    out: list[Unit] = []
    for unit in units:
        if unit.cells == () and unit.table in tables:
            rows = [tuple(normalise(c) for c in r.cells or ()) for r in tables[unit.table]]
            rows = [r for r in rows if any(r)]
            if rows and tables[unit.table][0].header:
                header, body = rows[0], rows[1:]
                out.extend(Unit(" | ".join(c for c in r if c), cells=r, header=header, table=unit.table) for r in body)
            elif rows:
                _add_rows(out, rows, unit.table)
        else:
            out.append(unit)
    return out
