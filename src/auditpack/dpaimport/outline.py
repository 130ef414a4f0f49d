"""Number the units of a document into blocks whose refs follow the built-in profiles.

The document's own numbering wins ("Artikel 3.1", "6.2 a)", "Clause 3.2 (ii), bullet 1",
"Bijlage 1, 1.A"); where it has none, the place is named by its heading ("Audits, paragraph 2",
"Technische en organisatorische maatregelen, bullet 5.4"). See docs/profiles.md.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .labels import MEMBER_WORDS, PART_WORDS, Label, is_roman, parse_label
from .layout import TERMINAL, Unit, capitals, is_title
from .model import BlockKind

# a lettered section heading inside an annex ("A. Fysieke beveiliging" under "Bijlage 1")
_LETTERED_HEADING = re.compile(r"^([A-Z])\.\s+(\S.*)$")
# a part of an annex ("Part B – Approved Sub-processors" under "Schedule 1")
_PART_HEADING = re.compile(
    rf"^((?:{'|'.join(PART_WORDS)})\s+(?:[A-Z]|\d{{1,2}}|[IVX]{{1,4}}))\b\.?(?:\s*[-–—:]\s*|\s+)?(\S.*)?$", re.I)


@dataclass
class _Heading:
    level: int
    ref: str | None  # None: a title-only heading before the first real section (not a container)
    title: str
    labelled: bool
    word: str | None = None  # "Artikel", "Clause": the prefix its members take ("Artikel 3.1")
    number: tuple[str, ...] = ()
    annex: bool = False


@dataclass
class _BulletLevel:
    indent: int
    parent: str  # the ref the bullets hang from
    nested: bool  # a sub-list: refs are "<parent>.N" instead of "<parent>, bullet N"
    colon: bool = False  # nested because the previous item ended with ":" (flat text exports)
    count: int = 0
    last_ref: str = ""
    last_text: str = ""


@dataclass
class _State:
    headings: list[_Heading] = field(default_factory=list)
    clauses: list[tuple[tuple[str, ...], str]] = field(default_factory=list)  # (number, ref)
    letters: list[tuple[str, str, str]] = field(default_factory=list)  # (style key, ref, letter)
    bullets: list[_BulletLevel] = field(default_factory=list)
    counters: Counter[tuple[str, str]] = field(default_factory=Counter)
    last_number: tuple[str, ...] | None = None
    explicit_levels: dict[int, int] = field(default_factory=dict)
    untitled: tuple[_Heading, Drafted | None] | None = None  # "Clause 7" waiting for its title line


@dataclass
class Drafted:
    """A block before its final ref is fixed, with the text to show the reviewer."""

    ref: str
    kind: BlockKind
    text: str
    shown: str
    headings: tuple[str, ...]
    level: int
    parent: str | None
    cells: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    table: int = 0


SIGNATURES = "Signatures"
CLOSING = re.compile(
    r"^(opgemaakt te|aldus (opgemaakt|overeengekomen)|gedaan te|in witness whereof|signed (on|at|in|for|by)|"
    r"executed (on|at|in|as)|fait à|so vereinbart|ort, datum)|"
    r"\bin (twee|drie|zoveel|\d+) (exemplaren|originelen)\b|\bin (two|three|\d+) (originals|counterparts|copies)\b|"
    r"\ben (deux|trois|\d+) exemplaires\b", re.I)


def outline(units: list[Unit]) -> list[Drafted]:
    state = _State()
    out: list[Drafted] = []
    for i, unit in enumerate(units):
        if i > len(units) / 2 and unit.cells is None and not parse_label(unit.text) and CLOSING.search(unit.text) \
                and not any(h.ref == SIGNATURES for h in state.headings):
            # the closing and signature block is no part of the clause or annex above it
            _push_heading(state, _Heading(1, SIGNATURES, SIGNATURES, False), unit, "", out)
            out.pop()
        _one(state, unit, out)
    return _single_paragraph_headings(out)


def _titles(state: _State) -> tuple[str, ...]:
    return tuple(h.title for h in state.headings)


def _heading_ref(state: _State) -> str | None:
    for h in reversed(state.headings):
        if h.ref is not None:
            return h.ref
    return None


def _annex(state: _State) -> _Heading | None:
    return next((h for h in reversed(state.headings) if h.annex), None)


def _annex_section(state: _State, annex: _Heading, level: int) -> str:
    """The ref a group heading at ``level`` hangs from in ``annex``: the annex, or the numbered
    section of it that encloses the heading ("1. Confidentiality" -> "Annex 1, 1")."""
    enclosing = next((h for h in reversed(state.headings) if h.level < level), None)
    if enclosing is not None and enclosing.labelled and enclosing.ref and enclosing.ref.startswith(f"{annex.ref}, "):
        return enclosing.ref
    return annex.ref or ""


def _container(state: _State) -> str | None:
    if state.letters:
        return state.letters[-1][1]
    if state.clauses:
        return state.clauses[-1][1]
    return _heading_ref(state)


def _base_level(state: _State) -> int:
    return len(state.clauses) + len(state.letters)


def _count(state: _State, parent: str | None, kind: str) -> int:
    state.counters[(parent or "", kind)] += 1
    return state.counters[(parent or "", kind)]


def _join(parent: str | None, tail: str) -> str:
    return f"{parent}, {tail}" if parent else tail


def _numeric(number: tuple[str, ...]) -> tuple[int, ...] | None:
    try:
        return tuple(int(n) for n in number)
    except ValueError:
        return None


def _plausible(last: tuple[str, ...] | None, number: tuple[str, ...]) -> bool:
    """Whether ``number`` can follow ``last`` in an outline: a first child, or the next sibling
    at some level ("10 dagen" after 5.3 is a wrapped word, not clause 10)."""
    new = _numeric(number)
    if new is None:
        return True
    if last is None or _numeric(last) is None:
        return new[-1] in (0, 1) or len(new) == 1
    old = _numeric(last)
    assert old is not None
    if new == (*old, 1):
        return True
    return any(new == (*old[:k], old[k] + 1) for k in range(len(old))) or new[:-1] == old[:-1] and new[-1] > old[-1]


def _prefix(state: _State, number: tuple[str, ...], listy: bool = False) -> str:
    """How a number is written in a ref: "Artikel 3.1" under "Artikel 3", "Bijlage 1, 1.A" in an annex,
    "Security measures, 2" for a numbered list under an unnumbered heading."""
    num = ".".join(number)
    for h in reversed(state.headings):
        if h.word and h.number and len(number) > len(h.number) and number[: len(h.number)] == h.number:
            return f"{h.word} {num}"
    member = _member_of(state, number)
    if member is not None:
        return member
    annex = _annex(state)
    if annex is not None and annex.ref:
        return f"{annex.ref}, {num}"
    section = next((h for h in reversed(state.headings) if h.labelled and h.number), None)
    if section is not None and _numeric(section.number) is None and _numeric(number) is not None:
        return f"{section.ref}.{num}"  # members "1." under "II. Obligations" are "II.1"
    top = state.headings[-1] if state.headings else None
    if listy and len(number) == 1 and top is not None and top.ref and not any(h.labelled for h in state.headings):
        return f"{top.ref}, {num}"
    if (len(number) == 1 and top is not None and top.ref and not top.labelled and state.last_number is not None
            and _numeric(number) is not None and _numeric(state.last_number[:1]) is not None
            and int(number[0]) <= int(state.last_number[0])):
        return f"{top.ref}, {num}"  # a restarted numbered list under an unnumbered heading
    return num


def _member_of(state: _State, number: tuple[str, ...]) -> str | None:
    """A member "1." that restarts under a numbered article ("Artikel 4." then "1.", "2."), as the
    law of the document's language cites it: "Artikel 4 lid 1" in Dutch, "§ 4 (1)" / "Article 4 (1)"
    otherwise (the EU's and German "Article 4(1)", "§ 4 Abs. 1")."""
    if len(number) != 1 or _numeric(number) is None:
        return None
    top = next((h for h in reversed(state.headings) if h.labelled), None)
    if top is None or not top.word or not top.number or top.annex or top is not state.headings[-1]:
        return None
    if state.clauses and len(state.clauses[-1][0]) > 1:
        return None  # "1." after "4.2" is no member of the article
    return f"{top.ref} {MEMBER_WORDS.get(top.word, '({})').format(number[0])}"


def _reset_below_heading(state: _State) -> None:
    state.clauses.clear()
    state.letters.clear()
    state.bullets.clear()


def _push_heading(state: _State, heading: _Heading, unit: Unit, shown: str, out: list[Drafted]) -> None:
    while state.headings and state.headings[-1].level >= heading.level:
        state.headings.pop()
    outer = _heading_ref(state)
    titles = _titles(state)
    state.headings.append(heading)
    _reset_below_heading(state)
    drafted = Drafted(heading.ref, "heading", heading.title, shown, titles, 0, outer) if heading.ref else None
    if drafted is not None:
        out.append(drafted)
    state.untitled = (heading, drafted) if heading.labelled and heading.title == heading.ref else None


def _is_heading_text(unit: Unit, rest: str) -> bool:
    """A heading by its format (Word style, Markdown "#"), its export ("[bookmark: _Toc…]"), or a
    single short title-like line."""
    if unit.heading is not None:
        return True
    if unit.lines != 1 or unit.explicit_depth:
        return False
    # a caption in capitals that opens what follows ("OVERWEGENDE DAT:", "WHEREAS:") is a heading too
    return is_title(rest) or (unit.heading_hint and not rest.endswith((".", ";", ":")) and len(rest) <= 150) \
        or (rest.endswith(":") and len(rest.split()) <= 6 and capitals(rest))


def _title_line(unit: Unit) -> bool:
    """The line under "Clause 7" / "ANNEX III" that names it ("Obligations of the Parties")."""
    text = unit.text
    return (unit.cells is None and unit.lines == 1 and parse_label(text) is None and len(text.split()) <= 20
            and text[:1].isupper() and not text.endswith((".", ";", ",")) and not re.search(r"\w: ", text))


def _one(state: _State, unit: Unit, out: list[Drafted]) -> None:
    untitled, state.untitled = state.untitled, None
    if untitled is not None and _title_line(unit):
        heading, drafted = untitled
        heading.title = unit.text.rstrip(":")
        if drafted is not None:
            drafted.text = heading.title
            drafted.shown = f"{drafted.shown}\n{unit.text}"
        return
    if unit.cells is not None:
        parent = _container(state)
        n = _count(state, parent, "row")
        out.append(Drafted(_join(parent, f"row {n}"), "table_row", unit.text, unit.text, _titles(state),
                           _base_level(state), parent, unit.cells, unit.header, unit.table))
        return
    label = parse_label(unit.text)
    if label is not None and label.kind == "bullet":
        inner = parse_label(label.rest)  # "- 1.1 Verwerker ..." in a PDF export is clause 1.1
        if inner is not None and inner.kind == "number" and inner.explicit_end and \
                _plausible(state.last_number, inner.number) and inner.rest[:1].isupper():
            label = inner
    if label is not None and label.kind == "number" and not (
            (label.explicit_end or _plausible(state.last_number, label.number))
            and (label.rest[:1].isupper() or label.rest[:1] in "(\"“'" or label.explicit_end)):
        label = None
    if label is not None and label.kind in ("word", "annex") and label.rest[:1].islower():
        label = None

    if label is not None and label.kind == "annex" and (
            unit.heading is not None or not label.rest or _is_heading_text(unit, label.rest)
            or (len(label.rest.split()) <= 14 and not label.rest.endswith((".", ";")))
            # the SCCs' own long title in capitals ("ANNEX II – TECHNICAL AND ORGANISATIONAL
            # MEASURES INCLUDING … THE SECURITY OF THE DATA") is a heading whatever its length
            or (capitals(label.rest) and not label.rest.endswith((".", ";")))):
        heading = _Heading(1, label.shown, label.rest or label.shown, True, annex=True)
        _push_heading(state, heading, unit, unit.text, out)
        state.last_number = None
        return
    if label is not None and label.kind in ("word", "number") and (
            not label.rest or _is_heading_text(unit, label.rest)):
        level = len(label.number)
        ref = label.shown if label.kind == "word" else _prefix(state, label.number)
        annex = _annex(state)
        if label.kind == "number" and annex is not None and ref.startswith(f"{annex.ref}, "):
            level += annex.level  # "1. Governance" in "Schedule 2" is a section of the annex, not beside it
        word = label.shown.split(" ")[0] if label.kind == "word" and label.shown.split(" ")[0] != "§" else None
        if label.kind == "word" and label.shown.startswith("§"):
            word = "§"
        if unit.heading is not None:
            state.explicit_levels[unit.heading] = level
        heading = _Heading(level, ref, label.rest or label.shown, True, word=word, number=label.number)
        _push_heading(state, heading, unit, unit.text, out)
        state.last_number = label.number
        return
    if label is None and _is_heading_text(unit, unit.text):
        title = unit.text.rstrip(":").strip()
        if unit.heading is not None:
            level = state.explicit_levels.get(unit.heading, unit.heading)
        else:
            labelled = [h.level for h in state.headings if h.labelled]
            level = max(labelled) + 1 if labelled else 1
        ref = title
        annex = _annex(state)
        lettered = _LETTERED_HEADING.match(title)
        part = _PART_HEADING.match(title)
        if annex is not None and annex.ref and lettered:
            ref, title = f"{annex.ref}, {lettered.group(1)}", lettered.group(2)  # "Bijlage 1, A"
        elif annex is not None and annex.ref and part:
            ref, title = f"{annex.ref}, {part.group(1)}", part.group(2) or part.group(1)  # "Schedule 1, Part B"
        elif annex is not None and annex.ref and unit.heading is None and level > annex.level:
            ref = f"{_annex_section(state, annex, level)}, {title}"  # a group heading in the annex's text:
            # "Appendix 2, Logging", or inside a numbered section of it "Annex 1, 1, Input control"
        if annex is not None and ref != title and ref.startswith(f"{annex.ref}, "):
            level = max(level, annex.level + 1)  # a section of the annex, whatever its heading style says
        _push_heading(state, _Heading(level, ref, title, False), unit, unit.text, out)
        return

    if label is not None and label.kind in ("word", "number"):
        number = label.number
        while state.headings and _passed(state.headings[-1], number):
            state.headings.pop()  # "4.5." after the title-only member "4.4. Certificering" is not under it
        while state.clauses and state.clauses[-1][0] != number[: len(state.clauses[-1][0])]:
            state.clauses.pop()
        if state.clauses and state.clauses[-1][0] == number:
            state.clauses.pop()
        listy = unit.explicit_depth or label.rest[:1].islower()
        ref = label.shown if label.kind == "word" else _prefix(state, number, listy)
        parent = state.clauses[-1][1] if state.clauses else _heading_ref(state)
        state.clauses.append((number, ref))
        state.letters.clear()
        state.bullets.clear()
        state.last_number = number
        out.append(Drafted(ref, "paragraph", label.rest, unit.text, _titles(state), len(state.clauses) - 1, parent))
        return
    if label is not None and label.kind == "letter":
        _letter(state, label, unit, out)
        return
    if label is not None and label.kind == "bullet":
        _bullet(state, label, unit, out)
        return
    parent = _heading_ref(state)
    _reset_below_heading(state)
    n = _count(state, parent, "paragraph")
    out.append(Drafted(_join(parent, f"paragraph {n}"), "paragraph", unit.text, unit.text, _titles(state), 0,
                       parent))


def _passed(heading: _Heading, number: tuple[str, ...]) -> bool:
    """Whether the clause ``number`` comes after the numbered title-only member ``heading`` at
    its depth or above ("4.5" after "4.4. Certificering", "5" after "4.4"): that member's title
    no longer applies. Article headings ("Art. 4", "Artikel 5.") and a list that restarts
    under a numbered heading ("1." under "2. Security") keep theirs."""
    mine = heading.number
    if not heading.labelled or heading.word is not None or heading.annex or not mine or len(number) > len(mine):
        return False
    depth = len(number) - 1
    if number[:depth] != mine[:depth] or not (number[depth].isdigit() and mine[depth].isdigit()):
        return False
    return int(number[depth]) > int(mine[depth])


def _letter(state: _State, label: Label, unit: Unit, out: list[Drafted]) -> None:
    letter = label.letter
    alpha = next((e[2] for e in reversed(state.letters) if e[0] == f"{label.style}:alpha"), None)
    roman = next((e[2] for e in reversed(state.letters) if e[0] == f"{label.style}:roman"), None)
    if alpha is not None and len(letter) == 1 and ord(letter) == ord(alpha) + 1:
        kind = "alpha"  # (c) after (b), even with (i), (ii) in between
    else:
        kind = "roman" if is_roman(letter, roman if roman is not None else alpha) else "alpha"
    key = f"{label.style}:{kind}"
    keys = [entry[0] for entry in state.letters]
    if key in keys:
        del state.letters[keys.index(key):]
    parent = state.letters[-1][1] if state.letters else (state.clauses[-1][1] if state.clauses else None)
    if parent is not None:
        ref = f"{parent} {label.shown}"
    else:
        heading = next((h for h in reversed(state.headings) if h.ref), None)
        parent = heading.ref if heading else None
        ref = (f"{parent} {label.shown}" if heading and heading.labelled else _join(parent, label.shown))
    state.letters.append((key, ref, letter))
    state.bullets.clear()
    out.append(Drafted(ref, "paragraph", label.rest, unit.text, _titles(state), _base_level(state) - 1 + 0,
                       parent))


def _bullet(state: _State, label: Label, unit: Unit, out: list[Drafted]) -> None:
    indent = unit.indent
    stack = state.bullets
    while stack and indent < stack[-1].indent - 1:
        stack.pop()
    if not stack:
        stack.append(_BulletLevel(indent, _container(state) or "", nested=False))
    elif indent > stack[-1].indent + 1 and stack[-1].last_ref:
        stack.append(_BulletLevel(indent, stack[-1].last_ref, nested=True))
    elif stack[-1].last_text.endswith(":") and stack[-1].last_ref and not unit.explicit_depth:
        stack.append(_BulletLevel(stack[-1].indent, stack[-1].last_ref, nested=True, colon=True))
    level = stack[-1]
    level.count += 1
    ref = f"{level.parent}.{level.count}" if level.nested else _join(level.parent or None, f"bullet {level.count}")
    level.last_ref = ref
    level.last_text = label.rest
    out.append(Drafted(ref, "bullet", label.rest, unit.text, _titles(state), _base_level(state) + len(stack) - 1,
                       level.parent or None))
    if level.colon and label.rest.endswith(".") and not label.rest.endswith(TERMINAL[1:]):
        stack.pop()  # a flat sub-list ends with its item that closes the sentence
        stack[-1].last_text = ""  # and the item that opened it does not open another


def _single_paragraph_headings(blocks: list[Drafted]) -> list[Drafted]:
    """A heading that holds one paragraph is that paragraph's ref ("Beëindiging", not
    "Beëindiging, paragraph 1"), as the built-in profiles number them."""
    children: dict[str, list[int]] = {}
    for i, block in enumerate(blocks):
        if block.parent is not None:
            children.setdefault(block.parent, []).append(i)
    drop: set[int] = set()
    for i, block in enumerate(blocks):
        if block.kind != "heading":
            continue
        kids = children.get(block.ref, [])
        if len(kids) == 1 and blocks[kids[0]].kind == "paragraph" and \
                blocks[kids[0]].ref == f"{block.ref}, paragraph 1":
            blocks[kids[0]].ref = block.ref
            blocks[kids[0]].shown = f"{block.shown}\n{blocks[kids[0]].shown}"
            drop.add(i)
    return [b for i, b in enumerate(blocks) if i not in drop]
