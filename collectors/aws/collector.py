"""The AWS collector: reach every account, then run the readers of every service.

Accounts: the default credential chain (unless ``use_default_credentials = false``), every
``[[aws.accounts]]`` entry (STS AssumeRole), and with ``[aws.organization]`` every account of
the organisation (:mod:`.organization`), reached the same way. All reads share one pool,
bounded in total (``max_workers``) and per account (``max_workers_per_account``); accounts
are served oldest first and an account's clients are closed once its reads are done."""


from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from auditpack.collectors import CollectContext, Collector
from auditpack.config import ConfigProblem
from auditpack.evidence import aws as r
from auditpack.evidence.provider import ProviderUse
from auditpack.model import Resource

from .config import AwsAccount, AwsSettings
from .config import preflight as settings_preflight
from .organization import OrgAccount, select
from .policy import declared_actions
from .readers import GLOBAL_READERS, REGIONAL_READERS
from .run import PROVIDER, Run
from .session import (
    EXPECTED_ERRORS,
    Account,
    SessionHook,
    TaskPool,
    assumed_session,
    classify,
    jsonable,
    new_session,
)

GLOBAL_RECORDS = (
    r.S3Bucket, r.S3BucketEncryption, r.S3BucketPolicy, r.S3BucketLogging, r.S3BucketVersioning,
    r.S3BucketReplication, r.S3BucketPublicAccessBlock, r.S3AccountPublicAccessBlock, r.IamAccountSummary,
    r.IamCredentialReport, r.IamPasswordPolicy, r.CloudFrontDistribution, r.CloudFrontConfig,
)
REGIONAL_RECORDS = (
    r.Ec2Instance, r.Ec2Image, r.EbsVolume, r.EbsSnapshot, r.EbsEncryptionDefault, r.Vpc, r.VpcFlowLogs,
    r.SecurityGroup, r.RdsInstance, r.RdsCluster, r.RdsSnapshot, r.DynamoDbTable, r.DynamoDbPitr, r.EfsFileSystem,
    r.ElbLoadBalancer, r.ElbAttributes, r.ElbListener, r.ElbSslPolicy, r.CloudTrailTrail, r.CloudTrailStatus,
    r.BackupPlan, r.BackupSelection, r.BackupVault, r.BackupProtectedResource, r.KmsKey, r.KmsKeyRotation,
    r.DbParameters, r.ElastiCacheReplicationGroup, r.ElastiCacheCluster, r.OpenSearchDomain, r.EfsFileSystemPolicy,
    r.RedshiftCluster, r.RedshiftParameters,
)
ORGANIZATION_RECORDS = (r.AwsOrganization, r.AwsOrganizationAccount)


