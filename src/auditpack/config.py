"""Strict configuration: TOML into models that forbid unknown keys.

A mistyped key in an audit tool is not a style problem: a misspelt allowed-region list
silently falling back to a default corrupts the residency verdict. Every error names the
file, the section and the key in one line.

Collector sections (``[aws]``, ``[hetzner]``, ``[ssh]``, ``[tls]``, a plugin's own) are
declared by the registered collectors themselves (``Collector.config_section`` and
``config_model``); the core owns the rest.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic import Strict as StrictType
from pydantic.functional_validators import AfterValidator

from .errors import ConfigError
from .model import Measure

if TYPE_CHECKING:
    from .registry import Registry

Residency = Literal["eea", "eea+adequacy"]
TlsVersion = Literal["1.0", "1.1", "1.2", "1.3"]


def _resolve_path(value: str, info: ValidationInfo) -> str:
    """Expand ``~`` and make relative paths relative to the configuration file's folder."""
    expanded = Path(os.path.expanduser(value))
    base = (info.context or {}).get("base_dir") if info.context else None
    if not expanded.is_absolute() and base is not None:
        expanded = Path(base) / expanded
    return str(expanded)


def _after_path(value: str, info: ValidationInfo) -> str:
    return _resolve_path(value, info)


#: A path in the configuration: ``~`` expanded, relative to the configuration file.
ConfigPath = Annotated[str, AfterValidator(_after_path)]


#: a measure named by its string value (strict models otherwise want the enum member)
MeasureName = Annotated[Measure, StrictType(False)]


class Strict(BaseModel):
    """Base of every configuration model: unknown keys are errors, values are frozen, and
    types are strict (``port = "22"`` is an error, not 22: a quoted number is a typo that
    must not be guessed at)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _arrays_as_tuples(cls, value: Any) -> Any:
        """TOML arrays arrive as lists; the frozen models hold tuples (strict mode would
        otherwise reject every array)."""
        if isinstance(value, Mapping):
            return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
        return value


class Policy(Strict):
    """Organisation-wide defaults. A DPA profile's ``[parameters]`` override them for the
    findings mapped to that profile."""

    residency: Residency = "eea"
    backup_max_age_hours: float = Field(26, gt=0)
    tls_min_version: TlsVersion = "1.2"
    certificate_min_days: int = Field(21, ge=0)
    backup_test_max_age_days: int = Field(35, gt=0,
                                          description="how recent a repository check or restore test must be")
    access_key_max_age_days: int = Field(90, gt=0)
    snapshot_max_age_hours: float | None = Field(
        None, gt=0, description="EBS/RDS snapshot age limit; default: backup_max_age_hours")
    deletion_days: int | None = Field(None, ge=0, description="deletion deadline after termination (DPA)")
    breach_deadline_hours: int | None = Field(None, gt=0, description="breach notification deadline (DPA)")
    audit_frequency: str | None = None
    admin_ports: tuple[int, ...] = (22, 3389)
    evidence_max_age_hours: float = Field(
        24, gt=0, description="how long collected evidence counts as current (OSCAL observations' expiry)")
    database_ports: tuple[int, ...] = (1433, 1521, 3306, 5432, 5984, 6379, 9042, 9200, 11211, 27017)
    admin_sources: tuple[str, ...] = Field(
        (), description="CIDRs that may reach admin/database ports (Hetzner firewalls); empty: a source fails when "
                        "it is the whole internet or a public range wider than an IPv4 /16 or an IPv6 /32")

    @field_validator("admin_sources")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Normalised networks (``10.1.2.3/8`` is read as ``10.0.0.0/8``); a typo is an error."""
        out = []
        for item in value:
            try:
                out.append(str(ipaddress.ip_network(item.strip(), strict=False)))
            except ValueError:
                raise ValueError(f"{item!r} is not an IP network in CIDR notation (e.g. 203.0.113.0/24)") from None
        return tuple(out)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Policy:
        return Policy.model_validate({**self.model_dump(), **dict(overrides)})


