"""Sub-processor reconciliation: the DPA's register against what the collectors saw.

Every provider collector emits one ``provider.use`` record per scope (an AWS account, a
Hetzner project, an SSH host with its declared provider and country) listing the locations
where it actually found resources. For each DPA profile these checks compare that with
the profile's sub-processor register:

- ``subprocessor_list_provider_registered``: a provider in use must be listed (pass) or it
  is a ``fail``; a listed sub-processor that no collector reported is ``manual`` (not
  covered: a person must show where it is used); a profile without a register (the DPA
  only asks for notification or guarantees) makes every provider in use ``manual``.
- ``subprocessor_list_location_declared``: every location a listed provider actually uses
  must be inside what the register declares for it (its countries, or "EEA"); an unknown
  location code is ``error``, never a guess.

Both run only per profile (``ctx.profile``); the organisation's base policy run emits none.
Provider matching is exact after case folding and whitespace normalisation
(:meth:`auditpack.profiles.Subprocessor.matches`): a near-miss name is a ``fail`` the
compliance owner resolves by adding the name to the register entry's ``providers``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from auditpack.checks import CheckContext, Verdict, check, errored, failed, manual, not_applicable, passed
from auditpack.evidence.provider import ProviderUse
from auditpack.geo import aws_region_country, country_name, hetzner_location_country, is_eea
from auditpack.model import Basis, Evidence, Measure, Resource, Severity
from auditpack.profiles import Profile, Subprocessor

_SCOPE_LABEL = {"aws": "AWS account", "hetzner": "Hetzner Cloud project", "ssh": "SSH host"}


def _uses(ctx: CheckContext) -> list[tuple[Evidence[ProviderUse], ProviderUse]]:
    return ctx.evidence.records(ProviderUse)


def _who(use: ProviderUse) -> str:
    label = _SCOPE_LABEL.get(use.provider, f"{use.provider} scope")
    declared = ", declared in the configuration" if use.declared else ""
    return f"{label} {use.scope} ({use.provider_name}{declared})"


def _register(profile: Profile) -> str:
    where = f" ({profile.subprocessor_clause})" if profile.subprocessor_clause else ""
    return f"the sub-processor register of DPA profile '{profile.id}'{where}"


def _entries(profile: Profile, use: ProviderUse) -> list[Subprocessor]:
    return [s for s in profile.subprocessors if s.matches(use.provider, use.provider_name)]


def _promising_clauses(profile: Profile) -> str:
    refs = [c.ref for c in profile.clauses if Measure.SUBPROCESSOR_LIST in c.measures]
    return ", ".join(refs) or "its sub-processor terms"


@check(
    basis=Basis.OBSERVED,
    title="Every provider in use is listed in the DPA's sub-processor register",
    measure=Measure.SUBPROCESSOR_LIST,
    needs=(ProviderUse,),
    severity=Severity.HIGH,
    remediation="Add the provider to the DPA's sub-processor register (and notify the customer as the DPA "
                "requires) or stop using it; if it is listed under another name, add that name to the "
                "register entry's `providers` in the profile.",
)
def subprocessor_list_provider_registered(ctx: CheckContext) -> Iterable[Verdict]:
    profile = ctx.profile
    if profile is None:
        return
    uses = list(_uses(ctx))
    if not profile.subprocessors:
        for ev, use in uses:
            yield manual(ev, f"{_who(use)} is in use; DPA profile '{profile.id}' has no sub-processor register, so "
                             f"show that this sub-processor meets {_promising_clauses(profile)} "
                             "(notification, authorisation or its agreement).",
                         details={"profile": profile.id, "provider": use.provider_name},
                         remediation="Attach the notification to the customer, its authorisation or the agreement "
                                     "with this sub-processor as manual evidence.")
        return
    covered: set[str] = set()
    for ev, use in uses:
        entries = _entries(profile, use)
        if entries:
            covered.update(e.name for e in entries)
            entry = entries[0]
            yield passed(ev, f"{_who(use)} is listed in {_register(profile)} as '{entry.name}' ({entry.service}, "
                             f"{entry.location}).",
                         details={"profile": profile.id, "register_entry": entry.name})
        else:
            yield failed(ev, f"{_who(use)} is in use but is not listed in {_register(profile)}.",
                         details={"profile": profile.id, "provider": use.provider_name})
    for entry in profile.subprocessors:
        if entry.name in covered:
            continue
        subject = Resource(provider="dpa", type="subprocessor", id=f"{profile.id}:{entry.name}", name=entry.name,
                           location=entry.location, scope=profile.id)
        yield manual(subject, f"Listed sub-processor {entry.name} ({entry.service}, {entry.location}) is not covered "
                              "by any collector in this run: attach evidence of where it processes data.",
                     details={"profile": profile.id, "register_entry": entry.name},
                     remediation="Attach the sub-processor's own evidence (its DPA, location statement) as manual "
                                 "evidence, or configure a collector that sees it (e.g. an SSH host that declares it).")


def _countries(use: ProviderUse) -> tuple[list[tuple[str, str]], list[str]]:
    """The (location code, country) pairs the use reports, and the codes that map to no country."""
    known: list[tuple[str, str]] = []
    unknown: list[str] = []
    lookup = {"aws_region": aws_region_country, "hetzner_location": hetzner_location_country}.get(use.location_type)
    for code in use.locations:
        country = lookup(code) if lookup else (code.upper() if len(code) == 2 and code.isalpha() else None)
        if country:
            known.append((code, country))
        else:
            unknown.append(code)
    if use.declared_country and not use.locations:
        known.append((use.declared_country, use.declared_country.upper()))
    return known, unknown


def _allowed(entries: list[Subprocessor], country: str) -> bool | None:
    """Whether the register allows ``country`` for this provider; None when the register's
    declared location names neither countries nor the EEA (a person must judge it)."""
    decidable = False
    for entry in entries:
        if entry.countries:
            decidable = True
            if country in entry.countries:
                return True
        elif entry.eea:
            decidable = True
            if is_eea(country):
                return True
    return False if decidable else None


def _place(code: str, country: str) -> str:
    return f"{code} ({country_name(country)})" if code != country else f"{country_name(country)} ({country})"


@check(
    basis=Basis.OBSERVED,
    title="Every location a listed provider uses is inside the location its register entry declares",
    measure=Measure.SUBPROCESSOR_LIST,
    needs=(ProviderUse,),
    severity=Severity.HIGH,
    remediation="Move the resources to a declared location, or update the register (and notify the customer as "
                "the DPA requires) before using the new location.",
)
def subprocessor_list_location_declared(ctx: CheckContext) -> Iterable[Verdict]:
    profile = ctx.profile
    if profile is None or not profile.subprocessors:
        return
    for ev, use in _uses(ctx):
        entries = _entries(profile, use)
        if not entries:
            continue  # not listed at all: subprocessor_list_provider_registered fails it
        declared = "; ".join(f"{e.name}: {e.location}" for e in entries)
        details: dict[str, Any] = {"profile": profile.id, "register_entry": entries[0].name, "declared": declared}
        known, unknown = _countries(use)
        if unknown:
            yield errored(ev, f"{_who(use)} uses location code(s) {', '.join(unknown)} that map to no known country, "
                              "so the location cannot be compared with the register.",
                          details={**details, "unknown_locations": unknown})
            continue
        if not known:
            yield not_applicable(ev, f"{_who(use)} has no resources in any location, so there is no location to "
                                     "compare with the register.", details=details)
            continue
        verdicts = {code: _allowed(entries, country) for code, country in known}
        outside = [_place(code, country) for code, country in known if verdicts[code] is False]
        undecided = [_place(code, country) for code, country in known if verdicts[code] is None]
        places = ", ".join(_place(code, country) for code, country in known)
        details["locations"] = [code for code, _ in known]
        if outside:
            yield failed(ev, f"{_who(use)} uses {', '.join(outside)}, outside the location {_register(profile)} "
                             f"declares for it ({declared}).", details=details)
        elif undecided:
            yield manual(ev, f"{_who(use)} uses {', '.join(undecided)}; the register's declared location "
                             f"({declared}) names no country or EEA, so a person must compare them.", details=details)
        else:
            yield passed(ev, f"{_who(use)} uses {places}, inside the location {_register(profile)} declares for it "
                             f"({declared}).", details=details)
