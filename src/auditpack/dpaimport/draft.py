"""A draft DPA profile from a read document: clauses, parameters, register, left-overs.

The draft is written in the existing profile format and marked ``[profile] draft = true``;
it is parsed back with the profile validator before it is returned, so a draft that would
not load is never written. Each clause carries its reasons (the words and rules that chose
each measure, with a confidence) as TOML comments, and the sentences that look like
promises but matched no measure are listed as comments for the reviewer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..profiles import Profile, _parse
from .lexicon import Lexicon, load_lexicon
from .model import Document, DocumentError
from .parameters import Parameters, extract_parameters
from .register import Register, extract_register
from .tagger import BlockTags, MeasureTag, SentenceTag, tag_document

QUOTE_CHARS = 220


@dataclass(frozen=True)
class DraftClause:
    ref: str
    heading: str | None
    quote: str
    tags: tuple[MeasureTag, ...]
    parameters: tuple[str, ...]
    start: int  # the block's offsets in Document.text, for the review page
    end: int
    note: str | None = None
    also: tuple[str, ...] = ()  # list items folded into this clause (same measures)


@dataclass(frozen=True)
class Leftover:
    ref: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Draft:
    document: Document
    profile: Profile
    toml: str
    clauses: tuple[DraftClause, ...]
    parameters: Parameters
    register: Register
    leftovers: tuple[Leftover, ...] = field(default_factory=tuple)


def normalise(text: str) -> str:
    return " ".join(text.split())


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """Whitespace normalised; cut at a word boundary with "…" when longer than ``limit``."""
    text = normalise(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut} …"


def _quote(sentences: list[SentenceTag]) -> str:
    """The promising sentences, joined with "…" where sentences between them are left out."""
    parts = [normalise(s.text) for s in sentences]
    if len(parts) <= 1:
        return shorten(parts[0]) if parts else ""
    if len(parts) == 1:
        return shorten(parts[0])
    each = max(QUOTE_CHARS // len(parts), 60)
    return " … ".join(shorten(p, each).removesuffix(" …") for p in parts)


def _toml_str(value: str) -> str:
    return json.dumps(value.replace("\x7f", ""), ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {type(value).__name__}")


def _comment(text: str) -> str:
    return "# " + normalise(text).replace("\r", " ")


def _why(tags: tuple[MeasureTag, ...]) -> list[str]:
    lines = []
    for t in tags:
        words = ", ".join(f"'{p}'" for p in t.phrases[:6]) or "no words"
        lines.append(_comment(f"why {t.measure.value} ({t.confidence:.2f}): {words}; {'; '.join(t.reasons)}"))
    return lines


def _folded_into_parent(tags: tuple[BlockTags, ...], i: int, params: Parameters) -> int | None:
    """A list item whose measures its lead-in already promises is part of that clause."""
    t = tags[i]
    if t.parent is None or params.keys_for(t.block.ref):
        return None
    parent = tags[t.parent]
    own = set(parent.promised) - set(parent.listed)  # not what the lead-in has from its list
    if own and parent.excluded is None and set(t.promised) <= own:
        return t.parent
    return None


def draft_profile(document: Document, profile_id: str, lexicon: Lexicon | None = None) -> Draft:
    """Draft a profile; :class:`DocumentError` when the document holds no DPA-like clause."""
    lex = lexicon or load_lexicon()
    tags = tag_document(document, lex)
    register = extract_register(document, tags, lex)
    params = extract_parameters(tags, lex, skip=register.refs)

    clauses: list[DraftClause] = []
    leftovers: list[Leftover] = []
    folded: dict[int, list[str]] = {}
    for i, t in enumerate(tags):
        if t.block.ref in register.refs:
            continue
        for s in t.leftover:
            leftovers.append(Leftover(t.block.ref, shorten(s.text, 160), t.block.start, t.block.end))
        if not t.measures or t.excluded is not None:
            continue
        parent = _folded_into_parent(tags, i, params)
        if parent is not None:
            folded.setdefault(parent, []).append(t.block.ref)
            continue
    refs_seen: set[str] = set()
    for i, t in enumerate(tags):
        if t.block.ref in register.refs or not t.measures or t.excluded is not None:
            continue
        if _folded_into_parent(tags, i, params) is not None or t.block.ref in refs_seen:
            continue
        refs_seen.add(t.block.ref)
        # the sentences that promise; a reference to an annex promises through the annex
        promising = ([s for s in t.sentences if s.measures]
                     or [s for s in t.sentences if s.excluded is None and (s.general or s.obligation)]
                     or list(t.sentences))
        clauses.append(DraftClause(
            ref=t.block.ref, heading=t.block.heading, quote=_quote(promising), tags=t.measures,
            parameters=params.keys_for(t.block.ref), start=t.block.start, end=t.block.end,
            also=tuple(folded.get(i, ())),
            note=("includes " + ", ".join(folded[i])) if folded.get(i) else None))

    # the register is a clause of its own ("Bijlage D"), like the hand-written profiles
    register_ref: str | None = None
    if register.entries and register.ref:
        register_ref = register.ref
        if register_ref not in refs_seen:
            first = next(t.block for t in tags if t.block.ref in register.refs)
            from ..model import Measure
            clauses.append(DraftClause(
                ref=register_ref, heading=register.heading, quote=shorten(register.heading or register_ref),
                tags=(MeasureTag(Measure.SUBPROCESSOR_LIST, 0.9, (register.heading or register_ref,),
                                 ("the sub-processor register",)),),
                parameters=(), start=first.start, end=first.end,
                note="The sub-processor register: reconciled with the providers and locations the collectors saw."))

    # every parameter must point at a drafted clause
    clause_refs = {c.ref for c in clauses}
    kept = tuple(p for p in params.values if p.ref in clause_refs)
    params = Parameters(kept, params.notes)

    if not clauses:
        raise DocumentError("no DPA-like clause found: nothing in it promises one of the measures "
                            "(is this a Data Processing Agreement?)")
    text = _render(document, profile_id, clauses, params, register, register_ref, leftovers)
    profile = _parse(text, f"draft of {document.path}")
    return Draft(document, profile, text, tuple(clauses), params, register, tuple(leftovers))


def _render(document: Document, profile_id: str, clauses: list[DraftClause], params: Parameters,
            register: Register, register_ref: str | None, leftovers: list[Leftover]) -> str:
    source = Path(document.path).name
    title = document.title or Path(document.path).stem
    out = [
        _comment(f"DRAFT DPA profile made by `auditpack dpa import` from {source} (language: {document.language})."),
        "# Review every clause against the agreement: the references, the quotes, the measures (each with",
        "# the words that chose it and a confidence), the parameters and the register. Then set draft = false.",
        "# Sentences that look like promises but matched no measure are listed at the end.",
        "",
    ]
    if register_ref:
        out.append(f"subprocessor_clause = {_toml_str(register_ref)}")
        out.append("")
    out += [
        "[profile]",
        f"id = {_toml_str(profile_id)}",
        f"title = {_toml_str(normalise(title))}",
        'processor = "(to fill in: the processor)"',
        'counterpart = "(to fill in: the customer, as controller)"',
        f"language = {_toml_str(document.language)}",
        f"source = {_toml_str(source)}",
        "draft = true",
        "",
    ]
    if params.values or params.notes:
        out.append("[parameters]")
        for p in params.values:
            out.append(f"{p.key} = {_toml_value(p.value)}   " + _comment(f"{p.ref}: '{p.phrase}'"))
        for note in params.notes:
            out.append(_comment(note))
        out.append("")
    for c in clauses:
        out.append("[[clauses]]")
        out += _why(c.tags)
        out.append(f"ref = {_toml_str(c.ref)}")
        if c.heading:
            out.append(f"heading = {_toml_str(normalise(c.heading))}")
        out.append(f"quote = {_toml_str(c.quote)}")
        out.append(f"measures = {_toml_value([t.measure.value for t in c.tags])}")
        if c.parameters:
            out.append(f"parameters = {_toml_value(list(c.parameters))}")
        if c.note:
            out.append(f"note = {_toml_str(c.note)}")
        out.append("")
    for e in register.entries:
        out.append("[[subprocessors]]")
        out.append(_comment(f"from {e.ref}"))
        out.append(f"name = {_toml_str(normalise(e.name))}")
        out.append(f"service = {_toml_str(normalise(e.service))}")
        out.append(f"location = {_toml_str(normalise(e.location))}")
        if e.countries:
            out.append(f"countries = {_toml_value(list(e.countries))}")
        if e.eea:
            out.append("eea = true")
        out.append("")
    if leftovers:
        out.append("# Left over: these sentences look like promises but matched no measure. Add a clause by hand")
        out.append("# when one of them promises a measure.")
        for lo in leftovers:
            out.append(_comment(f"[{lo.ref}] {lo.text}"))
    return "\n".join(out).rstrip() + "\n"


_ID_CHARS = re.compile(r"[^a-z0-9_-]+")


def profile_id_for(path: str) -> str:
    """A profile id from a file name: "DPA Acme (2026).docx" -> "dpa-acme-2026"."""
    stem = Path(path).stem.casefold()
    ident = _ID_CHARS.sub("-", stem).strip("-_")
    return ident or "dpa"
