"""The pre-flight pass: every reference in a valid configuration resolves before the first call.

A missing key file, an unset token variable or a misspelt region would otherwise surface
during collection as hundreds of identical ``error`` findings and exit 3. Here it is one
line naming the file, the section and the key, exit 4, and nothing is collected. Each
collector checks its own section (:meth:`Collector.preflight`); the core checks that
something is configured at all and that attached documents exist and name real clauses
and controls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .catalogs import GDPR_PREFIX, Catalogs, load_catalogs
from .config import Config, ConfigProblem, entry_location, missing_file
from .errors import ConfigError
from .profiles import Profile
from .registry import Registry


def check_config(config: Config, registry: Registry, environ: Mapping[str, str],
                 profiles: Sequence[Profile] = ()) -> None:
    """Raise :class:`ConfigError` for the first problem (one line; the count of the others)."""
    problems = _sources(config, registry, environ) + _documents(config, profiles, load_catalogs())
    if problems:
        first = problems[0]
        more = len(problems) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(config.source, first.location, first.message + extra)


def _sources(config: Config, registry: Registry, environ: Mapping[str, str]) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    enabled: list[str] = []
    for cid in sorted(registry.collectors):
        cls = registry.collectors[cid]
        settings = config.section(cls.config_section) if cls.config_section else None
        try:
            collector = cls(settings)
            if not collector.enabled():
                continue
            enabled.append(cls.config_section or cid)
            problems += collector.preflight(environ)
        except Exception as exc:  # noqa: BLE001 - plugin code: the engine reports it as a collector error
            del exc
    manual_only = config.core.run.manual_evidence_only
    if manual_only and enabled:
        names = ", ".join(f"[{n}]" for n in enabled)
        problems.insert(0, ConfigProblem("[run]", f"manual_evidence_only = true, but {names} would collect: "
                                                  "remove one or the other"))
    elif not enabled and not manual_only and not registry.broken_section_names():
        problems.insert(0, ConfigProblem(
            "(top level)", "no source is configured: nothing would be collected (add [aws], [[hetzner.projects]], "
                           "[[ssh.hosts]] or [tls] endpoints, or set [run] manual_evidence_only = true to render "
                           "only the attached documents)"))
    return problems


def _documents(config: Config, profiles: Sequence[Profile], catalogs: Catalogs) -> list[ConfigProblem]:
    clauses = {f"{p.id}: {c.ref}" for p in profiles for c in p.clauses}
    problems = []
    for number, doc in enumerate(config.core.manual_evidence, 1):
        where = entry_location("manual_evidence", number, None)
        message = missing_file(doc.path, "path")
        if message:
            problems.append(ConfigProblem(where, message))
        for ref in doc.clauses:
            if ref not in clauses:
                problems.append(ConfigProblem(where, f"clauses: {ref!r} is not a clause of a configured [[dpa]] "
                                                     "profile (write \"<profile id>: <clause ref>\")"))
        for control in doc.iso:
            if control not in catalogs.iso:
                problems.append(ConfigProblem(where, f"iso: {control!r} is not an ISO/IEC 27001:2022 Annex A "
                                                     "control id (like \"A.5.30\")"))
        for article in doc.gdpr:
            try:
                catalogs.describe(GDPR_PREFIX + article)
            except KeyError:
                problems.append(ConfigProblem(where, f"gdpr: {article!r} is not a GDPR article of the catalog "
                                                     "(like \"28(1)\")"))
    return problems



