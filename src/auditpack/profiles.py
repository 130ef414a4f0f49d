"""DPA profiles: one TOML file per Data Processing Agreement.

A profile lists the agreement's identity, the clauses that promise something (numbered
exactly as the document numbers them, with a short quote in the original language and
the measures promised), parameters that override the policy for the findings mapped to
it, and the sub-processor register. See ``docs/profiles.md`` for the format.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from .config import MeasureName, Policy, Strict
from .errors import ConfigError
from .model import ClauseRef, Measure


class ProfileInfo(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    processor: str
    counterpart: str
    date: str | None = None
    language: str = "nl"
    source: str | None = Field(None, description="the document this profile was made from")
    draft: bool = Field(False, description="drafted by `auditpack dpa import` and not yet reviewed: "
                        "reports show a draft banner until a person sets it to false")


class Clause(Strict):
    ref: str = Field(min_length=1, description="as the document numbers it: 'Artikel 3.1', '7.2 (v)'")
    heading: str | None = None
    quote: str = Field(min_length=1, description="a short quote in the original language")
    measures: tuple[MeasureName, ...] = ()
    checks: tuple[str, ...] = Field((), description="specific checks, when finer than the measures")
    manual: bool = Field(False, description="no automated check can answer this clause (e.g. a contract with "
                         "each sub-processor): no findings are attached, the report asks for manual evidence")
    parameters: tuple[str, ...] = Field((), description="the [parameters] keys whose values this clause sets")
    note: str | None = None

    @model_validator(mode="after")
    def _promises_something(self) -> Clause:
        if not self.measures and not self.checks:
            raise ValueError(f"clause {self.ref!r} promises no measure and names no check")
        return self


class Subprocessor(Strict):
    name: str
    service: str
    location: str = Field(description="as declared in the register, e.g. 'EEA (Germany)'")
    countries: tuple[str, ...] = Field(
        (), description="ISO codes the register allows; empty with eea=true means any EEA country")
    eea: bool = Field(False, description="the register declares 'EEA' without naming a country")
    providers: tuple[str, ...] = Field(
        (), description="collector provider ids and declared provider names that are this sub-processor, "
                        "e.g. 'aws', 'hetzner', 'Hetzner Online'")
    note: str | None = None

    @field_validator("countries")
    @classmethod
    def _iso_countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in value if not re.fullmatch(r"[A-Z]{2}", c)]
        if bad:
            raise ValueError(f"countries must be ISO 3166-1 alpha-2 codes in capitals, got {', '.join(bad)}")
        return value

    def matches(self, *names: str) -> bool:
        """Whether a provider seen by a collector (its id or its name) is this sub-processor.
        Case-insensitive and whitespace-insensitive; exact otherwise (no fuzzy guessing)."""
        mine = {_norm(n) for n in (self.name, *self.providers)}
        return any(_norm(n) in mine for n in names if n)


class Profile(Strict):
    profile: ProfileInfo
    parameters: dict[str, Any] = Field(default_factory=dict)
    subprocessor_clause: str | None = Field(
        None, description="the clause or annex holding the register, e.g. 'Bijlage D'")
    clauses: tuple[Clause, ...]
    subprocessors: tuple[Subprocessor, ...] = ()

    @property
    def id(self) -> str:
        return self.profile.id

    @model_validator(mode="after")
    def _check(self) -> Profile:
        unknown = set(self.parameters) - set(Policy.model_fields)
        if unknown:
            raise ValueError(f"[parameters] has unknown keys: {', '.join(sorted(unknown))} "
                             "(allowed: the [policy] keys)")
        try:
            Policy().with_overrides(self.parameters)  # validates the values
        except ValidationError as exc:
            err = exc.errors()[0]
            key = ".".join(str(x) for x in err["loc"])
            raise ValueError(f"[parameters] {key}: {err['msg']}") from None
        refs = [c.ref for c in self.clauses]
        dupes = {r for r in refs if refs.count(r) > 1}
        if dupes:
            raise ValueError(f"clause refs appear twice: {', '.join(sorted(dupes))}")
        for clause in self.clauses:
            missing = set(clause.parameters) - set(self.parameters)
            if missing:
                raise ValueError(f"clause {clause.ref!r} names parameters that [parameters] does not set: "
                                 f"{', '.join(sorted(missing))}")
        if self.subprocessor_clause is not None and self.subprocessor_clause not in refs:
            raise ValueError(f"subprocessor_clause {self.subprocessor_clause!r} is not one of the clauses")
        names = [_norm(s.name) for s in self.subprocessors]
        if len(names) != len(set(names)):
            raise ValueError("a sub-processor appears twice in the register")
        return self

    def policy(self, base: Policy) -> Policy:
        return base.with_overrides(self.parameters)

    def clauses_for(self, check_id: str, measure: Measure) -> tuple[ClauseRef, ...]:
        return tuple(
            ClauseRef(self.id, c.ref) for c in self.clauses
            if not c.manual and (measure in c.measures or check_id in c.checks)
        )

    def clause(self, ref: str) -> Clause | None:
        return next((c for c in self.clauses if c.ref == ref), None)


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def builtin_profiles() -> list[str]:
    folder = resources.files("auditpack").joinpath("data", "profiles")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _parse(text: str, origin: str) -> Profile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(origin, "", f"not valid TOML: {exc}") from None
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise ConfigError(origin, loc, message) from None


@cache
def load_builtin(name: str) -> Profile:
    path = resources.files("auditpack").joinpath("data", "profiles", f"{name}.toml")
    if not path.is_file():
        raise ConfigError("[[dpa]] profile", name,
                          f"no built-in profile of that name (built-in: {', '.join(builtin_profiles()) or 'none'})")
    return _parse(path.read_text("utf-8"), f"built-in profile {name}")


def load_profile(ref: str) -> Profile:
    """``ref`` is a path to a TOML file or the name of a built-in profile."""
    if ref.endswith(".toml") or "/" in ref:
        path = Path(ref)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(str(path), "", f"cannot read the DPA profile: {exc.strerror or exc}") from None
        return _parse(text, str(path))
    return load_builtin(ref)
