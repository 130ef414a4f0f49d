"""The importer's knowledge, loaded from ``data/dpa_lexicon.toml`` and validated strictly.

Words are data so that a reviewer can read and extend them without touching code. Patterns
are matched on a *folded* text (lower case, no accents, every non-alphanumeric character a
single space), so "SSL-versleuteling", "ssl versleuteling" and "SSL/versleuteling" are the
same to the tagger; :class:`FoldedText` maps every match back to the original words for
the reviewer.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..catalogs import data_text
from ..errors import CatalogError
from ..model import Measure

_PATTERN_CHARS = re.compile(r"^[\w *?/.'’-]+$")


def fold(text: str) -> str:
    """Lower case, accents removed, every run of other characters one space."""
    return folded_text(text).folded


@lru_cache(maxsize=4096)
def folded_text(text: str) -> FoldedText:
    """A cached :class:`FoldedText`: headings and blocks are folded once, not per rule."""
    return FoldedText(text)


@cache
def _fold_char(ch: str) -> str:
    """One character folded: its letters and digits without accents, or "" for the rest."""
    return "".join(c for c in unicodedata.normalize("NFKD", ch.casefold())
                   if not unicodedata.combining(c) and c.isalnum())


class FoldedText:
    """A text folded for matching, with the offset of every folded character in the original."""

    def __init__(self, text: str) -> None:
        self.original = text
        out: list[str] = []
        where: list[int] = []
        space = True
        for i, ch in enumerate(text):
            piece = _fold_char(ch)
            if piece:
                out.append(piece)
                where.extend([i] * len(piece))
                space = False
            elif not space:
                out.append(" ")
                where.append(i)
                space = True
        folded = "".join(out)
        if folded.endswith(" "):
            folded = folded[:-1]
            where.pop()
        self.folded = folded
        self._where = where
        self._word_starts = [m.start() for m in re.finditer(r"[^ ]+", self.folded)]

    def original_span(self, start: int, end: int) -> str:
        """The original text behind folded characters ``start:end``."""
        if start >= end or not self._where:
            return ""
        return self.original[self._where[start]: self._where[end - 1] + 1]

    def word_offset(self, word: int) -> int:
        """Where folded word number ``word`` starts in the original (its end when past the last)."""
        if word >= len(self._word_starts):
            return len(self.original)
        return self._where[self._word_starts[word]]

    def word_index(self, offset: int) -> int:
        """The number of words before folded offset ``offset``."""
        lo, hi = 0, len(self._word_starts)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._word_starts[mid] <= offset:
                lo = mid + 1
            else:
                hi = mid
        return max(lo - 1, 0)


@dataclass(frozen=True, slots=True)
class Hit:
    pattern: str  # the lexicon entry
    phrase: str  # the words in the original text
    word: int  # word index of the match


class Patterns:
    """A list of lexicon patterns compiled into one regular expression."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.sources = patterns
        bounded: list[str] = []
        inside: list[str] = []
        for i, p in enumerate(patterns):
            whole_word, body = _compile(p)
            (bounded if whole_word else inside).append(f"(?P<p{i}>{body})")
        # the word-start check is done once for all whole-word patterns, so most positions fail fast;
        # patterns with a leading wildcard are searched by their literal part
        self._regexes = tuple(re.compile(r) for r in (
            (r"(?<![a-z0-9])(?:" + "|".join(bounded) + ")") if bounded else None,
            "|".join(inside) if inside else None) if r is not None)

    def find(self, text: FoldedText) -> list[Hit]:
        hits: list[Hit] = []
        folded = text.folded
        for regex in self._regexes:
            for m in regex.finditer(folded):
                name = m.lastgroup or "p0"
                start = m.start()
                while start > 0 and folded[start - 1] != " ":  # a leading wildcard: from the word's start
                    start -= 1
                hits.append(Hit(self.sources[int(name[1:])], text.original_span(start, m.end()),
                                text.word_index(start)))
        if len(self._regexes) > 1:
            hits.sort(key=lambda h: h.word)
        return hits

    def any(self, text: FoldedText) -> bool:
        return any(r.search(text.folded) is not None for r in self._regexes)


