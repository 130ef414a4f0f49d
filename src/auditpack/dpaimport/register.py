"""The sub-processor register: from tables (Word, text, tab-separated) and from lists.

A table is a register when its header names a sub-processor column and a service or
location column, or when it sits under a sub-processor heading ("Bijlage D – Lijst van
subverwerkers", "Annex III: Sub-processors"). A list item under such a heading that is not
itself a promise ("Hetzner Online GmbH (Germany) – hosting") is an entry too. Countries are
read from the stated location only (Dutch and English names, ``[countries]`` in the lexicon
plus data/geo.json; cloud regions by data/geo.json, cities by ``[cities]`` when no country is
named); "EEA"/"EU" sets ``eea``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Measure
from .lexicon import Lexicon, Patterns, fold, folded_text, load_lexicon
from .model import Block, Document
from .tagger import BlockTags

_SEPARATORS = re.compile(r"\s+[–—|-]\s+|\t|\s*;\s*|:\s+")
_MAX_LIST_WORDS = 25


@dataclass(frozen=True)
class RegisterEntry:
    name: str
    service: str
    location: str
    countries: tuple[str, ...]
    eea: bool
    ref: str  # the row or item it was read from


@dataclass(frozen=True)
class Register:
    entries: tuple[RegisterEntry, ...] = ()
    ref: str | None = None  # the annex or section holding it ("Bijlage D")
    heading: str | None = None
    refs: frozenset[str] = frozenset()  # the blocks that are register rows, not clauses


def locate(text: str, lex: Lexicon) -> tuple[tuple[str, ...], bool]:
    """ISO countries named in a stated location, and whether it says EEA/EU. A cloud region
    ("AWS eu-central-1") is its country (data/geo.json); a city ("Frankfurt am Main", "Parijs")
    is its country when the location names no country itself ("Krakau (Polen)": Polen)."""
    folded = folded_text(text)
    codes: list[str] = []

    def named(names: dict[str, str]) -> None:
        for name, code in sorted(names.items(), key=lambda kv: -len(kv[0])):
            if re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", folded.folded) and code not in codes:
                codes.append(code)

    # every region code counts: "AWS eu-central-1 and eu-west-1" names the provider once
    for m in re.finditer(r"(?<![a-z0-9-])([a-z]{2}(?:-[a-z]+)+-\d)(?![a-z0-9])", text.casefold()):
        code = lex.regions.get(m.group(1))
        if code and code not in codes:
            codes.append(code)
    named(lex.countries)
    if not codes:
        named(lex.cities)
    return tuple(codes), lex.register_eea.any(folded)


def _country_patterns(lex: Lexicon) -> Patterns:
    return Patterns(tuple(lex.countries))


def _section_ref(block: Block) -> str:
    """"Bijlage D, row 3" / "Annex IV, 1" -> "Bijlage D" / "Annex IV"; without such a suffix the heading."""
    m = re.match(r"^(.*?),\s*(?:(?:row|rij|bullet|paragraph|item)\s+)?[\d.]+$", block.ref)
    if m and m.group(1):
        return m.group(1)
    return block.heading or block.ref


def _column(header: Sequence[str], patterns: Patterns, taken: set[int]) -> int | None:
    for i, cell in enumerate(header):
        if i not in taken and patterns.any(folded_text(cell)):
            return i
    return None


def _is_register_section(block: Block, lex: Lexicon) -> bool:
    sub = next(m for m in lex.measures if m.measure == Measure.SUBPROCESSOR_LIST)
    return any(sub.heading.any(folded_text(h)) for h in block.headings[-2:])


_HOSTED = re.compile(r"\b(?:hosted|gehost|ondergebracht)\s+(?:on|by|at|with|bij|op)\s+(?P<rest>.+)", re.I)


def _hosted_by(block: Block, lex: Lexicon) -> RegisterEntry | None:
    """"The Service is hosted on Amazon Web Services EMEA SARL (AWS) in its Frankfurt region": one
    provider named in a sentence of the sub-processor section, as a company (its name ends in a
    legal form, an alias in brackets may follow); where it hosts is what the rest names."""
    m = _HOSTED.search(block.text)
    if m is None:
        return None
    words = m.group("rest").split()
    for n in range(min(len(words), 8), 0, -1):
        name = " ".join(words[:n]).rstrip(".,;")
        if not name[:1].isupper() or not _has_legal_form(name, lex):
            continue
        rest = " ".join(words[n:])
        alias = re.match(r"^\(([^()]{1,30})\)\s*", rest)
        if alias:
            name, rest = f"{name} ({alias.group(1)})", rest[alias.end():]
        place = re.split(r"[;.]|,\s+(?:other|andere)\b", rest, maxsplit=1)[0].strip()
        codes, eea = locate(place, lex)
        return RegisterEntry(name, "hosting", place if codes or eea else "", codes, eea, block.ref)
    return None


def _listed_under_register_lead_in(tag: BlockTags, tags: Sequence[BlockTags], lex: Lexicon) -> bool:
    """An item under a lead-in that names sub-processors and ends in a colon, outside any
    sub-processor heading: "13.7 Klant geeft toestemming om Subverwerkers in te schakelen. Op
    de datum van deze voorwaarden zijn dat:" followed by "a. Leaseweb Netherlands B.V. (…) – hosting"."""
    if tag.parent is None or not 0 <= tag.parent < len(tags):
        return False
    lead = tags[tag.parent].block
    sub = next(m for m in lex.measures if m.measure == Measure.SUBPROCESSOR_LIST)
    return lead.text.rstrip().endswith(":") and sub.heading.any(folded_text(lead.text))