class AwsCollector(Collector):
    id = "aws"
    title = "Amazon Web Services"
    provider = "aws"
    config_section = "aws"
    config_model = AwsSettings
    produces = (r.AwsAccount, r.AwsListing, ProviderUse, *GLOBAL_RECORDS, *REGIONAL_RECORDS, *ORGANIZATION_RECORDS)
    permissions = {"aws_iam": declared_actions()}

    def __init__(self, settings: BaseModel | None, session_hook: SessionHook | None = None,
                 page_size: int | None = None, owns: Callable[[str], bool] | None = None) -> None:
        """``session_hook`` is called with every boto3 session the collector creates, before
        any client exists (tests and the benchmark register botocore event handlers there).
        ``page_size``: MaxResults of list calls (default: each service's own page size).
        ``owns``: whether an organisation account belongs to this shard (default: all)."""
        super().__init__(settings)
        self.session_hook = session_hook
        self.page_size = page_size
        self.owns = owns or (lambda _account: True)

    @property
    def aws(self) -> AwsSettings:
        assert isinstance(self.settings, AwsSettings)
        return self.settings

    def preflight(self, environ: Mapping[str, str]) -> list[ConfigProblem]:
        return settings_preflight(self.aws, environ)

    def scopes(self) -> list[str]:
        out = ["default"] if self.aws.use_default_credentials else []
        out += [_role_account(spec) for spec in self.aws.accounts]
        return out + (["organization"] if self.aws.organization else [])

    def use_shard(self, owns: Callable[[str], bool]) -> bool:
        """Scopes: ``default`` (the default chain), each role's account id, each organisation
        account id, and ``organization`` (its account list). Organisation accounts are known
        only once listed, so every shard lists them and keeps its own."""
        self.owns = owns
        return ((self.aws.use_default_credentials and owns("default"))
                or any(owns(_role_account(spec)) for spec in self.aws.accounts)
                or self.aws.organization is not None)

    def collect(self, ctx: CollectContext) -> None:
        settings = self.aws
        pool = TaskPool(settings.max_workers, lambda: ctx.stopped, per_key=settings.max_workers_per_account,
                        max_keys=open_accounts(settings))
        run = Run(ctx, settings, pool, self.page_size)
        accounts: list[Account] = []
        try:
            base = new_session(settings, self.session_hook)
            caller = Account(session=base, settings=settings, reached_by="default credential chain",
                             account_id="default", home_region=_home_region(base, settings))
            if settings.use_default_credentials and self.owns("default"):
                accounts.append(caller)
                run.submit(self._reach_default, run, caller)
            for spec in settings.accounts:
                if not self.owns(_role_account(spec)):
                    continue
                acct = Account(session=base, settings=settings, reached_by=f"assumed role {spec.role_arn}",
                               account_id=_role_account(spec), home_region=_home_region(base, settings))
                accounts.append(acct)
                run.submit(self._reach_role, run, acct, spec)
            if settings.organization is not None:
                run.submit(self._organization, run, caller, accounts)
        finally:
            pool.join()
        for acct in accounts:
            if not acct.caller_arn:  # not reached: its provider.use is already an error
                continue
            locations = tuple(sorted(x for x in acct.locations if x != "global"))
            gaps = run.gaps.get(acct.account_id)
            source = "aws collector (regions where resources were found)"
            if gaps:  # a partial list of locations must not pass a sub-processor reconciliation
                ctx.failed(ProviderUse, run.account_resource(acct), source=source, reason=gaps[0][1],
                           error=f"the regions in use are incomplete: {len(gaps)} located read(s) failed, e.g. "
                                 f"{gaps[0][0]}; found so far: {', '.join(locations) or 'none'}",
                           raw={"locations_found": list(locations), "gaps": [g for g, _ in gaps[:50]]})
                continue
            use = ProviderUse(provider=PROVIDER, provider_name="Amazon Web Services", scope=acct.account_id,
                              location_type="aws_region", locations=locations)
            ctx.collected(use, run.account_resource(acct), raw={"locations": list(locations)}, source=source)
        if pool.unexpected:  # a bug, not an AWS answer: let it surface (the engine contains it)
            raise pool.unexpected[0]

    # -- reaching accounts -------------------------------------------------------------
    def _reach_default(self, run: Run, acct: Account) -> None:
        try:
            ident = _caller_identity(run, acct)
        except EXPECTED_ERRORS as exc:
            self._unreachable(run, acct, exc, "sts:GetCallerIdentity")
            return
        self._identified(acct, ident)
        self._scan(run, acct, None)

    def _reach_role(self, run: Run, acct: Account, spec: AwsAccount, member: OrgAccount | None = None) -> None:
        source = "sts:AssumeRole"
        try:
            base_sts = acct.client("sts")
            acct.session = assumed_session(acct.session, base_sts, spec.role_arn, spec.external_id,
                                           spec.session_name, self.session_hook)
            acct.reset_clients()
            source = "sts:GetCallerIdentity"
            ident = acct.client("sts").get_caller_identity()
        except EXPECTED_ERRORS as exc:
            if member is not None:
                reason, message = classify(exc)
                run.ctx.failed(r.AwsOrganizationAccount, _member_resource(member), reason=reason, source=source,
                               error=f"the organisation role {spec.role_arn} could not be used: {message}")
            self._unreachable(run, acct, exc, source)
            return
        self._identified(acct, ident)
        if member is not None:
            run.ctx.collected(r.AwsOrganizationAccount(account_id=member.id, name=member.name, status=member.status,
                                                       role_arn=spec.role_arn),
                              _member_resource(member), raw=jsonable(dict(member.raw)), source="sts:AssumeRole")
        self._scan(run, acct, spec.name)

    def _organization(self, run: Run, caller: Account, accounts: list[Account]) -> None:
        """List the organisation from the caller's account and reach every selected member."""
        org = self.aws.organization
        assert org is not None
        settings = self.aws
        source = "sts:GetCallerIdentity"
        try:
            ident = _caller_identity(run, caller)
            caller_arn = str(ident.get("Arn", ""))
            partition = caller_arn.split(":")[1] if caller_arn.startswith("arn:") else "aws"
            covered = {_role_account(spec): f"[[aws.accounts]] {spec.role_arn}" for spec in settings.accounts}
            if settings.use_default_credentials:
                covered[str(ident["Account"])] = "the default credential chain"
            source = "organizations:ListAccounts"
            client = caller.global_client("organizations")
            chosen = select(run.paginate, client, org, covered)
        except EXPECTED_ERRORS as exc:
            reason, message = classify(exc)
            where = Resource(provider="aws", type="organization", id="organization", name="AWS Organization",
                             scope="organization")
            run.ctx.failed(r.AwsOrganization, where, reason=reason, source=source,
                           error=f"the organisation's accounts could not be listed: {message}")
            return
        listed_by = str(ident["Account"])
        if not self.owns("organization"):  # another shard records the list itself
            listed_by = ""
        if listed_by:
            run.ctx.collected(
                r.AwsOrganization(listed_by=caller_arn, account_ids=tuple(a.id for a in chosen.listed),
                                  include=org.include, exclude=org.exclude,
                                  selected=tuple(a.id for a in chosen.selected)),
                Resource(provider="aws", type="organization", id=f"{listed_by}/organization",
                         name="AWS Organization", scope=listed_by),
                raw=jsonable(chosen.responses), source="organizations:ListAccounts")
        for member, why in chosen.skipped:
            if not self.owns(member.id):  # another shard's account: it reports it
                continue
            run.ctx.skipped(r.AwsOrganizationAccount, _member_resource(member), why=why,
                            source="organizations:ListAccounts")
        for member in chosen.selected:
            if not self.owns(member.id):
                continue
            role = f"arn:{partition}:iam::{member.id}:role/{org.role_name}"
            spec = AwsAccount(role_arn=role, external_id=org.external_id, name=member.name or None,
                              session_name=org.session_name)
            acct = Account(session=caller.session, settings=settings, reached_by=f"organization role {role}",
                           account_id=member.id, home_region=caller.home_region)
            accounts.append(acct)
            run.submit(self._reach_role, run, acct, spec, member)

    @staticmethod
    def _identified(acct: Account, ident: dict[str, Any]) -> None:
        acct.account_id = str(ident["Account"])
        acct.caller_arn = str(ident.get("Arn", ""))
        acct.partition = acct.caller_arn.split(":")[1] if acct.caller_arn.startswith("arn:") else "aws"

    def _unreachable(self, run: Run, acct: Account, exc: BaseException, source: str) -> None:
        """The account could not be reached: every fact about it is a gap."""
        reason, message = classify(exc)
        res = run.account_resource(acct)
        for kind in self.produces:
            if kind in ORGANIZATION_RECORDS:  # about the organisation, not this account's contents
                continue
            run.ctx.failed(kind, res, error=f"account not reachable: {message}", reason=reason, source=source)

    def _scan(self, run: Run, acct: Account, name: str | None) -> None:
        settings = self.aws
        res = run.account_resource(acct, name)
        enabled: tuple[str, ...] = ()
        try:
            described = acct.client("ec2").describe_regions(
                Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}])
            enabled = tuple(sorted(x["RegionName"] for x in described.get("Regions", [])))
        except EXPECTED_ERRORS as exc:
            if settings.regions == "all":  # nothing regional can be listed: every regional fact is a gap
                reason, message = classify(exc)
                run.gap(acct.account_id, "the enabled regions (ec2:DescribeRegions)", reason)
                for kind in (r.AwsAccount, *REGIONAL_RECORDS):
                    run.ctx.failed(kind, res, error=f"the enabled regions could not be listed: {message}",
                                   reason=reason, source="ec2:DescribeRegions")
                for reader in GLOBAL_READERS:
                    run.submit(reader, run, acct)
                return
            described = None
        scanned = enabled if settings.regions == "all" else tuple(settings.regions)
        run.ctx.collected(r.AwsAccount(account_id=acct.account_id, partition=acct.partition,
                                       caller_arn=acct.caller_arn, reached_by=acct.reached_by,
                                       regions_enabled=enabled, regions_scanned=scanned),
                          res, raw={"DescribeRegions": described, "caller": acct.caller_arn},
                          source="sts:GetCallerIdentity, ec2:DescribeRegions")
        run.add_total(len(scanned) * len(REGIONAL_READERS) + len(GLOBAL_READERS))
        for reader in GLOBAL_READERS:
            run.submit(_progress(reader), run, acct)
        for region in scanned:
            for regional in REGIONAL_READERS:
                run.submit(_progress(regional), run, acct, region)


