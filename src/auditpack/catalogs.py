"""Catalogs and the measure/check -> control mapping, loaded from data and validated strictly.

A compliance owner reviews ``data/mapping.toml`` as a diff; this module only reads it and
refuses anything that does not resolve to a real ISO/IEC 27001:2022 Annex A control or a
GDPR article of the catalog.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .errors import CatalogError
from .model import Measure

ISO_PREFIX = "ISO27001:2022/"
GDPR_PREFIX = "GDPR/Art."
_ISO_ID = re.compile(r"^A\.[5-8]\.[0-9]{1,2}$")
_GDPR_REF = re.compile(r"^([0-9]+)((?:\([0-9a-z]+\))*)(?:-\([0-9a-z]+\))?$")


def data_text(name: str) -> str:
    return resources.files("auditpack").joinpath("data", name).read_text("utf-8")


@dataclass(frozen=True, slots=True)
class Control:
    ref: str  # "ISO27001:2022/A.8.24" or "GDPR/Art.32(1)(a)"
    framework: str  # "iso27001_2022" | "gdpr"
    id: str  # "A.8.24" | "32(1)(a)"
    title: str
    theme: str = ""


@dataclass(frozen=True)
class Catalogs:
    iso: dict[str, Control]
    gdpr: dict[str, Control]
    measures: dict[Measure, tuple[str, ...]]
    checks: dict[str, tuple[str, ...]]

    def controls_for(self, check_id: str, measure: Measure) -> tuple[str, ...]:
        refs = list(self.measures.get(measure, ()))
        for ref in self.checks.get(check_id, ()):
            if ref not in refs:
                refs.append(ref)
        return tuple(refs)

    def describe(self, ref: str) -> Control:
        if ref.startswith(ISO_PREFIX):
            return self.iso[ref[len(ISO_PREFIX):]]
        article = ref[len(GDPR_PREFIX):]
        if article in self.gdpr:
            return self.gdpr[article]
        parent = _gdpr_parent(article, self.gdpr)
        if parent is None:
            raise KeyError(ref)
        return Control(ref, "gdpr", article, self.gdpr[parent].title)


def _gdpr_parent(article: str, known: dict[str, Control]) -> str | None:
    """The most specific catalog article that ``article`` refines: 30(2)(c) -> 30(2)."""
    candidate = article
    while candidate:
        if candidate in known:
            return candidate
        if "(" not in candidate:
            return None
        candidate = candidate[: candidate.rfind("(")]
    return None


def _iso_ref(iso: dict[str, Control], value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ISO_ID.match(value) or value not in iso:
        raise CatalogError(f"mapping.toml {where}: {value!r} is not an ISO/IEC 27001:2022 Annex A control id")
    return ISO_PREFIX + value


def _gdpr_ref(gdpr: dict[str, Control], value: Any, where: str) -> str:
    if not isinstance(value, str) or not _GDPR_REF.match(value) or _gdpr_parent(value, gdpr) is None:
        raise CatalogError(f"mapping.toml {where}: {value!r} is not a GDPR article of the catalog")
    return GDPR_PREFIX + value


def _refs(entry: Any, iso: dict[str, Control], gdpr: dict[str, Control], where: str) -> tuple[str, ...]:
    if not isinstance(entry, dict) or set(entry) - {"iso", "gdpr"}:
        raise CatalogError(f"mapping.toml {where}: expected only the keys 'iso' and 'gdpr'")
    out = [_iso_ref(iso, v, where) for v in entry.get("iso", [])]
    out += [_gdpr_ref(gdpr, v, where) for v in entry.get("gdpr", [])]
    return tuple(out)


def parse_catalogs(iso_json: str, gdpr_json: str, mapping_toml: str) -> Catalogs:
    iso_data = json.loads(iso_json)
    iso: dict[str, Control] = {}
    for item in iso_data["controls"]:
        cid = item["id"]
        if not _ISO_ID.match(cid) or cid in iso:
            raise CatalogError(f"iso27001_2022.json: bad or duplicate control id {cid!r}")
        iso[cid] = Control(ISO_PREFIX + cid, "iso27001_2022", cid, item["title"], item.get("theme", ""))
    if len(iso) != 93:
        raise CatalogError(f"iso27001_2022.json: expected the 93 Annex A controls, found {len(iso)}")
    gdpr: dict[str, Control] = {}
    for item in json.loads(gdpr_json)["articles"]:
        art = item["article"]
        if art in gdpr:
            raise CatalogError(f"gdpr.json: duplicate article {art!r}")
        gdpr[art] = Control(GDPR_PREFIX + art, "gdpr", art, item["topic"])
    mapping = tomllib.loads(mapping_toml)
    if set(mapping) - {"measures", "checks"}:
        raise CatalogError("mapping.toml: only [measures.*] and [checks.*] tables are allowed")
    measures: dict[Measure, tuple[str, ...]] = {}
    for name, entry in mapping.get("measures", {}).items():
        try:
            measure = Measure(name)
        except ValueError:
            raise CatalogError(f"mapping.toml [measures.{name}]: not a measure") from None
        measures[measure] = _refs(entry, iso, gdpr, f"[measures.{name}]")
    missing = set(Measure) - set(measures)
    if missing:
        raise CatalogError(f"mapping.toml: measures without controls: {', '.join(sorted(missing))}")
    checks = {name: _refs(entry, iso, gdpr, f"[checks.{name}]") for name, entry in mapping.get("checks", {}).items()}
    return Catalogs(iso, gdpr, measures, checks)


@cache
def load_catalogs() -> Catalogs:
    return parse_catalogs(data_text("iso27001_2022.json"), data_text("gdpr.json"), data_text("mapping.toml"))