def _from_row(block: Block, lex: Lexicon, countries: Patterns) -> RegisterEntry | None:
    cells = [c.strip() for c in block.cells]
    if not any(cells) or (block.header and tuple(cells) == tuple(c.strip() for c in block.header)):
        return None
    name_i = service_i = location_i = None
    if block.header:
        taken: set[int] = set()
        name_i = _column(block.header, lex.register_name, taken)
        taken |= {name_i} if name_i is not None else set()
        location_i = _column(block.header, lex.register_location, taken)
        taken |= {location_i} if location_i is not None else set()
        service_i = _column(block.header, lex.register_service, taken)
    if name_i is None:
        name_i = 0
    if location_i is None:
        location_i = next((i for i, c in enumerate(cells) if i != name_i and c and (
            countries.any(folded_text(c)) or lex.register_eea.any(folded_text(c))) and len(c.split()) <= 8), None)
    if service_i is None:
        rest = [i for i, c in enumerate(cells) if i not in (name_i, location_i) and c and "@" not in c
                and not re.search(r"\d{3}", c)]
        service_i = rest[0] if rest else None
    name = cells[name_i] if name_i < len(cells) else ""
    if not name or len(name.split()) > 8:
        return None
    service = cells[service_i] if service_i is not None and service_i < len(cells) else ""
    location = cells[location_i] if location_i is not None and location_i < len(cells) else ""
    bracket = re.match(r"^(.*?\S)\s*\(([^()]+)\)$", name)
    if not service and bracket and not any(locate(bracket.group(2), lex)):
        name, service = bracket.group(1), bracket.group(2)  # "Elastic N.V. (log search and retention)"
    codes, eea = locate(location, lex)
    return RegisterEntry(name, service, location, codes, eea, block.ref)


def _from_bracketed(text: str, lex: Lexicon, countries: Patterns) -> tuple[str, str, str] | None:
    """"Combell NV (hosting van het platform, België)": the name, then service and location
    together in brackets, in either order; the part naming a country (or the EEA) is the location."""
    m = re.match(r"^(.*?\S)\s*\(([^()]*[,;][^()]*)\)$", text)
    if m is None:
        return None
    parts = [p.strip() for p in re.split(r"[,;]\s+", m.group(2)) if p.strip()]
    places = [p for p in parts if countries.any(folded_text(p)) or lex.register_eea.any(folded_text(p))]
    if not places:
        return None
    return m.group(1), ", ".join(p for p in parts if p not in places), ", ".join(places)