def open_accounts(settings: AwsSettings) -> int:
    """How many accounts are reached and read at once: twice as many as fill the pool (the
    second half keeps workers busy while the first accounts finish their last, slowest
    reads), so the sessions and clients held stay those of a few accounts however large the
    organisation, and an account's role is assumed only shortly before its reads."""
    per_account = min(settings.max_workers, settings.max_workers_per_account)
    return 2 * -(-settings.max_workers // per_account)


def _progress(reader: Any) -> Any:
    def wrapped(run: Run, *args: Any) -> None:
        try:
            reader(run, *args)
        finally:
            run.ctx.advance(reader.__name__)

    return wrapped


def _caller_identity(run: Run, acct: Account) -> dict[str, Any]:
    """GetCallerIdentity of the default chain, once (the account and the organisation listing both need it)."""
    return dict(run.memo.get(("caller", id(acct)), lambda: acct.client("sts").get_caller_identity()))


def _member_resource(member: OrgAccount) -> Resource:
    return Resource(provider="aws", type="organization_account", id=member.id, name=member.name or member.id,
                    scope=member.id)


def _role_account(spec: AwsAccount) -> str:
    return spec.role_arn.split(":")[4]


def _home_region(session: Any, settings: AwsSettings) -> str:
    if settings.regions != "all" and settings.regions:
        return settings.regions[0]
    return str(session.region_name or "us-east-1")

