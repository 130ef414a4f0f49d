"""The DPA's numbers: residency, breach deadline, deletion deadline, audit frequency.

Each value is read from the sentences the tagger gave the matching measure, so it points at
the clause that sets it (the clause's ``parameters`` key). "Without undue delay" is no
number: the deadline stays unset and a note says why. Values are [policy] keys
(``config.Policy``), so the drafted ``[parameters]`` validate like the hand-written ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import Measure
from .lexicon import FoldedText, Lexicon, folded_text, load_lexicon
from .tagger import BlockTags, SentenceTag


@dataclass(frozen=True)
class Parameter:
    key: str  # a [policy] key
    value: Any
    ref: str  # the clause that sets it
    phrase: str  # the words it was read from


@dataclass(frozen=True)
class Parameters:
    values: tuple[Parameter, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)  # what could not be set, and why

    def as_dict(self) -> dict[str, Any]:
        return {p.key: p.value for p in self.values}

    def keys_for(self, ref: str) -> tuple[str, ...]:
        return tuple(p.key for p in self.values if p.ref == ref)


@dataclass(frozen=True)
class _Amount:
    hours: int
    phrase: str
    word: int


def _amounts(sentence: FoldedText, lex: Lexicon) -> list[_Amount]:
    """Every "<number> [(<digits>)] <unit>" in the sentence, in hours."""
    numbers = sorted(lex.numbers, key=len, reverse=True)
    units = sorted(lex.units, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![a-z0-9])(?P<n>\d{1,4}|" + "|".join(re.escape(n) for n in numbers) + r")"
        r"(?: (?P<d>\d{1,4}))?(?: |(?<=\d))(?P<u>" + "|".join(re.escape(u) for u in units) + r")(?![a-z0-9])")
    out = []
    for m in pattern.finditer(sentence.folded):
        n = m.group("d") or m.group("n")
        count = int(n) if n.isdigit() else lex.numbers[n]
        out.append(_Amount(count * lex.units[m.group("u")], sentence.original_span(m.start(), m.end()),
                           sentence.word_index(m.start())))
    return out


def _deadline(sentence: FoldedText, lex: Lexicon, *, breach: bool = False) -> _Amount | None:
    """The shortest amount that follows a deadline marker ("binnen", "within", "uiterlijk") closely.
    For a breach, not the controller's own deadline towards the authority (:func:`_the_authoritys`)."""
    markers = [h.word for h in lex.deadline_markers.find(sentence)]
    found = [a for a in _amounts(sentence, lex) if any(0 < a.word - w <= 4 for w in markers)
             and not (breach and _the_authoritys(sentence, a, lex))]
    return min(found, key=lambda a: a.hours) if found else None


def _the_authoritys(sentence: FoldedText, amount: _Amount, lex: Lexicon) -> bool:
    """"… so that the Controller can notify the supervisory authority within 72 hours": the amount
    follows a purpose word with no comma between, and that stretch (up to the next comma or the
    end) names the authority."""
    text, at = sentence.original, sentence.word_offset(amount.word)
    for hit in lex.purpose.find(sentence):
        if hit.word >= amount.word:
            continue
        between = text[sentence.word_offset(hit.word):at]
        if re.search(r"[,;:]", between):
            continue
        stretch = between + re.split(r"[,;:]", text[at:], maxsplit=1)[0]
        if lex.authority.any(folded_text(stretch)):
            return True
    return False


def _sentences(tags: Sequence[BlockTags], measure: Measure) -> list[tuple[BlockTags, SentenceTag]]:
    return [(t, s) for t in tags if t.excluded is None for s in t.sentences
            if any(m.measure == measure for m in s.measures)]


