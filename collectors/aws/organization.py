"""An AWS Organization's accounts: listed, filtered, and turned into accounts to collect.

The management (or delegated-administrator) account lists every account
(organizations:ListAccounts); ``include``/``exclude`` name accounts or organisational
units, and an OU stands for every account below it, nested OUs included
(ListAccountsForParent, ListOrganizationalUnitsForParent). Every account listed ends up
in exactly one of three places: collected, skipped with the reason, or failed (its role
could not be assumed: ``error`` evidence, the run is incomplete). Nothing is dropped
silently, and an account created after the configuration was written is found.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import AwsOrganization


@dataclass(frozen=True, slots=True)
class OrgAccount:
    """One account as ``ListAccounts`` describes it."""

    id: str
    name: str
    status: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass
class Selection:
    """The outcome of filtering the organisation's accounts."""

    listed: list[OrgAccount] = field(default_factory=list)
    selected: list[OrgAccount] = field(default_factory=list)
    skipped: list[tuple[OrgAccount, str]] = field(default_factory=list)
    responses: dict[str, Any] = field(default_factory=dict)  # the raw answers, for the evidence


Paginate = Callable[..., list[Any]]


def _below(paginate: Paginate, client: Any, target: str, responses: dict[str, Any]) -> set[str]:
    """The account ids an include/exclude entry stands for (an OU: every account below it)."""
    if target.isdigit():
        return {target}
    found: set[str] = set()
    todo = [target]
    while todo:
        parent = todo.pop()
        accounts = paginate(client, "list_accounts_for_parent", "Accounts", ParentId=parent)
        children = paginate(client, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent)
        responses[parent] = {"Accounts": [a.get("Id") for a in accounts],
                             "OrganizationalUnits": [c.get("Id") for c in children]}
        found |= {str(a["Id"]) for a in accounts}
        todo += [str(c["Id"]) for c in children]
    return found


def select(paginate: Paginate, client: Any, settings: AwsOrganization,
           covered_elsewhere: Mapping[str, str]) -> Selection:
    """List the organisation and decide, for every account, collect or skip (and why).

    ``covered_elsewhere``: account id -> how this run already collects it (the default
    chain, an ``[[aws.accounts]]`` entry).
    """
    out = Selection()
    listed = paginate(client, "list_accounts", "Accounts")
    out.responses["ListAccounts"] = listed
    out.listed = sorted((OrgAccount(str(a["Id"]), str(a.get("Name") or ""), str(a.get("Status") or "UNKNOWN"), a)
                         for a in listed), key=lambda a: a.id)
    included: set[str] | None = None
    if settings.include:
        included = set()
        for target in settings.include:
            included |= _below(paginate, client, target, out.responses)
    excluded: set[str] = set()
    for target in settings.exclude:
        excluded |= _below(paginate, client, target, out.responses)
    for account in out.listed:
        if account.id in covered_elsewhere:
            out.skipped.append((account, f"collected with {covered_elsewhere[account.id]}"))
        elif account.id in excluded:
            out.skipped.append((account, "excluded by [aws.organization] exclude"))
        elif included is not None and account.id not in included:
            out.skipped.append((account, "not in [aws.organization] include"))
        elif account.status != "ACTIVE" and not settings.include_suspended:
            out.skipped.append((account, f"status {account.status} (include_suspended = false)"))
        else:
            out.selected.append(account)
    return out