def _compile(pattern: str) -> tuple[bool, str]:
    """(whether the pattern starts at a word start, its regular expression without that check)."""
    words = []
    for word in pattern.split():
        pieces = []
        for piece in re.split(r"([*?])", word):
            if piece == "*":
                pieces.append("[a-z0-9]*")
            elif piece == "?":
                pieces.append("[a-z0-9]")
            elif piece:
                folded = fold(piece)
                if folded:
                    # "back-up" folds to "back up"; a leading/trailing separator keeps its space
                    lead = " " if not piece[0].isalnum() and pieces else ""
                    trail = " " if not piece[-1].isalnum() else ""
                    pieces.append(re.escape(lead + folded + trail).replace("\\ ", " "))
        if pieces:
            words.append("".join(pieces))
    body = " ".join(words).replace("  ", " ").strip()
    if body.startswith("[a-z0-9]*"):
        # a leading wildcard needs no left boundary: find() widens the match to the word's start
        return False, body[len("[a-z0-9]*"):] + "(?![a-z0-9])"
    return True, rf"{body}(?![a-z0-9])"


# ---------------------------------------------------------------- the file's schema

class Strict(BaseModel):
    """Unknown keys are errors and values frozen; types are coerced as TOML gives them
    (arrays as lists, measure names as strings)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _check_patterns(values: list[str]) -> list[str]:
    for v in values:
        if not v.strip() or not _PATTERN_CHARS.match(v) or not fold(v.replace("*", "").replace("?", "")):
            raise ValueError(f"not a usable pattern: {v!r}")
    return values


class Rule(Strict):
    weight: float = Field(gt=0, le=1)
    all: list[list[str]] = Field(min_length=1)
    near: int | None = Field(None, gt=0, description="words between the groups' matches, at most")
    none: list[str] = []
    context: list[list[str]] = []
    heading: list[str] = Field([], description="the rule fires only under a heading matching one of these")

    @field_validator("heading")
    @classmethod
    def _heading(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)

    @field_validator("all", "context")
    @classmethod
    def _groups(cls, groups: list[list[str]]) -> list[list[str]]:
        for g in groups:
            if not g:
                raise ValueError("an empty group can never match")
            _check_patterns(g)
        return groups

    @field_validator("none")
    @classmethod
    def _none(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)


class MeasureWords(Strict):
    heading: list[str] = []
    rules: list[Rule] = Field(min_length=1)

    @field_validator("heading")
    @classmethod
    def _heading(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)


class Scoring(Strict):
    threshold: float = Field(gt=0, le=1)
    heading_lean: float = Field(gt=0, le=1)
    heading_boost: float = Field(ge=0, le=1)
    fragment_words: int = Field(ge=0)


class Cues(Strict):
    obligation: list[str] = Field(min_length=1)
    controller: list[str] = Field(min_length=1)
    subordinate: list[str] = Field(min_length=1)
    possessive: list[str] = Field(min_length=1)
    right: list[str] = Field(min_length=1)
    controller_right_measures: list[Measure] = Field(min_length=1)
    boilerplate: list[str] = Field(min_length=1)
    general: list[str] = Field(min_length=1)
    annex: list[str] = Field(min_length=1)
    contents: list[str] = Field(min_length=1)
    assistance: list[str] = Field(min_length=1)
    no_inversion: list[str] = Field(min_length=1)
    responsible: list[str] = Field(min_length=1)
    responsible_before: list[str] = Field(min_length=1)
    exception: list[str] = Field(min_length=1)
    out_of_scope: list[str] = Field(min_length=1)
    revision: list[str] = Field(min_length=1)
    negation: list[str] = Field(min_length=1)
    definition: list[str] = Field(min_length=1)
    advice: list[str] = Field(min_length=1)
    form_questions: list[str] = Field(min_length=1)

    @field_validator("obligation", "annex", "possessive", "controller", "subordinate", "right", "boilerplate",
                     "general", "contents", "assistance", "no_inversion", "responsible", "responsible_before",
                     "exception", "out_of_scope", "revision", "negation", "definition", "advice")
    @classmethod
    def _all(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)

    @field_validator("form_questions")
    @classmethod
    def _questions(cls, values: list[str]) -> list[str]:
        # literal text (commas, slashes and brackets included), matched whole: at least three words
        bad = [v for v in values if len(v.split()) < 3]
        if bad:
            raise ValueError(f"not a question of at least three words: {bad[0]!r}")
        return values


class Headings(Strict):
    definitions: list[str] = Field(min_length=1)
    boilerplate: list[str] = Field(min_length=1)
    description: list[str] = Field(min_length=1)
    measures: list[str] = Field(min_length=1)
    no_lean: list[str] = Field(min_length=1)

    @field_validator("*")
    @classmethod
    def _all(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)


class FrequencyWord(Strict):
    pattern: str
    value: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        _check_patterns([value])
        return value


class ParameterWords(Strict):
    breach_without_number: list[str] = Field(min_length=1)
    deadline_markers: list[str] = Field(min_length=1)
    adequacy: list[str] = Field(min_length=1)
    no_limit: list[str] = Field(min_length=1)
    consent_only: list[str] = Field(min_length=1)
    audit_frequency: list[FrequencyWord] = Field(min_length=1)
    audit_notice: list[str] = Field(min_length=1)
    purpose: list[str] = Field(min_length=1)
    authority: list[str] = Field(min_length=1)

    @field_validator("breach_without_number", "deadline_markers", "adequacy", "no_limit", "audit_notice", "purpose",
                     "authority", "consent_only")
    @classmethod
    def _all(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)


class RegisterWords(Strict):
    name: list[str] = Field(min_length=1)
    service: list[str] = Field(min_length=1)
    location: list[str] = Field(min_length=1)
    address: list[str] = Field(min_length=1)
    eea: list[str] = Field(min_length=1)
    legal_forms: list[str] = Field(min_length=1)
    not_register: list[str] = Field(min_length=1)

    @field_validator("name", "service", "location", "address", "eea", "not_register")
    @classmethod
    def _all(cls, values: list[str]) -> list[str]:
        return _check_patterns(values)


class Meta(Strict):
    version: int
    languages: list[str]


class LexiconFile(Strict):
    meta: Meta
    scoring: Scoring
    cues: Cues
    headings: Headings
    measures: dict[Measure, MeasureWords]
    numbers: dict[str, int]
    units: dict[str, int]
    parameters: ParameterWords
    subprocessors: RegisterWords
    countries: dict[str, str]
    cities: dict[str, str]

    @model_validator(mode="after")
    def _complete(self) -> LexiconFile:
        missing = set(Measure) - set(self.measures)
        if missing:
            raise ValueError(f"[measures] lacks {', '.join(sorted(missing))}: every one of the 16 measures needs words")
        for table, mapping in (("numbers", self.numbers), ("units", self.units), ("countries", self.countries),
                               ("cities", self.cities)):
            seen: dict[str, Any] = {}
            for key, value in mapping.items():
                folded = fold(key)
                if not folded:
                    raise ValueError(f"[{table}] has an empty key {key!r}")
                if folded in seen and seen[folded] != value:
                    raise ValueError(f"[{table}] {key!r} folds to {folded!r}, which already means {seen[folded]!r}")
                seen[folded] = value
        for table, codes in (("countries", self.countries), ("cities", self.cities)):
            bad = sorted(c for c in codes.values() if not re.fullmatch(r"[A-Z]{2}", c))
            if bad:
                raise ValueError(f"[{table}] values must be ISO 3166-1 alpha-2 codes in capitals, got {', '.join(bad)}")
        if any(v <= 0 for v in (*self.numbers.values(), *self.units.values())):
            raise ValueError("[numbers] and [units] must be positive")
        return self


# ---------------------------------------------------------------- compiled for use

@dataclass(frozen=True)
class CompiledRule:
    weight: float
    groups: tuple[Patterns, ...]
    near: int | None
    none: Patterns
    context: tuple[Patterns, ...]
    heading: Patterns | None


@dataclass(frozen=True)
class MeasureLexicon:
    measure: Measure
    heading: Patterns
    rules: tuple[CompiledRule, ...]


@dataclass(frozen=True)
class Lexicon:
    source: LexiconFile
    measures: tuple[MeasureLexicon, ...]
    obligation: Patterns
    controller: Patterns
    subordinate: Patterns
    possessive: Patterns
    right: Patterns
    boilerplate: Patterns
    general: Patterns
    annex: Patterns
    contents: Patterns
    assistance: Patterns
    no_inversion: Patterns
    responsible: Patterns
    responsible_before: Patterns
    exception: Patterns
    out_of_scope: Patterns
    revision: Patterns
    negation: Patterns
    definition: Patterns
    advice: Patterns
    definitions_heading: Patterns
    boilerplate_heading: Patterns
    description_heading: Patterns
    measures_heading: Patterns
    no_lean_heading: Patterns
    numbers: dict[str, int]
    units: dict[str, int]
    breach_without_number: Patterns
    deadline_markers: Patterns
    adequacy: Patterns
    no_limit: Patterns
    consent_only: Patterns
    audit_frequency: tuple[tuple[Patterns, str], ...]
    audit_notice: Patterns
    purpose: Patterns
    authority: Patterns
    register_name: Patterns
    register_service: Patterns
    register_location: Patterns
    register_address: Patterns
    register_eea: Patterns
    not_register: Patterns
    legal_forms: frozenset[str]  # folded, as written after a comma ("inc.", "b.v.")
    countries: dict[str, str]  # folded name -> ISO code
    cities: dict[str, str]  # folded city name -> ISO code, for a location that names no country
    regions: dict[str, str]  # cloud region code ("eu-central-1") -> ISO code, from data/geo.json

    @property
    def scoring(self) -> Scoring:
        return self.source.scoring


def _p(values: list[str]) -> Patterns:
    return Patterns(tuple(values))


def compile_lexicon(data: LexiconFile, country_names: dict[str, str],
                    regions: dict[str, str] | None = None) -> Lexicon:
    measures = tuple(
        MeasureLexicon(m, _p(data.measures[m].heading), tuple(
            CompiledRule(r.weight, tuple(_p(g) for g in r.all), r.near, _p(r.none), tuple(_p(g) for g in r.context),
                         _p(r.heading) if r.heading else None)
            for r in data.measures[m].rules))
        for m in Measure)
    countries = {fold(name): code for code, name in country_names.items()}
    countries.update({fold(k): v for k, v in data.countries.items()})
    return Lexicon(
        source=data, measures=measures,
        obligation=_p(data.cues.obligation), controller=_p(data.cues.controller),
        subordinate=_p(data.cues.subordinate), possessive=_p(data.cues.possessive), right=_p(data.cues.right),
        boilerplate=_p(data.cues.boilerplate), general=_p(data.cues.general),
        annex=_p(data.cues.annex), contents=_p(data.cues.contents), assistance=_p(data.cues.assistance),
        no_inversion=_p(data.cues.no_inversion), responsible=_p(data.cues.responsible),
        responsible_before=_p(data.cues.responsible_before), exception=_p(data.cues.exception),
        revision=_p(data.cues.revision), negation=_p(data.cues.negation), definition=_p(data.cues.definition),
        advice=_p(data.cues.advice),
        out_of_scope=_p(data.cues.out_of_scope),
        definitions_heading=_p(data.headings.definitions), boilerplate_heading=_p(data.headings.boilerplate),
        description_heading=_p(data.headings.description), measures_heading=_p(data.headings.measures),
        no_lean_heading=_p(data.headings.no_lean),
        numbers={fold(k): v for k, v in data.numbers.items()},
        units={fold(k): v for k, v in data.units.items()},
        breach_without_number=_p(data.parameters.breach_without_number),
        deadline_markers=_p(data.parameters.deadline_markers),
        adequacy=_p(data.parameters.adequacy), no_limit=_p(data.parameters.no_limit),
        consent_only=_p(data.parameters.consent_only),
        audit_frequency=tuple((Patterns((f.pattern,)), f.value) for f in data.parameters.audit_frequency),
        audit_notice=_p(data.parameters.audit_notice),
        purpose=_p(data.parameters.purpose), authority=_p(data.parameters.authority),
        register_name=_p(data.subprocessors.name), register_service=_p(data.subprocessors.service),
        register_location=_p(data.subprocessors.location),
        register_address=_p(data.subprocessors.address), register_eea=_p(data.subprocessors.eea),
        not_register=_p(data.subprocessors.not_register),
        legal_forms=frozenset(fold(f) for f in data.subprocessors.legal_forms),
        countries=countries, cities={fold(k): v for k, v in data.cities.items()},
        regions={k.casefold(): v for k, v in (regions or {}).items() if v},
    )


def parse_lexicon(text: str, origin: str) -> Lexicon:
    """Parse and validate a lexicon; a problem is one :class:`CatalogError` line naming the key."""
    import json

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{origin}: not valid TOML: {exc}") from None
    try:
        data = LexiconFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise CatalogError(f"{origin}: {loc}: {msg}") from None
    geo = json.loads(data_text("geo.json"))
    return compile_lexicon(data, geo["country_names"], geo["aws_regions"])


@cache
def load_lexicon() -> Lexicon:
    return parse_lexicon(data_text("dpa_lexicon.toml"), "data/dpa_lexicon.toml")