class Organisation(Strict):
    name: str = "Unnamed organisation"
    contact: str | None = None


class RunSettings(Strict):
    max_parallel_collectors: int = Field(4, ge=1, le=64)
    collector_timeout_seconds: float = Field(900, gt=0)
    manual_evidence_only: bool = Field(
        False, description="true: collect nothing, only render [[manual_evidence]] (otherwise a "
                           "configuration without any source is an error)")


class HistorySettings(Strict):
    enabled: bool = True
    path: ConfigPath | None = Field(None, description="SQLite file; default under the user's data dir")
    keep_days: int = Field(400, ge=1, description="runs older than this are deleted (a yearly audit period fits)")
    period_days: int = Field(365, ge=1, description="the audit period the report's \"Over the period\" covers")


class LockerSettings(Strict):
    """The evidence locker: every pack uploaded write-once (S3 Object Lock) after it is written."""

    s3_uri: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\s]*)?$",
                        description="s3://bucket/prefix; the bucket must have Object Lock enabled")
    retention_days: int = Field(ge=1, le=36500, description="how long nobody (in compliance mode) can change a pack")
    mode: Literal["compliance", "governance"] = "compliance"
    region: str | None = None
    endpoint_url: str | None = Field(None, description="an S3-compatible endpoint (emulators, tests)")
    profile: str | None = Field(None, description="a named profile of the AWS credential chain")


class SigningSettings(Strict):
    """Trusted time for signed packs (``run --sign-key``)."""

    tsa_url: str | None = Field(None, pattern=r"^https?://\S+$",
                                description="RFC 3161 time-stamping authority asked for a token over the signature")
    tsa_timeout_seconds: float = Field(10, gt=0, le=300)


class DpaRef(Strict):
    profile: str = Field(description="path to a profile TOML, or the name of a built-in profile")

    @field_validator("profile")
    @classmethod
    def _resolve(cls, value: str, info: ValidationInfo) -> str:
        if value.endswith(".toml") or "/" in value or os.sep in value:
            return _resolve_path(value, info)
        return value


class Waiver(Strict):
    """An accepted exception: a finding that stays visible but is marked as accepted."""

    check: str
    resource: str = Field(description="resource id, or an fnmatch pattern over resource ids")
    owner: str
    reason: str
    expires: dt.date

    def active_on(self, day: dt.date) -> bool:
        """In force on ``day`` (through its expiry date): the one rule the engine and the pack use."""
        return self.expires >= day


class ManualEvidence(Strict):
    """A document a person attaches (ISO certificate, pen-test report, restore-test record).

    It answers DPA clauses and controls only when it names them, was reviewed by someone
    (``reviewer``) and is valid on the day of the run (``valid_until`` and/or ``max_age_days``
    after its ``date``): then it supports them with basis *attested*, never *observed*.
    """

    path: ConfigPath
    title: str
    measures: tuple[MeasureName, ...] = ()
    date: dt.date | None = None
    clauses: tuple[str, ...] = Field((), description='DPA clauses it answers: "<profile id>: <clause ref>"')
    iso: tuple[str, ...] = Field((), description='ISO/IEC 27001:2022 Annex A controls it answers: "A.5.30"')
    gdpr: tuple[str, ...] = Field((), description='GDPR articles it answers: "28(1)"')
    reviewer: str | None = Field(None, min_length=1, description="who checked the document")
    valid_until: dt.date | None = Field(None, description="last day the document is valid")
    max_age_days: int | None = Field(None, gt=0, description="valid for this many days after `date`")

    @model_validator(mode="after")
    def _attestation_is_complete(self) -> ManualEvidence:
        if self.max_age_days is not None and self.date is None:
            raise ValueError("max_age_days needs the document's `date`")
        if self.clauses or self.iso or self.gdpr:
            if not self.reviewer:
                raise ValueError("a document that answers clauses or controls needs a `reviewer`")
            if self.valid_until is None and self.max_age_days is None:
                raise ValueError("a document that answers clauses or controls needs `valid_until` or `max_age_days`")
        return self

    def expires_on(self) -> dt.date | None:
        """The last day this document is valid (the earlier of both limits), None: no limit."""
        limits = [d for d in (self.valid_until,) if d is not None]
        if self.max_age_days is not None and self.date is not None:
            limits.append(self.date + dt.timedelta(days=self.max_age_days))
        return min(limits) if limits else None