def _from_item(block: Block, lex: Lexicon, countries: Patterns) -> RegisterEntry | None:
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", block.text.strip().rstrip(".;,"))  # "**Name**": Markdown left in text
    if not text or len(text.split()) > _MAX_LIST_WORDS:
        return None
    bracketed = _from_bracketed(text, lex, countries)
    if bracketed is not None and len(bracketed[0].split()) <= 6:
        name, service, location = bracketed
        codes, eea = locate(location, lex)
        return RegisterEntry(name, service, location, codes, eea, block.ref)
    def is_place(p: str) -> bool:
        return countries.any(folded_text(p)) or lex.register_eea.any(folded_text(p))

    fields = [p.strip() for p in _SEPARATORS.split(text) if p and p.strip()]
    serviced = _bracket_service(text, lex, countries)
    if serviced is not None:
        name, service, location = serviced
        codes, eea = locate(location, lex)
        return RegisterEntry(name, service, location, codes, eea, block.ref)
    # "OVH SAS, 2 rue Kellermann, 59100 Roubaix, France – hosting": the name is the first comma
    # piece, the others before a separator are its address; after a separator ("Sentry: error
    # monitoring, United States") and without separators ("Name, service, country") the
    # pieces are the fields. A legal form stays with its name ("Functional Software, Inc.").
    first = _SEPARATORS.search(text)
    labelled = first is not None and first.group().strip().startswith(":")  # "Contact person's name, …: …"
    head_pieces = [fields[0]] if labelled else _comma_pieces(fields[0], lex)
    head, address = head_pieces[0], head_pieces[1:]
    rest = [q for p in fields[1:] for q in _comma_pieces(p, lex)] if len(fields) > 1 else address
    if len(fields) == 1:
        address = []
    location = ""
    paren = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", head)
    if paren and is_place(paren.group(2)):
        head, location = paren.group(1).strip(), paren.group(2).strip()
    if not location:
        # the last field naming a country is the place: the service may name one too
        # ("Second level support for customers in Germany – Germany"); then the address's
        for p in [*reversed(rest), *reversed(address)]:
            if is_place(p):
                location = p
                break
    service = next((p for p in rest if p != location), "")
    bracket = re.match(r"^(.*?\S)\s*\(([^()]+)\)$", service or location)
    if bracket and is_place(bracket.group(2)) and not (location and any(locate(bracket.group(1), lex))):
        # "Hetzner Online GmbH: hosting van de applicatie (Duitsland)": the bracket is the place
        service, location = bracket.group(1), bracket.group(2)
    if not head or len(head.split()) > 6:
        return None
    if not service and not location and not (len(fields) == 1 and len(head_pieces) <= 2 and _has_legal_form(head, lex)):
        return None  # a bare name is an entry only when its legal form says it is a company
    codes, eea = locate(location, lex)
    return RegisterEntry(head, service, location, codes, eea, block.ref)


def _has_legal_form(name: str, lex: Lexicon) -> bool:
    """"Slack Technologies, LLC", "Google Ireland Limited", "Mollie B.V.": the name ends in a legal form."""
    words = fold(re.sub(r"\([^()]*\)", " ", name)).split()
    return any(" ".join(words[-n:]) in lex.legal_forms for n in (1, 2, 3) if len(words) > n)


def _comma_pieces(text: str, lex: Lexicon) -> list[str]:
    """``text`` split at commas outside brackets, a legal form kept with the piece before it:
    "Sentry (Functional Software, Inc.), San Francisco, USA" -> the name, the city, the country;
    "Mollie B.V., Amsterdam" -> "Mollie B.V.", "Amsterdam"."""
    pieces: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([") - (ch in ")]")
        if ch == "," and depth <= 0 and text[i + 1:i + 2].isspace():
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    out: list[str] = []
    for piece in (p.strip() for p in pieces):
        if not piece:
            continue
        words = fold(piece).split()
        # "Inc.", "Inc. (Sentry)", "Inc. for e-mail": written with a capital, as legal forms are
        if out and piece[:1].isupper() and any(" ".join(words[:n]) in lex.legal_forms for n in (3, 2, 1)):
            out[-1] = f"{out[-1]}, {piece}"
        else:
            out.append(piece)
    return out or [text.strip()]


def _bracket_service(text: str, lex: Lexicon, countries: Patterns) -> tuple[str, str, str] | None:
    """"Hetzner Online GmbH (opslag van de back-ups) – Falkenstein, Duitsland": the service in
    brackets after the name, a dash, and only the place (a city with its country) after it.
    With a middle field ("Functional Software, Inc. (Sentry) – Error monitoring – United
    States") or a label ("Postduif (Kestrel Mail Inc.): verzending …") the bracket is the name's."""
    m = re.match(r"^([^()]*?\S)\s*\(([^()]+)\)\s+[–—-]\s+([^()–—]+)$", text)
    if m is None or len(m.group(1).split()) > 6 or len(m.group(3).split()) > 6 or _SEPARATORS.search(m.group(3)):
        return None
    place = m.group(3).strip()
    placed = countries.any(folded_text(place)) or lex.register_eea.any(folded_text(place))
    if any(locate(m.group(2), lex)) or not placed:
        return None
    return m.group(1), m.group(2).strip(), place


