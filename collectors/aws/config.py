"""The ``[aws]`` configuration section. Credentials come from the standard AWS chain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import Field

from auditpack.config import ConfigProblem, Strict


class AwsAccount(Strict):
    """An extra account reached by assuming a role (the audit role of an organisation)."""

    role_arn: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    external_id: str | None = None
    name: str | None = None
    session_name: str = "auditpack"


#: An account id, an organisational unit id or the organisation's root id.
ORG_TARGET = r"^(\d{12}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})$"


class AwsOrganization(Strict):
    """Every account of an AWS Organization, discovered (organizations:ListAccounts) from the
    management or delegated-administrator account of the default chain, each reached by
    assuming ``role_name`` in it. An account added later is covered without editing this file."""

    role_name: str = Field(pattern=r"^[A-Za-z0-9+=,.@_/-]+$", max_length=512,
                           description="the audit role in every member account")
    external_id: str | None = None
    session_name: str = "auditpack"
    include: tuple[Annotated[str, Field(pattern=ORG_TARGET)], ...] = Field(
        (), description="only these account ids / OU ids (an OU includes its nested OUs); empty = all")
    exclude: tuple[Annotated[str, Field(pattern=ORG_TARGET)], ...] = Field(
        (), description="never these account ids / OU ids")
    include_suspended: bool = Field(False, description="also try accounts that are not ACTIVE")


class AwsSettings(Strict):
    regions: Literal["all"] | tuple[str, ...] = Field("all", description='"all" = every enabled region')
    endpoint_url: str | None = Field(None, description="an AWS-compatible endpoint for every service")
    profile: str | None = Field(None, description="a named profile of the AWS credential chain")
    use_default_credentials: bool = Field(True, description="collect the account of the default chain")
    accounts: tuple[AwsAccount, ...] = ()
    organization: AwsOrganization | None = Field(None, description="every account of an AWS Organization")
    max_workers: int = Field(16, ge=1, le=256, description="concurrent API calls in total (all accounts)")
    max_workers_per_account: int = Field(16, ge=1, le=128, description="concurrent API calls per account "
                                         "(AWS throttles per account and region)")
    max_attempts: int = Field(8, ge=1, le=20, description="botocore retries (adaptive mode) on throttling")
    connect_timeout: float = Field(10, gt=0)
    read_timeout: float = Field(30, gt=0)
    max_pages: int = Field(10_000, ge=1, description="pages per listing before it is cut off as an error (an "
                                                      "endpoint whose pagination never ends)")


def known_regions() -> dict[str, str]:
    """Every region botocore's bundled endpoint data knows, with its partition (offline)."""
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    return {region: part["partition"] for part in data["partitions"] for region in part.get("regions", {})}


def preflight(settings: AwsSettings, environ: Mapping[str, str]) -> list[ConfigProblem]:
    """Region names no AWS partition knows, and a named profile the credential chain lacks.
    ``regions = "all"`` is resolved at collection from what the account reports."""
    problems: list[ConfigProblem] = []
    if not settings.use_default_credentials and not settings.accounts and settings.organization is None:
        problems.append(ConfigProblem("[aws]", "use_default_credentials = false, no [[aws.accounts]] and no "
                                               "[aws.organization]: the section reads nothing"))
    if settings.regions != "all":
        known = known_regions()
        for region in settings.regions:
            if region not in known:
                import difflib

                near = difflib.get_close_matches(region, list(known), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                problems.append(ConfigProblem("[aws]", f"regions: {region!r} is not an AWS region known to botocore "
                                                       f"(its endpoint data; update botocore for a new region){hint}"))
        partitions = sorted({known[r] for r in settings.regions if r in known})
        if len(partitions) > 1:
            problems.append(ConfigProblem("[aws]", f"regions: the list mixes AWS partitions ({', '.join(partitions)}); "
                                                   "one credential chain reaches one partition"))
    if settings.profile is not None:
        import botocore.session

        available = botocore.session.Session().available_profiles
        if settings.profile not in available:
            problems.append(ConfigProblem("[aws]", f"profile: no AWS profile named {settings.profile!r} in the "
                                                   "AWS config or credentials files"))
    return problems
