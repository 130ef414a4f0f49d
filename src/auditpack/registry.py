"""One small explicit registry for collectors and checks.

Built-ins register through the same path as third-party packages: the entry-point groups
``auditpack.collectors`` (a :class:`~auditpack.collectors.Collector` subclass) and
``auditpack.checks`` (a module, whose :class:`~auditpack.checks.Check` objects are taken,
or an iterable of checks). A plugin that fails to load is reported and skipped; it never
stops the run, and the run says it is incomplete.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from pydantic import BaseModel

from auditpack.checks import Check
from auditpack.collectors import Collector

log = logging.getLogger("auditpack.registry")

COLLECTOR_GROUP = "auditpack.collectors"
CHECK_GROUP = "auditpack.checks"


@dataclass(frozen=True, slots=True)
class BrokenPlugin:
    group: str
    name: str
    value: str
    error: str


class Registry:
    def __init__(self) -> None:
        self.collectors: dict[str, type[Collector]] = {}
        self.checks: dict[str, Check] = {}
        self.broken: list[BrokenPlugin] = []

    # -- registration ------------------------------------------------------------------
    def add_collector(self, cls: type[Collector]) -> None:
        if not (isinstance(cls, type) and issubclass(cls, Collector)):
            raise TypeError(f"{cls!r} is not a Collector subclass")
        if cls.id in self.collectors and self.collectors[cls.id] is not cls:
            raise ValueError(f"collector id {cls.id!r} is registered twice")
        self.collectors[cls.id] = cls

    def add_check(self, chk: Check) -> None:
        if not isinstance(chk, Check):
            raise TypeError(f"{chk!r} is not a Check (decorate it with @check)")
        if chk.id in self.checks and self.checks[chk.id] is not chk:
            raise ValueError(f"check id {chk.id!r} is registered twice")
        self.checks[chk.id] = chk

    def add_checks(self, obj: object) -> int:
        found: Iterable[object]
        if isinstance(obj, types.ModuleType):
            found = [v for v in vars(obj).values() if isinstance(v, Check)]
        elif isinstance(obj, Check):
            found = [obj]
        else:
            found = list(obj)  # type: ignore[call-overload]
        count = 0
        for chk in found:
            self.add_check(chk)  # type: ignore[arg-type]  # add_check checks the type at run time
            count += 1
        return count

    # -- discovery ---------------------------------------------------------------------
    def load_entry_points(self, eps: Iterable[EntryPoint] | None = None) -> None:
        """Load every plugin of both groups. ``eps`` lets tests inject entry points."""
        if eps is None:
            all_eps = entry_points()
            eps = [*all_eps.select(group=COLLECTOR_GROUP), *all_eps.select(group=CHECK_GROUP)]
        for ep in sorted(eps, key=lambda e: (e.group, e.name)):
            try:
                obj = ep.load()
                if ep.group == COLLECTOR_GROUP:
                    self.add_collector(obj)
                elif ep.group == CHECK_GROUP:
                    self.add_checks(obj)
            except Exception as exc:  # a broken plugin is reported, never fatal
                error = f"{type(exc).__name__}: {exc}"
                log.warning("plugin %s %r (%s) could not be loaded and is skipped: %s",
                            ep.group, ep.name, ep.value, error)
                self.broken.append(BrokenPlugin(ep.group, ep.name, ep.value, error))

    # -- queries -----------------------------------------------------------------------
    def config_sections(self) -> dict[str, type[BaseModel]]:
        out: dict[str, type[BaseModel]] = {}
        for cls in self.collectors.values():
            if cls.config_section and cls.config_model is not None:
                out[cls.config_section] = cls.config_model
        return out

    def broken_section_names(self) -> set[str]:
        return {b.name for b in self.broken if b.group == COLLECTOR_GROUP}

    def sorted_checks(self) -> list[Check]:
        return [self.checks[k] for k in sorted(self.checks)]


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry of installed plugins (built-ins included), loaded once per process."""
    global _default
    if _default is None:
        reg = Registry()
        reg.load_entry_points()
        _default = reg
    return _default