# "…, en Functional Software, Inc. (…)": the last item follows "en"/"and" after the comma
_RUN_ON_SPLIT = re.compile(r"\)\s*(?:[,;]\s*(?:(?:en|and|und|et|sowie|ainsi que)\s+)?|\s+(?:en|and|und|et)\s+)", re.I)


def _from_run_on(block: Block, lex: Lexicon, countries: Patterns) -> list[RegisterEntry]:
    """A sentence that lists the register after a colon: "Wij maken gebruik van: Hetzner Online
    GmbH (hosting, Duitsland), Mailjet SAS (verzending van e-mail, Frankrijk) en …". Each item
    is "Name (service, country)"; at least two such items, or it is no register."""
    text = block.text.strip()
    for m in re.finditer(r":\s+", text):
        tail = text[m.end():].rstrip(" .;")
        items = [i.strip() + ")" for i in _RUN_ON_SPLIT.split(tail)]
        items[-1] = items[-1][:-1]
        found = [_from_bracketed(i, lex, countries) for i in items]
        if not (len(items) >= 2 and all(f is not None for f in found)):
            found = _from_prose(tail, lex)
            items = [""] * len(found)
        if len(items) >= 2 and all(f is not None and len(f[0].split()) <= 6 for f in found):
            out = []
            for name, service, location in (f for f in found if f is not None):
                codes, eea = locate(location, lex)
                out.append(RegisterEntry(name, service, location, codes, eea, block.ref))
            return out
    return []


# "Hetzner Online GmbH voor hosting in Duitsland": a name, what it does, where
_PROSE_ITEM = re.compile(r"^(?P<name>[A-Z0-9][^()]*?(?:\([^()]*\))?)\s+(?:voor|for|ten behoeve van)\s+"
                         r"(?P<service>.+?)(?:\s+(?:in|uit|from)\s+(?P<place>[^,]+))?$")
_PROSE_LAST = re.compile(r"\s+(?:en|and|und|et)\s+(?=[A-Z0-9][^,]*?\s(?:voor|for|ten behoeve van)\s)")


def _from_prose(tail: str, lex: Lexicon) -> list[tuple[str, str, str] | None]:
    """"… de volgende subverwerkers in: Hetzner Online GmbH voor hosting in Duitsland, Postmark
    voor e-mail in de Verenigde Staten en Moneybird B.V. voor facturatie in Nederland": each
    item a name, "voor"/"for" its service and "in" its place (a country, or none)."""
    pieces = [re.sub(r"^(?:en|and|und|et)\s+", "", p) for p in _comma_pieces(tail, lex)]
    if pieces:
        pieces[-1:] = [p.strip() for p in _PROSE_LAST.split(pieces[-1]) if p.strip()]
    out: list[tuple[str, str, str] | None] = []
    for piece in pieces:
        m = _PROSE_ITEM.match(piece)
        place = (m.group("place") or "") if m else ""
        if m is None or (place and not any(locate(place, lex))):
            out.append(None)
            continue
        out.append((m.group("name").strip(), m.group("service").strip(), place.strip()))
    return out


_KEY_VALUE = re.compile(r"^([^\W\d][\w' ()/-]{1,40}?)\s*:\s+(\S.*)$")
# any other labelled field of an open entry ("Contact person's name, position and contact
# details: …" in the SCCs' Annex III) belongs to it and does not close it
_FIELD_SPLIT = re.compile(r"\s*;\s*(?=[^\W\d][\w' ()/-]{1,40}?\s*:\s)")
_OTHER_FIELD = re.compile(r"^[^\W\d][\w' ,()/-]{1,80}?\s*:\s+\S")


