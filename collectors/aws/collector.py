"""The AWS collector: reach every account, then run the readers of every service."""


from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from auditpack.collectors import CollectContext, Collector
from auditpack.config import ConfigProblem
from auditpack.evidence import aws as r
from auditpack.evidence.provider import ProviderUse

from .config import AwsAccount, AwsSettings
from .config import preflight as settings_preflight
from .policy import declared_actions
from .readers import GLOBAL_READERS, REGIONAL_READERS
from .run import PROVIDER, Run
from .session import EXPECTED_ERRORS, Account, SessionHook, TaskPool, assumed_session, classify, new_session

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
)


class AwsCollector(Collector):
    id = "aws"
    title = "Amazon Web Services"
    provider = "aws"
    config_section = "aws"
    config_model = AwsSettings
    produces = (r.AwsAccount, r.AwsListing, ProviderUse, *GLOBAL_RECORDS, *REGIONAL_RECORDS)
    permissions = {"aws_iam": declared_actions()}

    def __init__(self, settings: BaseModel | None, session_hook: SessionHook | None = None,
                 page_size: int | None = None) -> None:
        """``session_hook`` is called with every boto3 session the collector creates, before
        any client exists (tests and the benchmark register botocore event handlers there).
        ``page_size``: MaxResults of list calls (default: each service's own page size)."""
        super().__init__(settings)
        self.session_hook = session_hook
        self.page_size = page_size

    @property
    def aws(self) -> AwsSettings:
        assert isinstance(self.settings, AwsSettings)
        return self.settings

    def preflight(self, environ: Mapping[str, str]) -> list[ConfigProblem]:
        return settings_preflight(self.aws, environ)

    def scopes(self) -> list[str]:
        out = ["default"] if self.aws.use_default_credentials else []
        return out + [_role_account(spec) for spec in self.aws.accounts]

    def collect(self, ctx: CollectContext) -> None:
        settings = self.aws
        pool = TaskPool(settings.max_workers, lambda: ctx.stopped)
        run = Run(ctx, settings, pool, self.page_size)
        accounts: list[Account] = []
        try:
            base = new_session(settings, self.session_hook)
            if settings.use_default_credentials:
                acct = Account(session=base, settings=settings, reached_by="default credential chain",
                               account_id="default", home_region=_home_region(base, settings))
                accounts.append(acct)
                pool.submit(self._reach_default, run, acct)
            for spec in settings.accounts:
                acct = Account(session=base, settings=settings, reached_by=f"assumed role {spec.role_arn}",
                               account_id=_role_account(spec), home_region=_home_region(base, settings))
                accounts.append(acct)
                pool.submit(self._reach_role, run, acct, spec)
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
            ident = acct.client("sts").get_caller_identity()
        except EXPECTED_ERRORS as exc:
            self._unreachable(run, acct, exc, "sts:GetCallerIdentity")
            return
        self._identified(acct, ident)
        self._scan(run, acct, None)

    def _reach_role(self, run: Run, acct: Account, spec: AwsAccount) -> None:
        source = "sts:AssumeRole"
        try:
            base_sts = acct.client("sts")
            acct.session = assumed_session(acct.session, base_sts, spec.role_arn, spec.external_id,
                                           spec.session_name, self.session_hook)
            acct.reset_clients()
            source = "sts:GetCallerIdentity"
            ident = acct.client("sts").get_caller_identity()
        except EXPECTED_ERRORS as exc:
            self._unreachable(run, acct, exc, source)
            return
        self._identified(acct, ident)
        self._scan(run, acct, spec.name)

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


def _progress(reader: Any) -> Any:
    def wrapped(run: Run, *args: Any) -> None:
        try:
            reader(run, *args)
        finally:
            run.ctx.advance(reader.__name__)

    return wrapped


def _role_account(spec: AwsAccount) -> str:
    return spec.role_arn.split(":")[4]


def _home_region(session: Any, settings: AwsSettings) -> str:
    if settings.regions != "all" and settings.regions:
        return settings.regions[0]
    return str(session.region_name or "us-east-1")