def extract_parameters(tags: Sequence[BlockTags], lexicon: Lexicon | None = None,
                       skip: frozenset[str] = frozenset()) -> Parameters:
    """``skip``: refs that are no clauses (the register's rows: "Hetzner, data centre in Germany"
    sets no residency)."""
    lex = lexicon or load_lexicon()
    tags = [t for t in tags if t.block.ref not in skip]
    values: list[Parameter] = []
    notes: list[str] = []

    # breach notification deadline, in hours
    breach = _sentences(tags, Measure.BREACH_NOTIFICATION)
    best: tuple[_Amount, str] | None = None
    vague: tuple[str, str] | None = None
    for t, s in breach:
        folded = folded_text(s.text)
        amount = _deadline(folded, lex, breach=True)
        if amount is not None and (best is None or amount.hours < best[0].hours):
            best = (amount, t.block.ref)
        hits = lex.breach_without_number.find(folded)
        if hits and vague is None:
            vague = (hits[0].phrase, t.block.ref)
    if best is not None:
        values.append(Parameter("breach_deadline_hours", best[0].hours, best[1], best[0].phrase))
    elif vague is not None:
        notes.append(f"breach deadline: no number of hours ('{vague[0]}', {vague[1]})")
    elif breach:
        notes.append("breach deadline: the breach clauses state no deadline")

    # deletion deadline after termination, in days
    for t, s in _sentences(tags, Measure.DELETION_ON_TERMINATION):
        amount = _deadline(folded_text(s.text), lex)
        if amount is not None and amount.hours >= 24:
            values.append(Parameter("deletion_days", amount.hours // 24, t.block.ref, amount.phrase))
            break

    # audit frequency and notice, one text
    frequency: tuple[str, str, str] | None = None
    notice: tuple[int, str, str] | None = None
    for t, s in _sentences(tags, Measure.AUDIT_RIGHTS):
        folded = folded_text(s.text)
        if frequency is None:
            for patterns, value in lex.audit_frequency:
                hit = patterns.find(folded)
                if hit:
                    frequency = (value, t.block.ref, hit[0].phrase)
                    break
        if notice is None:
            cues = [h.word for h in lex.audit_notice.find(folded)]
            for a in _amounts(folded, lex):
                if a.hours >= 24 and any(abs(a.word - w) <= 6 for w in cues):
                    notice = (a.hours // 24, t.block.ref, a.phrase)
                    break
    if frequency or notice:
        text = "; ".join(x for x in (
            frequency[0] if frequency else None,
            f"on {notice[0]} days' notice" if notice else None) if x)
        ref = frequency[1] if frequency else notice[1] if notice else ""
        phrase = frequency[2] if frequency else notice[2] if notice else ""
        values.append(Parameter("audit_frequency", text, ref, phrase))
        if notice and frequency and notice[1] != frequency[1]:
            notes.append(f"audit notice ({notice[2]}) is in {notice[1]}")

    # residency: where the data may be
    residency = _residency(tags, lex)
    if residency is not None:
        values.append(residency)
    else:
        notes.append("residency: the DPA does not limit where personal data is processed (no EEA or EU clause found); "
                     "the organisation's [policy] residency applies")
    return Parameters(tuple(values), tuple(notes))


def _residency(tags: Sequence[BlockTags], lex: Lexicon) -> Parameter | None:
    """The first clause that limits where personal data is: "eea", or "eea+adequacy" when that
    clause also accepts adequacy countries or lawful transfers. A clause that allows any country,
    and transfer clauses without a location limit (the Commission's SCCs: "only under Chapter
    V"), limit nothing: no residency, and the note says so."""
    for t, s in _sentences(tags, Measure.EEA_RESIDENCY):
        if lex.no_limit.any(folded_text(s.text)):
            continue
        # "… alleen met voorafgaande schriftelijke toestemming van Klant en met inachtneming van
        # hoofdstuk V": a transfer that needs the controller's consent keeps the limit, whatever
        # law it must also follow; the adequacy words count in the clause's other sentences
        hit = [h for x in t.sentences for folded in (folded_text(x.text),)
               if not lex.consent_only.any(folded) for h in lex.adequacy.find(folded)]
        if hit:
            return Parameter("residency", "eea+adequacy", t.block.ref, hit[0].phrase)
        tag = next(m for m in s.measures if m.measure == Measure.EEA_RESIDENCY)
        return Parameter("residency", "eea", t.block.ref, tag.phrases[-1] if tag.phrases else s.text[:60])
    return None