def _key_value_entries(blocks: Sequence[Block], lex: Lexicon) -> list[tuple[RegisterEntry, list[str]]]:
    """Entries written as "Name: …" / "Address: …" / "Description of the processing: …" lines
    (the Commission's Annex IV, "Naam: / Adres: / Dienst: / Locatie:" blocks). A name key opens
    an entry; the processing location wins over the address for the country."""
    out: list[tuple[RegisterEntry, list[str]]] = []
    fields: dict[str, str] = {}
    refs: list[str] = []

    def close() -> None:
        if fields.get("name"):
            stated = fields.get("location") or ""
            if not stated:
                for key in ("service", "address"):
                    codes, eea = locate(fields.get(key, ""), lex)
                    if codes or eea:
                        stated = fields[key]
                        inner = re.search(r"\(([^()]+)\)", stated)  # "… West Europe (the Netherlands)"
                        if inner and any(locate(inner.group(1), lex)):
                            stated = inner.group(1)
                        break
            codes, eea = locate(stated, lex)
            name = fields["name"].rstrip(";")
            if name.endswith(".") and not _has_legal_form(name, lex):  # "Datadog Inc." keeps its dot
                name = name[:-1]
            out.append((RegisterEntry(name, fields.get("service", "").rstrip(".;"),
                                      stated.rstrip(".;"), codes, eea, refs[0]), list(refs)))
        fields.clear()
        refs.clear()

    # several fields on one line: "Naam: Hetzner Online GmbH; dienst: hosting; locatie: Duitsland"
    lines = [(block.ref, line) for block in blocks for line in _FIELD_SPLIT.split(block.text.strip())]
    for ref, line in lines:
        m = _KEY_VALUE.match(line)
        key = folded_text(m.group(1)) if m else None
        if m is None or key is None or len(m.group(1).split()) > 5:
            if not (fields and _OTHER_FIELD.match(line)):
                close()
            continue
        kind = ("name" if lex.register_name.any(key) and len(m.group(1).split()) <= 2 else
                "location" if lex.register_location.any(key) else
                "address" if lex.register_address.any(key) else
                "service" if lex.register_service.any(key) else None)
        if kind == "name":
            close()
        if kind is None or (kind != "name" and not fields):
            continue
        fields.setdefault(kind, m.group(2).strip())
        if ref not in refs:
            refs.append(ref)
    close()
    return out


def extract_register(document: Document, tags: Sequence[BlockTags], lexicon: Lexicon | None = None) -> Register:
    lex = lexicon or load_lexicon()
    countries = _country_patterns(lex)
    entries: list[RegisterEntry] = []
    refs: set[str] = set()
    where: Block | None = None
    section = [t.block for t in tags if t.block.kind in ("bullet", "paragraph") and _is_register_section(t.block, lex)]
    for written, entry_refs in _key_value_entries(section, lex):
        if all(e.name.casefold() != written.name.casefold() for e in entries):
            entries.append(written)
            refs.update(entry_refs)
            where = where or next(b for b in section if b.ref == written.ref)
    key_value = set(refs)
    for t in tags:
        block = t.block
        if block.ref in key_value:
            continue
        entry: RegisterEntry | None = None
        if block.kind == "paragraph" and _is_register_section(block, lex):
            listed = [e for e in _from_run_on(block, lex, countries)
                      if all(x.name.casefold() != e.name.casefold() for x in entries)]
            if listed:
                entries.extend(listed)
                refs.add(block.ref)
                where = where or block
                continue
            host = _hosted_by(block, lex)
            if host is not None and all(x.name.casefold() != host.name.casefold() for x in entries):
                entries.append(host)  # the sentence stays a clause: it is a promise as well
                where = where or block
        if block.kind == "table_row":
            header = folded_text(" ".join(block.header))
            by_header = (bool(block.header) and lex.register_name.any(header)
                         and (lex.register_location.any(header) or lex.register_service.any(header))
                         and not lex.not_register.any(header))
            if by_header or (_is_register_section(block, lex) and not lex.not_register.any(header)):
                entry = _from_row(block, lex, countries)
                if entry is None and tuple(block.cells) == tuple(block.header):
                    refs.add(block.ref)
        elif block.kind in ("bullet", "paragraph") and (_is_register_section(block, lex)
                                                      or _listed_under_register_lead_in(t, tags, lex)) \
                and not lex.obligation.any(folded_text(block.text)) and not block.text.rstrip().endswith(":"):
            entry = _from_item(block, lex, countries)
        if entry is not None and all(e.name.casefold() != entry.name.casefold() for e in entries):
            entries.append(entry)
            refs.add(block.ref)
            where = where or block
    # the sentence that opens the register ("… the following sub-processors:") is part of it
    order = [t.block for t in tags]
    for i, block in enumerate(order[:-1]):
        if block.text.rstrip().endswith(":") and order[i + 1].ref in refs and _is_register_section(block, lex) \
                and block.ref not in refs:
            refs.add(block.ref)
    if where is None:
        return Register()
    # only providers named in a clause ("hosted on …"): that clause holds the register
    return Register(tuple(entries), _section_ref(where) if refs else where.ref, where.heading, frozenset(refs))
