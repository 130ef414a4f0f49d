"""Where things are: provider location codes to countries, and whether a country is
allowed by a residency policy. Pure data lookups (``data/geo.json``); unknown is unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from .catalogs import data_text


class Placement(StrEnum):
    EEA = "eea"
    ADEQUATE = "adequate"  # outside the EEA with an unconditional EU adequacy decision
    CONDITIONAL = "conditional"  # adequacy only for certified organisations (US DPF, CA PIPEDA)
    THIRD_COUNTRY = "third_country"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Residency:
    """The verdict material for one country under one policy."""

    country: str | None
    placement: Placement
    allowed: bool | None  # None: cannot be decided from infrastructure (unknown, conditional)
    explanation: str


@cache
def _geo() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(data_text("geo.json"))
    return data


def country_name(code: str | None) -> str:
    if not code:
        return "unknown country"
    return str(_geo()["country_names"].get(code, code))


def aws_region_country(region: str | None) -> str | None:
    """ISO country of an AWS region; S3's ``None`` location means us-east-1, ``EU`` eu-west-1."""
    if region is None or region == "":
        region = "us-east-1"
    if region == "EU":
        region = "eu-west-1"
    value = _geo()["aws_regions"].get(region)
    return str(value) if value else None


def hetzner_location_country(code: str | None) -> str | None:
    if not code:
        return None
    value = _geo()["hetzner_locations"].get(code)
    return str(value) if value else None


def placement(country: str | None) -> Placement:
    if not country:
        return Placement.UNKNOWN
    country = country.upper()
    geo = _geo()
    if country in geo["eea"]:
        return Placement.EEA
    adequacy = geo["adequacy"].get(country)
    if adequacy is not None:
        return Placement.CONDITIONAL if adequacy.get("conditional") else Placement.ADEQUATE
    if country in geo["country_names"] or len(country) == 2:
        return Placement.THIRD_COUNTRY
    return Placement.UNKNOWN


def residency(country: str | None, policy: str) -> Residency:
    """Is data in ``country`` allowed under ``policy`` ("eea" or "eea+adequacy")?"""
    where = placement(country)
    name = f"{country_name(country)} ({country})" if country else "an unknown country"
    if where is Placement.UNKNOWN:
        return Residency(country, where, None, "the country could not be determined")
    if where is Placement.EEA:
        return Residency(country, where, True, f"{name} is in the EEA")
    if policy == "eea":
        suffix = {
            Placement.ADEQUATE: " (it has an EU adequacy decision, but the policy requires the EEA)",
            Placement.CONDITIONAL: " (its adequacy decision is conditional and the policy requires the EEA)",
        }.get(where, "")
        return Residency(country, where, False, f"{name} is outside the EEA{suffix}")
    if where is Placement.ADEQUATE:
        return Residency(country, where, True, f"{name} is outside the EEA with an EU adequacy decision")
    if where is Placement.CONDITIONAL:
        condition = _geo()["adequacy"][country.upper()]["conditional"] if country else ""
        return Residency(country, where, None, f"{name} has an EU adequacy decision for {condition}: "
                                               "attach evidence of the provider's status")
    return Residency(country, where, False, f"{name} is outside the EEA and has no EU adequacy decision")


def is_eea(country: str | None) -> bool:
    return placement(country) is Placement.EEA