class CoreConfig(Strict):
    organisation: Organisation = Organisation()
    policy: Policy = Policy()
    run: RunSettings = RunSettings()
    history: HistorySettings = HistorySettings()
    signing: SigningSettings = SigningSettings()
    locker: LockerSettings | None = None
    dpa: tuple[DpaRef, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    manual_evidence: tuple[ManualEvidence, ...] = ()


CORE_SECTIONS = frozenset(CoreConfig.model_fields)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """A reference in a valid configuration that does not resolve (a missing key file, an
    unset secret variable, an unknown region): found by the pre-flight pass, before any
    collection. ``location`` as in errors: ``[tls]``, ``[[ssh.hosts]] #1 (name = "b")``."""

    location: str
    message: str


def entry_location(table: str, number: int, name: str | None = None) -> str:
    """``[[ssh.hosts]] #2 (name = "backup-1")``: how errors name an entry of an array of tables."""
    label = f' (name = "{name}")' if name else ""
    return f"[[{table}]] #{number}{label}"


def missing_file(path: str | None, key: str) -> str | None:
    """A message when a configured file does not exist or is not a file."""
    if path is None:
        return None
    target = Path(path)
    if not target.exists():
        return f"{key}: {path!r} does not exist"
    if not target.is_file():
        return f"{key}: {path!r} is not a file"
    return None


def unset_variable(environ: Mapping[str, str], name: str | None, key: str) -> str | None:
    """A message when the environment variable a configuration key names is unset or empty."""
    if name is None or environ.get(name):
        return None
    return f"{key}: the environment variable {name} is not set" + (" (it is empty)" if name in environ else "")


class Config:
    """The validated configuration: core settings plus one model per collector section."""

    def __init__(self, core: CoreConfig, sections: Mapping[str, BaseModel], source: str,
                 ignored_sections: tuple[str, ...] = ()) -> None:
        self.core = core
        self.sections = dict(sections)
        self.source = source
        self.ignored_sections = ignored_sections

    @property
    def policy(self) -> Policy:
        return self.core.policy

    def section(self, name: str) -> BaseModel | None:
        return self.sections.get(name)


def _format_location(loc: tuple[Any, ...], data: Mapping[str, Any]) -> tuple[str, str]:
    """Turn a pydantic error location into ``[section]`` / ``[[array]] #n`` plus the key."""
    parts: list[str] = []
    node: Any = data
    i = 0
    key = ""
    table: list[str] = []
    while i < len(loc):
        item = loc[i]
        if isinstance(item, int):
            label = ""
            if isinstance(node, list) and item < len(node) and isinstance(node[item], Mapping):
                name = node[item].get("name")
                label = f' (name = "{name}")' if isinstance(name, str) else ""
            table_name = ".".join(table)
            parts = [f"[[{table_name}]] #{item + 1}{label}"]
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            value = node.get(item) if isinstance(node, Mapping) else None
            if isinstance(value, list) and not all(isinstance(v, Mapping) for v in value):
                # an array of values, not of tables: "admin_ports[1]"
                key = str(item) + "".join(f"[{x + 1}]" if isinstance(x, int) else f".{x}" for x in loc[i + 1:])
                break
            if isinstance(node, Mapping) and isinstance(node.get(item), (Mapping, list)) and i < len(loc) - 1:
                table.append(str(item))
                parts = [f"[{'.'.join(table)}]"]
                node = node.get(item)
            else:
                key = ".".join(str(x) for x in loc[i:])
                break
        i += 1
    return (parts[0] if parts else "(top level)"), key


def _one_line(exc: ValidationError, data: Mapping[str, Any], prefix: tuple[Any, ...] = ()) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = prefix + tuple(err["loc"])
    section, key = _format_location(loc, data)
    kind = err["type"]
    if kind == "extra_forbidden":
        message = f"unknown key {key!r}"
    elif kind == "missing":
        message = f"missing required key {key!r}"
    else:
        value = err.get("input")
        shown = repr(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__
        message = f"{key}: {err['msg'].rstrip('.')} (got {shown})" if key else err["msg"]
    extra = len(exc.errors()) - 1
    if extra:
        message += f" (and {extra} more problem{'s' if extra > 1 else ''})"
    return section, message


def renamed_checks() -> dict[str, tuple[str, str]]:
    """Old check id -> (new id, why), from ``data/renamed_checks.toml``."""
    from .catalogs import data_text

    data = tomllib.loads(data_text("renamed_checks.toml"))
    return {old: (entry["renamed_to"], entry["why"]) for old, entry in data.items()}


def _check_waivers(waivers: tuple[Waiver, ...], registry: Registry, file: str) -> None:
    """A waiver for a check that does not exist would show as "active" and cover nothing."""
    import difflib

    if any(b.group.endswith("checks") for b in registry.broken):
        return  # a check plugin failed to load: its ids are unknown, the run is incomplete anyway
    renamed = renamed_checks()
    for number, waiver in enumerate(waivers, 1):
        if waiver.check in renamed and waiver.check not in registry.checks:
            new, why = renamed[waiver.check]
            raise ConfigError(file, f"[[waivers]] #{number}", f"check: {waiver.check!r} was renamed to {new!r} "
                                                              f"({why}); review the waiver and name the new id")
        if waiver.check not in registry.checks:
            near = difflib.get_close_matches(waiver.check, list(registry.checks), n=1, cutoff=0.6)
            hint = f"; did you mean {near[0]!r}?" if near else " (auditpack checks lists them)"
            raise ConfigError(file, f"[[waivers]] #{number}", f"check: no check has the id {waiver.check!r}{hint}")


def load_config(path: str | os.PathLike[str], registry: Registry) -> Config:
    """Read and validate a configuration file. Raises :class:`ConfigError` (one line)."""
    file = str(path)
    try:
        raw = Path(file).read_bytes()
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read the configuration file: {exc.strerror or exc}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ConfigError(file, "", "starts with a UTF-8 byte-order mark (BOM), which TOML does not allow: "
                                    "save it as UTF-8 without BOM")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        return validate_config(data, registry, file, base_dir=str(Path(file).resolve().parent))
    except UnicodeDecodeError:
        raise ConfigError(file, "", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(file, "", "nested too deeply (arrays or tables inside each other)") from None


def validate_config(data: Mapping[str, Any], registry: Registry, file: str = "<config>",
                    base_dir: str | None = None) -> Config:
    context = {"base_dir": base_dir}
    core_data = {k: v for k, v in data.items() if k in CORE_SECTIONS}
    try:
        core = CoreConfig.model_validate(core_data, context=context)
    except ValidationError as exc:
        section, message = _one_line(exc, data)
        raise ConfigError(file, section, message) from None
    _check_waivers(core.waivers, registry, file)

    sections: dict[str, BaseModel] = {}
    ignored: list[str] = []
    known = registry.config_sections()
    for name, value in data.items():
        if name in CORE_SECTIONS:
            continue
        model = known.get(name)
        if model is None:
            if name in registry.broken_section_names():
                ignored.append(name)  # its plugin failed to load: reported as a broken plugin
                continue
            choices = ", ".join(sorted(CORE_SECTIONS | set(known)))
            raise ConfigError(file, f"[{name}]", f"unknown section (known: {choices})")
        if not isinstance(value, Mapping):
            raise ConfigError(file, f"[{name}]", "must be a table")
        try:
            sections[name] = model.model_validate(value, context=context)
        except ValidationError as exc:
            section, message = _one_line(exc, data, prefix=(name,))
            raise ConfigError(file, section, message) from None
    return Config(core, sections, file, tuple(ignored))
