"""What the AWS collector reads, service by service. Reads only; never judges.

Every reader runs as a task of the :class:`~.session.TaskPool`. A listing that fails gives
``error`` evidence for its region (resource type ``region``); a per-resource call that fails
gives ``error`` evidence for exactly that resource and fact. A successful listing also
emits an ``aws.listing`` record, so "no snapshot of this volume" is a fact only where the
snapshots of that region were really listed.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from auditpack.collectors import CollectContext
from auditpack.model import ErrorReason, EvidenceRecord, Resource

from . import records as r
from .config import AwsSettings
from .session import EXPECTED_ERRORS, Account, Memo, TaskPool, classify, error_code, iso, jsonable

PROVIDER = "aws"
#: Kinds whose resources have a location: when one fails, the account's locations are incomplete.
LOCATED_KINDS = frozenset({
    "aws.s3_bucket", "aws.ec2_instance", "aws.ec2_image", "aws.ebs_volume", "aws.ebs_snapshot", "aws.rds_instance",
    "aws.rds_cluster", "aws.rds_snapshot", "aws.dynamodb_table", "aws.efs_file_system", "aws.backup_vault",
    "aws.elb_load_balancer", "aws.s3_bucket_replication", "aws.backup_plan",
})
ELB_KINDS = ("aws.elb_load_balancer", "aws.elb_attributes", "aws.elb_listener", "aws.elb_ssl_policy")
BUCKET_KINDS = ("aws.s3_bucket", "aws.s3_bucket_encryption", "aws.s3_bucket_policy", "aws.s3_bucket_logging",
                "aws.s3_bucket_versioning", "aws.s3_bucket_replication", "aws.s3_bucket_public_access_block")
#: The page size limits of list operations that differ from (5, 1000).
_PAGE_LIMITS = {
    "describe_db_instances": (20, 100), "describe_db_clusters": (20, 100), "describe_db_snapshots": (20, 100),
    "describe_db_cluster_snapshots": (20, 100), "list_tables": (1, 100), "describe_load_balancers": (1, 400),
    "describe_listeners": (1, 400), "list_keys": (1, 1000), "describe_flow_logs": (1, 1000),
}
_MISSING = object()


class Run:
    """The state of one collection: context, pool, settings and the once-only memo."""

    def __init__(self, ctx: CollectContext, settings: AwsSettings, pool: TaskPool,
                 page_size: int | None = None) -> None:
        self.ctx = ctx
        self.settings = settings
        self.page_size = page_size
        self.gaps: dict[str, list[tuple[str, ErrorReason]]] = {}  # account -> what could not be located
        self.pool = pool
        self.memo = Memo()
        self._total = 0
        self._lock = threading.Lock()

    def add_total(self, steps: int) -> None:
        with self._lock:
            self._total += steps
            total = self._total
        self.ctx.set_total(total)

    # -- resources -----------------------------------------------------------------------
    @staticmethod
    def resource(acct: Account, type_: str, id_: str, name: str | None, region: str | None) -> Resource:
        return Resource(provider=PROVIDER, type=type_, id=id_, name=name, location=region, scope=acct.account_id)

    @staticmethod
    def region_resource(acct: Account, region: str) -> Resource:
        return Resource(provider=PROVIDER, type="region", id=f"{acct.account_id}/{region}", name=region,
                        location=region, scope=acct.account_id)

    @staticmethod
    def account_resource(acct: Account, name: str | None = None) -> Resource:
        return Resource(provider=PROVIDER, type="account", id=acct.account_id, name=name or acct.account_id,
                        location=None, scope=acct.account_id)

    def arn(self, acct: Account, service: str, region: str, rest: str, account: bool = True) -> str:
        return f"arn:{acct.partition}:{service}:{region}:{acct.account_id if account else ''}:{rest}"

    # -- evidence ------------------------------------------------------------------------
    def ok(self, record: EvidenceRecord, resource: Resource, raw: Any, source: str) -> None:
        self.ctx.collected(record, resource, raw=jsonable(raw), source=source)

    def fail(self, kinds: str | Sequence[str], resource: Resource, exc: BaseException, source: str) -> None:
        reason, message = classify(exc)
        for kind in [kinds] if isinstance(kinds, str) else kinds:
            self.ctx.failed(kind, resource, error=message, reason=reason, source=source)
            if kind in LOCATED_KINDS:
                self.gap(resource.scope, f"{kind} of {resource.name or resource.id} ({reason})", reason)

    def gap(self, account: str | None, what: str, reason: ErrorReason) -> None:
        """Something that has a location could not be read: the account's list of
        locations (provider.use) is incomplete."""
        with self._lock:
            self.gaps.setdefault(account or "", []).append((what, reason))

    def attempt(self, kinds: str | Sequence[str], resource: Resource, source: str, func: Callable[[], Any]) -> Any:
        """``func()``, or ``_MISSING`` after emitting error evidence for ``kinds`` about ``resource``."""
        try:
            return func()
        except EXPECTED_ERRORS as exc:
            self.fail(kinds, resource, exc, source)
            return _MISSING

    def listed(self, acct: Account, region: str, resource_type: str, count: int, source: str) -> None:
        self.ctx.collected(r.AwsListing(resource_type=resource_type, region=region, count=count, source=source),
                           self.region_resource(acct, region), raw={"count": count}, source=source)

    def paginate(self, client: Any, operation: str, key: str | Callable[[dict[str, Any]], Iterable[Any]],
                 **params: Any) -> list[Any]:
        config = {}
        if self.page_size:
            low, high = _PAGE_LIMITS.get(operation, (5, 1000))
            config = {"PageSize": min(max(self.page_size, low), high)}
        items: list[Any] = []
        pages = client.get_paginator(operation).paginate(**params, PaginationConfig=config) if config \
            else client.get_paginator(operation).paginate(**params)
        for page in pages:
            if callable(key):
                items.extend(key(page))
            else:
                items.extend(page.get(key) or [])
        return items

    def submit(self, func: Callable[..., Any], *args: Any) -> None:
        """Queue a read; its account (the first Account argument) bounds its concurrency."""
        self.pool.submit(func, *args, key=next((id(a) for a in args if isinstance(a, Account)), None))

    def region_listing(self, acct: Account, region: str, kind: str | Sequence[str], resource_type: str, source: str,
                       func: Callable[[], list[Any]]) -> list[Any] | None:
        """List a region; on failure, error evidence for the region under ``kind`` (the
        listed kind and every kind read per listed resource: none of them can be read)."""
        items = self.attempt(kind, self.region_resource(acct, region), source, func)
        if items is _MISSING:
            return None
        self.listed(acct, region, resource_type, len(items), source)
        return list(items)


# =========================================================================================
# Regional readers: reader(run, acct, region)
# =========================================================================================

def ec2_instances(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeInstances"
    reservations = run.region_listing(acct, region, "aws.ec2_instance", "ec2_instance", source,
                                      lambda: run.paginate(ec2, "describe_instances", "Reservations"))
    for reservation in reservations or []:
        for inst in reservation.get("Instances", []):
            iid = inst["InstanceId"]
            state = (inst.get("State") or {}).get("Name")
            if state != "terminated":
                acct.found(region)
            rec = r.Ec2Instance(instance_id=iid, state=state, instance_type=inst.get("InstanceType"),
                                vpc_id=inst.get("VpcId"), public_ip=inst.get("PublicIpAddress"),
                                security_groups=tuple(g["GroupId"] for g in inst.get("SecurityGroups", [])))
            res = run.resource(acct, "ec2_instance", run.arn(acct, "ec2", region, f"instance/{iid}"),
                               _tag(inst, "Name") or iid, region)
            run.ok(rec, res, inst, source)


def ec2_images(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeImages"
    # Owners=['self']: without it EC2 lists every public image in the region.
    images = run.region_listing(acct, region, "aws.ec2_image", "ec2_image", source,
                                lambda: list(ec2.describe_images(Owners=["self"]).get("Images", [])))
    for image in images or []:
        iid = image["ImageId"]
        acct.found(region)
        ebs = [d["Ebs"] for d in image.get("BlockDeviceMappings", []) if d.get("Ebs")]
        rec = r.Ec2Image(image_id=iid, name=image.get("Name"), state=image.get("State"),
                         public=bool(image.get("Public")),
                         encrypted_snapshots=all(bool(e.get("Encrypted")) for e in ebs) if ebs else None)
        run.ok(rec, run.resource(acct, "ec2_image", run.arn(acct, "ec2", region, f"image/{iid}", account=False),
                                 image.get("Name") or iid, region), image, source)


def ebs_volumes(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeVolumes"
    volumes = run.region_listing(acct, region, "aws.ebs_volume", "ebs_volume", source,
                                 lambda: run.paginate(ec2, "describe_volumes", "Volumes"))
    for vol in volumes or []:
        vid = vol["VolumeId"]
        acct.found(region)
        rec = r.EbsVolume(volume_id=vid, encrypted=bool(vol.get("Encrypted")), kms_key_id=vol.get("KmsKeyId"),
                          size_gib=vol.get("Size"), state=vol.get("State"),
                          attached_instances=tuple(a["InstanceId"] for a in vol.get("Attachments", [])
                                                   if a.get("InstanceId")))
        run.ok(rec, run.resource(acct, "ebs_volume", run.arn(acct, "ec2", region, f"volume/{vid}"),
                                 _tag(vol, "Name") or vid, region), vol, source)


def ebs_snapshots(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeSnapshots"
    # OwnerIds=['self']: without it EC2 also lists every public snapshot in the region.
    snapshots = run.region_listing(acct, region, "aws.ebs_snapshot", "ebs_snapshot", source,
                                   lambda: run.paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]))
    for snap in snapshots or []:
        sid = snap["SnapshotId"]
        acct.found(region)
        volume = snap.get("VolumeId")
        rec = r.EbsSnapshot(snapshot_id=sid, volume_id=None if volume in (None, "vol-ffffffff") else volume,
                            encrypted=bool(snap.get("Encrypted")), start_time=iso(snap.get("StartTime")),
                            state=snap.get("State"))
        run.ok(rec, run.resource(acct, "ebs_snapshot", run.arn(acct, "ec2", region, f"snapshot/{sid}", account=False),
                                 _tag(snap, "Name") or sid, region), snap, source)


def ebs_encryption_default(run: Run, acct: Account, region: str) -> None:
    source = "ec2:GetEbsEncryptionByDefault"
    res = run.region_resource(acct, region)
    resp = run.attempt("aws.ebs_encryption_default", res, source,
                       lambda: acct.client("ec2", region).get_ebs_encryption_by_default())
    if resp is _MISSING:
        return
    run.ok(r.EbsEncryptionDefault(enabled=bool(resp.get("EbsEncryptionByDefault"))), res, resp, source)


def vpcs(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeVpcs"
    found = run.region_listing(acct, region, ("aws.vpc", "aws.vpc_flow_logs"), "vpc", source,
                               lambda: run.paginate(ec2, "describe_vpcs", "Vpcs"))
    if not found:
        return
    resources = {}
    for vpc in found:
        vid = vpc["VpcId"]
        res = run.resource(acct, "vpc", run.arn(acct, "ec2", region, f"vpc/{vid}"), _tag(vpc, "Name") or vid, region)
        resources[vid] = res
        run.ok(r.Vpc(vpc_id=vid, is_default=bool(vpc.get("IsDefault")), cidr=vpc.get("CidrBlock")), res, vpc, source)
    source = "ec2:DescribeFlowLogs"
    try:
        logs = run.paginate(ec2, "describe_flow_logs", "FlowLogs")
    except EXPECTED_ERRORS as exc:
        for res in resources.values():  # exactly the VPCs whose flow logs could not be read
            run.fail("aws.vpc_flow_logs", res, exc, source)
        return
    for vid, res in resources.items():
        mine = [fl for fl in logs if fl.get("ResourceId") == vid]
        rec = r.VpcFlowLogs(flow_log_ids=tuple(fl.get("FlowLogId", "") for fl in mine),
                            active=any(fl.get("FlowLogStatus") == "ACTIVE" for fl in mine),
                            destinations=tuple(str(fl.get("LogDestination") or fl.get("LogGroupName") or "")
                                               for fl in mine))
        run.ok(rec, res, mine, source)


def security_groups(run: Run, acct: Account, region: str) -> None:
    ec2 = acct.client("ec2", region)
    source = "ec2:DescribeSecurityGroups"
    groups = run.region_listing(acct, region, "aws.security_group", "security_group", source,
                                lambda: run.paginate(ec2, "describe_security_groups", "SecurityGroups"))
    for sg in groups or []:
        rules = []
        for perm in sg.get("IpPermissions", []):
            sources = [x.get("CidrIp", "") for x in perm.get("IpRanges", [])]
            sources += [x.get("CidrIpv6", "") for x in perm.get("Ipv6Ranges", [])]
            sources += [x.get("PrefixListId", "") for x in perm.get("PrefixListIds", [])]
            sources += [x.get("GroupId", "") for x in perm.get("UserIdGroupPairs", [])]
            rules.append(r.IngressRule(protocol=str(perm.get("IpProtocol", "-1")), from_port=perm.get("FromPort"),
                                       to_port=perm.get("ToPort"), sources=tuple(s for s in sources if s)))
        gid = sg["GroupId"]
        rec = r.SecurityGroup(group_id=gid, group_name=sg.get("GroupName", gid), vpc_id=sg.get("VpcId"),
                              ingress=tuple(rules))
        run.ok(rec, run.resource(acct, "security_group", run.arn(acct, "ec2", region, f"security-group/{gid}"),
                                 sg.get("GroupName") or gid, region), sg, source)


def rds(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBInstances"
    for db in run.region_listing(acct, region, "aws.rds_instance", "rds_instance", source,
                                 lambda: run.paginate(client, "describe_db_instances", "DBInstances")) or []:
        acct.found(region)
        replicas = tuple(db.get("ReadReplicaDBInstanceIdentifiers") or ())
        _found_arn_regions(acct, replicas)
        rec = r.RdsInstance(identifier=db["DBInstanceIdentifier"], engine=db.get("Engine"),
                            storage_encrypted=bool(db.get("StorageEncrypted")),
                            backup_retention_days=int(db.get("BackupRetentionPeriod") or 0),
                            latest_restorable_time=iso(db.get("LatestRestorableTime")),
                            publicly_accessible=db.get("PubliclyAccessible"),
                            cluster_identifier=db.get("DBClusterIdentifier"), read_replicas=replicas,
                            replica_source=db.get("ReadReplicaSourceDBInstanceIdentifier"))
        arn = db.get("DBInstanceArn") or run.arn(acct, "rds", region, f"db:{rec.identifier}")
        run.ok(rec, run.resource(acct, "rds_instance", arn, rec.identifier, region), db, source)


def rds_clusters(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBClusters"
    for db in run.region_listing(acct, region, "aws.rds_cluster", "rds_cluster", source,
                                 lambda: run.paginate(client, "describe_db_clusters", "DBClusters")) or []:
        acct.found(region)
        replicas = tuple(db.get("ReadReplicaIdentifiers") or ())
        _found_arn_regions(acct, replicas)
        rec = r.RdsCluster(identifier=db["DBClusterIdentifier"], engine=db.get("Engine"),
                           storage_encrypted=bool(db.get("StorageEncrypted")),
                           backup_retention_days=int(db.get("BackupRetentionPeriod") or 0),
                           latest_restorable_time=iso(db.get("LatestRestorableTime")),
                           read_replicas=replicas, replica_source=db.get("ReplicationSourceIdentifier"))
        arn = db.get("DBClusterArn") or run.arn(acct, "rds", region, f"cluster:{rec.identifier}")
        run.ok(rec, run.resource(acct, "rds_cluster", arn, rec.identifier, region), db, source)


def rds_snapshots(run: Run, acct: Account, region: str) -> None:
    client = acct.client("rds", region)
    source = "rds:DescribeDBSnapshots"
    for snap in run.region_listing(acct, region, "aws.rds_snapshot", "rds_snapshot", source,
                                   lambda: run.paginate(client, "describe_db_snapshots", "DBSnapshots")) or []:
        _rds_snapshot(run, acct, region, snap, source, cluster=False)
    source = "rds:DescribeDBClusterSnapshots"
    for snap in run.region_listing(acct, region, "aws.rds_snapshot", "rds_cluster_snapshot", source,
                                   lambda: run.paginate(client, "describe_db_cluster_snapshots",
                                                        "DBClusterSnapshots")) or []:
        _rds_snapshot(run, acct, region, snap, source, cluster=True)


def _rds_snapshot(run: Run, acct: Account, region: str, snap: dict[str, Any], source: str, cluster: bool) -> None:
    acct.found(region)
    ident = snap["DBClusterSnapshotIdentifier" if cluster else "DBSnapshotIdentifier"]
    rec = r.RdsSnapshot(identifier=ident, cluster=cluster,
                        source=snap.get("DBClusterIdentifier" if cluster else "DBInstanceIdentifier"),
                        encrypted=bool(snap.get("StorageEncrypted" if cluster else "Encrypted")),
                        created=iso(snap.get("SnapshotCreateTime")), snapshot_type=snap.get("SnapshotType"),
                        status=snap.get("Status"))
    arn = snap.get("DBClusterSnapshotArn" if cluster else "DBSnapshotArn") or run.arn(
        acct, "rds", region, f"{'cluster-snapshot' if cluster else 'snapshot'}:{ident}")
    run.ok(rec, run.resource(acct, "rds_cluster_snapshot" if cluster else "rds_snapshot", arn, ident, region),
           snap, source)


def dynamodb(run: Run, acct: Account, region: str) -> None:
    client = acct.client("dynamodb", region)
    source = "dynamodb:ListTables"
    for name in run.region_listing(acct, region, ("aws.dynamodb_table", "aws.dynamodb_pitr"), "dynamodb_table", source,
                                   lambda: run.paginate(client, "list_tables", "TableNames")) or []:
        acct.found(region)
        arn = run.arn(acct, "dynamodb", region, f"table/{name}")
        res = run.resource(acct, "dynamodb_table", arn, name, region)
        run.submit(_dynamodb_table, run, acct, region, res)
        run.submit(_dynamodb_pitr, run, acct, region, res)


def _dynamodb_table(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "dynamodb:DescribeTable"
    resp = run.attempt("aws.dynamodb_table", res, source,
                       lambda: acct.client("dynamodb", region).describe_table(TableName=res.name))
    if resp is _MISSING:
        return
    table = resp["Table"]
    sse = table.get("SSEDescription") or {}
    replicas = tuple(sorted({str(x["RegionName"]) for x in table.get("Replicas", []) if x.get("RegionName")}))
    for replica in replicas:
        acct.found(replica)
    rec = r.DynamoDbTable(name=str(res.name), status=table.get("TableStatus"),
                          sse_type=str(sse.get("SSEType") or "AWS_OWNED"), sse_status=sse.get("Status"),
                          replica_regions=replicas)
    run.ok(rec, res, table, source)


def _dynamodb_pitr(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "dynamodb:DescribeContinuousBackups"
    resp = run.attempt("aws.dynamodb_pitr", res, source,
                       lambda: acct.client("dynamodb", region).describe_continuous_backups(TableName=res.name))
    if resp is _MISSING:
        return
    desc = (resp.get("ContinuousBackupsDescription") or {}).get("PointInTimeRecoveryDescription") or {}
    rec = r.DynamoDbPitr(enabled=desc.get("PointInTimeRecoveryStatus") == "ENABLED",
                         latest_restorable_time=iso(desc.get("LatestRestorableDateTime")))
    run.ok(rec, res, resp, source)


def efs(run: Run, acct: Account, region: str) -> None:
    client = acct.client("efs", region)
    source = "elasticfilesystem:DescribeFileSystems"
    for fs in run.region_listing(acct, region, "aws.efs_file_system", "efs_file_system", source,
                                 lambda: run.paginate(client, "describe_file_systems", "FileSystems")) or []:
        acct.found(region)
        fid = fs["FileSystemId"]
        arn = fs.get("FileSystemArn") or run.arn(acct, "elasticfilesystem", region, f"file-system/{fid}")
        rec = r.EfsFileSystem(file_system_id=fid, encrypted=bool(fs.get("Encrypted")), kms_key_id=fs.get("KmsKeyId"))
        run.ok(rec, run.resource(acct, "efs_file_system", arn, fs.get("Name") or fid, region), fs, source)


def elbv2(run: Run, acct: Account, region: str) -> None:
    client = acct.client("elbv2", region)
    source = "elasticloadbalancing:DescribeLoadBalancers"
    for lb in run.region_listing(acct, region, ELB_KINDS, "elb_load_balancer", source,
                                 lambda: run.paginate(client, "describe_load_balancers", "LoadBalancers")) or []:
        acct.found(region)
        res = run.resource(acct, "elb_load_balancer", lb["LoadBalancerArn"], lb.get("LoadBalancerName"), region)
        rec = r.ElbLoadBalancer(name=str(lb.get("LoadBalancerName")), type=lb.get("Type"), scheme=lb.get("Scheme"),
                                dns_name=lb.get("DNSName"))
        run.ok(rec, res, lb, source)
        run.submit(_elb_attributes, run, acct, region, res)
        run.submit(_elb_listeners, run, acct, region, res)


def _elb_attributes(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "elasticloadbalancing:DescribeLoadBalancerAttributes"
    resp = run.attempt("aws.elb_attributes", res, source, lambda: acct.client("elbv2", region)
                       .describe_load_balancer_attributes(LoadBalancerArn=res.id))
    if resp is _MISSING:
        return
    attrs = {a.get("Key"): a.get("Value") for a in resp.get("Attributes", [])}
    rec = r.ElbAttributes(access_logs_enabled=str(attrs.get("access_logs.s3.enabled", "false")).lower() == "true",
                          access_logs_bucket=attrs.get("access_logs.s3.bucket") or None)
    run.ok(rec, res, resp, source)


def _elb_listeners(run: Run, acct: Account, region: str, lb: Resource) -> None:
    source = "elasticloadbalancing:DescribeListeners"
    client = acct.client("elbv2", region)
    listeners = run.attempt("aws.elb_listener", lb, source,
                            lambda: run.paginate(client, "describe_listeners", "Listeners", LoadBalancerArn=lb.id))
    if listeners is _MISSING:
        return
    for lst in listeners:
        actions = lst.get("DefaultActions", [])
        redirect = next((a.get("RedirectConfig", {}).get("Protocol") for a in actions if a.get("Type") == "redirect"),
                        None)
        rec = r.ElbListener(load_balancer_arn=lb.id, port=lst.get("Port"), protocol=lst.get("Protocol"),
                            ssl_policy=lst.get("SslPolicy"), default_actions=tuple(str(a.get("Type")) for a in actions),
                            redirect_protocol=redirect)
        res = run.resource(acct, "elb_listener", lst["ListenerArn"], f"{lb.name}:{lst.get('Port')}", region)
        run.ok(rec, res, lst, source)
        if rec.ssl_policy:
            run.memo.get((acct.account_id, region, "ssl-policy", rec.ssl_policy),
                         functools.partial(_elb_ssl_policy, run, acct, region, rec.ssl_policy))


def _elb_ssl_policy(run: Run, acct: Account, region: str, name: str) -> None:
    source = "elasticloadbalancing:DescribeSSLPolicies"
    res = run.resource(acct, "elb_ssl_policy", f"{acct.account_id}/{region}/ssl-policy/{name}", name, region)
    resp = run.attempt("aws.elb_ssl_policy", res, source,
                       lambda: acct.client("elbv2", region).describe_ssl_policies(Names=[name]))
    if resp is _MISSING:
        return
    policies = [p for p in resp.get("SslPolicies", []) if p.get("Name") == name]
    if not policies:
        run.ctx.failed("aws.elb_ssl_policy", res, error=f"DescribeSSLPolicies did not return the policy {name}",
                       reason=ErrorReason.INVALID_RESPONSE, source=source)
        return
    run.ok(r.ElbSslPolicy(name=name, protocols=tuple(policies[0].get("SslProtocols", []))), res, policies[0], source)


def cloudtrail(run: Run, acct: Account, region: str) -> None:
    client = acct.client("cloudtrail", region)
    source = "cloudtrail:DescribeTrails"
    # Shadow trails included: a multi-region or organisation trail homed in a region that is
    # not scanned still shows up. Each trail is emitted (and its status read) once.
    trails = run.region_listing(acct, region, ("aws.cloudtrail_trail", "aws.cloudtrail_status"), "cloudtrail_trail",
                                source,
                                lambda: client.describe_trails(includeShadowTrails=True).get("trailList", []))
    for trail in trails or []:
        arn = trail.get("TrailARN") or run.arn(acct, "cloudtrail", region, f"trail/{trail['Name']}")
        run.memo.get((acct.account_id, "trail", arn), functools.partial(_trail, run, acct, region, arn, trail, source))


def _trail(run: Run, acct: Account, region: str, arn: str, trail: dict[str, Any], source: str) -> None:
    home = trail.get("HomeRegion") or region
    res = run.resource(acct, "cloudtrail_trail", arn, trail.get("Name"), home)
    rec = r.CloudTrailTrail(name=str(trail.get("Name")), home_region=home,
                            multi_region=bool(trail.get("IsMultiRegionTrail")),
                            log_file_validation=bool(trail.get("LogFileValidationEnabled")),
                            s3_bucket=trail.get("S3BucketName"),
                            organization_trail=bool(trail.get("IsOrganizationTrail")))
    run.ok(rec, res, trail, source)
    run.submit(_trail_status, run, acct, home, res)


def _trail_status(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "cloudtrail:GetTrailStatus"
    resp = run.attempt("aws.cloudtrail_status", res, source,
                       lambda: acct.client("cloudtrail", region).get_trail_status(Name=res.id))
    if resp is _MISSING:
        return
    rec = r.CloudTrailStatus(is_logging=bool(resp.get("IsLogging")),
                             latest_delivery_error=resp.get("LatestDeliveryError") or None,
                             latest_delivery_time=iso(resp.get("LatestDeliveryTime")))
    run.ok(rec, res, resp, source)


def backup_plans(run: Run, acct: Account, region: str) -> None:
    client = acct.client("backup", region)
    source = "backup:ListBackupPlans"
    for plan in run.region_listing(acct, region, ("aws.backup_plan", "aws.backup_selection"), "backup_plan", source,
                                   lambda: run.paginate(client, "list_backup_plans", "BackupPlansList")) or []:
        res = run.resource(acct, "backup_plan", plan["BackupPlanArn"], plan.get("BackupPlanName"), region)
        run.submit(_backup_plan, run, acct, region, res, plan["BackupPlanId"])
        run.submit(_backup_selections, run, acct, region, res, plan["BackupPlanId"])


def _backup_plan(run: Run, acct: Account, region: str, res: Resource, plan_id: str) -> None:
    source = "backup:GetBackupPlan"
    resp = run.attempt("aws.backup_plan", res, source,
                       lambda: acct.client("backup", region).get_backup_plan(BackupPlanId=plan_id))
    if resp is _MISSING:
        return
    plan = resp.get("BackupPlan") or {}
    rules = []
    for rule in plan.get("Rules", []):
        copies = tuple(str(c.get("DestinationBackupVaultArn")) for c in rule.get("CopyActions") or []
                       if c.get("DestinationBackupVaultArn"))
        _found_arn_regions(acct, copies)
        rules.append(r.BackupRule(name=str(rule.get("RuleName")), vault=rule.get("TargetBackupVaultName"),
                                  schedule=rule.get("ScheduleExpression"), copy_destinations=copies))
    rec = r.BackupPlan(plan_id=plan_id, name=str(plan.get("BackupPlanName") or res.name), rules=tuple(rules))
    run.ok(rec, res, resp, source)


def _backup_selections(run: Run, acct: Account, region: str, plan: Resource, plan_id: str) -> None:
    client = acct.client("backup", region)
    source = "backup:ListBackupSelections"
    found = run.attempt("aws.backup_selection", plan, source,
                        lambda: run.paginate(client, "list_backup_selections", "BackupSelectionsList",
                                             BackupPlanId=plan_id))
    if found is _MISSING:
        return
    run.listed(acct, region, f"backup_selection:{plan_id}", len(found), source)
    for sel in found:
        sid = sel["SelectionId"]
        res = run.resource(acct, "backup_selection", f"{plan.id}/selection/{sid}", sel.get("SelectionName"), region)
        run.submit(_backup_selection, run, acct, region, res, plan_id, sid)


def _backup_selection(run: Run, acct: Account, region: str, res: Resource, plan_id: str, sid: str) -> None:
    source = "backup:GetBackupSelection"
    resp = run.attempt("aws.backup_selection", res, source, lambda: acct.client("backup", region)
                       .get_backup_selection(BackupPlanId=plan_id, SelectionId=sid))
    if resp is _MISSING:
        return
    sel = resp.get("BackupSelection") or {}
    conditions = sel.get("Conditions") or {}
    rec = r.BackupSelection(plan_id=plan_id, selection_id=sid, name=str(sel.get("SelectionName") or res.name),
                            resources=tuple(sel.get("Resources") or ()),
                            not_resources=tuple(sel.get("NotResources") or ()),
                            has_conditions=bool(sel.get("ListOfTags")) or any(bool(v) for v in conditions.values()))
    run.ok(rec, res, resp, source)


def backup_vaults(run: Run, acct: Account, region: str) -> None:
    client = acct.client("backup", region)
    source = "backup:ListBackupVaults"
    for vault in run.region_listing(acct, region, "aws.backup_vault", "backup_vault", source,
                                    lambda: run.paginate(client, "list_backup_vaults", "BackupVaultList")) or []:
        acct.found(region)
        rec = r.BackupVault(name=str(vault.get("BackupVaultName")), encryption_key_arn=vault.get("EncryptionKeyArn"),
                            recovery_points=vault.get("NumberOfRecoveryPoints"))
        run.ok(rec, run.resource(acct, "backup_vault", vault["BackupVaultArn"], rec.name, region), vault, source)


_PROTECTED_TYPES = {"EBS": "ebs_volume", "EC2": "ec2_instance", "RDS": "rds_instance", "Aurora": "rds_cluster",
                    "DynamoDB": "dynamodb_table", "EFS": "efs_file_system", "S3": "s3_bucket"}


def backup_protected_resources(run: Run, acct: Account, region: str) -> None:
    client = acct.client("backup", region)
    source = "backup:ListProtectedResources"
    for item in run.region_listing(acct, region, "aws.backup_protected_resource", "backup_protected_resource", source,
                                   lambda: run.paginate(client, "list_protected_resources", "Results")) or []:
        arn = str(item["ResourceArn"])
        rtype = item.get("ResourceType")
        rec = r.BackupProtectedResource(resource_arn=arn, resource_type=rtype,
                                        last_backup_time=iso(item.get("LastBackupTime")))
        name = item.get("ResourceName") or arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        res = run.resource(acct, _PROTECTED_TYPES.get(str(rtype), str(rtype or "resource").lower()), arn, name, region)
        run.ok(rec, res, item, source)


def kms(run: Run, acct: Account, region: str) -> None:
    client = acct.client("kms", region)
    source = "kms:ListKeys"
    for key in run.region_listing(acct, region, ("aws.kms_key", "aws.kms_key_rotation"), "kms_key", source,
                                  lambda: run.paginate(client, "list_keys", "Keys")) or []:
        res = run.resource(acct, "kms_key", key["KeyArn"], key["KeyId"], region)
        run.submit(_kms_key, run, acct, region, res)


def _kms_key(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "kms:DescribeKey"
    resp = run.attempt(("aws.kms_key", "aws.kms_key_rotation"), res, source,
                       lambda: acct.client("kms", region).describe_key(KeyId=res.id))
    if resp is _MISSING:
        return
    meta = resp.get("KeyMetadata") or {}
    rec = r.KmsKey(key_id=str(meta.get("KeyId") or res.name), manager=meta.get("KeyManager"),
                   state=meta.get("KeyState"), spec=meta.get("KeySpec") or meta.get("CustomerMasterKeySpec"),
                   usage=meta.get("KeyUsage"), description=meta.get("Description") or None)
    run.ok(rec, res, resp, source)
    # Automatic rotation exists only for enabled customer-managed symmetric keys.
    if rec.manager == "CUSTOMER" and rec.state == "Enabled" and rec.spec == "SYMMETRIC_DEFAULT" \
            and meta.get("Origin", "AWS_KMS") == "AWS_KMS":
        source = "kms:GetKeyRotationStatus"
        rot = run.attempt("aws.kms_key_rotation", res, source,
                          lambda: acct.client("kms", region).get_key_rotation_status(KeyId=res.id))
        if rot is not _MISSING:
            run.ok(r.KmsKeyRotation(enabled=bool(rot.get("KeyRotationEnabled"))), res, rot, source)


REGIONAL_READERS: tuple[Callable[[Run, Account, str], None], ...] = (
    ec2_instances, ec2_images, ebs_volumes, ebs_snapshots, ebs_encryption_default, vpcs, security_groups,
    rds, rds_clusters, rds_snapshots, dynamodb, efs, elbv2, cloudtrail,
    backup_plans, backup_vaults, backup_protected_resources, kms,
)


# =========================================================================================
# Global readers (once per account): reader(run, acct)
# =========================================================================================

def s3_buckets(run: Run, acct: Account) -> None:
    client = acct.global_client("s3")
    source = "s3:ListBuckets"
    # No MaxBuckets: the paginator follows ContinuationToken whenever S3 returns one.
    buckets = run.attempt(BUCKET_KINDS, run.account_resource(acct), source,
                          lambda: run.paginate(client, "list_buckets", "Buckets"))
    if buckets is _MISSING:
        return
    run.listed(acct, "global", "s3_bucket", len(buckets), source)
    for bucket in buckets:
        run.submit(_s3_bucket, run, acct, bucket)


def bucket_region(run: Run, acct: Account, name: str, listed_region: str | None = None) -> str:
    """The bucket's region, read once per bucket (GetBucketLocation unless ListBuckets said)."""
    def read() -> str:
        if listed_region:
            return listed_region
        resp = acct.global_client("s3").get_bucket_location(Bucket=name)
        constraint = resp.get("LocationConstraint")
        return str({None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint))

    return str(run.memo.get((acct.account_id, "bucket-region", name), read))


def _s3_bucket(run: Run, acct: Account, bucket: dict[str, Any]) -> None:
    name = bucket["Name"]
    arn = f"arn:{acct.partition}:s3:::{name}"
    listed_region = bucket.get("BucketRegion")
    source = "s3:ListBuckets" if listed_region else "s3:GetBucketLocation"
    region = run.attempt("aws.s3_bucket", run.resource(acct, "s3_bucket", arn, name, None), source,
                         lambda: bucket_region(run, acct, name, listed_region))
    region = None if region is _MISSING else region
    res = run.resource(acct, "s3_bucket", arn, name, region)
    if region:
        acct.found(region)
        run.ok(r.S3Bucket(name=name, region=region, created=iso(bucket.get("CreationDate"))), res,
               {**bucket, "Region": region}, source)
    for reader in BUCKET_READERS:
        run.submit(reader, run, acct, res)


def _bucket_call(run: Run, acct: Account, res: Resource, kind: str, source: str, operation: str,
                 absent: str) -> Any:
    """Call ``operation`` on the bucket; ``None`` when S3 answers the ``absent`` error code
    (the configuration does not exist); ``_MISSING`` after emitting error evidence."""
    client = acct.client("s3", res.location)
    try:
        return getattr(client, operation)(Bucket=res.name)
    except EXPECTED_ERRORS as exc:
        if absent and error_code(exc) == absent:
            return None
        run.fail(kind, res, exc, source)
        return _MISSING


def _s3_encryption(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketEncryption"
    resp = _bucket_call(run, acct, res, "aws.s3_bucket_encryption", source, "get_bucket_encryption",
                        "ServerSideEncryptionConfigurationNotFoundError")
    if resp is _MISSING:
        return
    if resp is None:
        run.ok(r.S3BucketEncryption(configured=False), res,
               {"Error": {"Code": "ServerSideEncryptionConfigurationNotFoundError"}}, source)
        return
    rules = (resp.get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])
    defaults = [rule.get("ApplyServerSideEncryptionByDefault") or {} for rule in rules]
    rec = r.S3BucketEncryption(
        configured=bool(defaults),
        algorithms=tuple(str(d["SSEAlgorithm"]) for d in defaults if d.get("SSEAlgorithm")),
        kms_key_ids=tuple(str(d["KMSMasterKeyID"]) for d in defaults if d.get("KMSMasterKeyID")),
        bucket_key_enabled=any(bool(rule.get("BucketKeyEnabled")) for rule in rules) if rules else None)
    run.ok(rec, res, resp, source)


def _s3_policy(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketPolicy"
    resp = _bucket_call(run, acct, res, "aws.s3_bucket_policy", source, "get_bucket_policy", "NoSuchBucketPolicy")
    if resp is _MISSING:
        return
    if resp is None:
        run.ok(r.S3BucketPolicy(has_policy=False, denies_insecure_transport=False), res,
               {"Error": {"Code": "NoSuchBucketPolicy"}}, source)
        return
    text = resp.get("Policy") or "{}"
    try:
        document = json.loads(text)
    except ValueError:
        run.ctx.failed("aws.s3_bucket_policy", res, error="the bucket policy is not valid JSON",
                       reason=ErrorReason.INVALID_RESPONSE, source=source, raw=jsonable(resp))
        return
    run.ok(r.S3BucketPolicy(has_policy=True, denies_insecure_transport=denies_insecure_transport(document)),
           res, {"Policy": document}, source)


def denies_insecure_transport(document: Any) -> bool:
    """A statement that denies every S3 action to every principal when aws:SecureTransport is false."""
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Deny":
            continue
        principal = st.get("Principal")
        if principal != "*" and not (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("*", "s3:*") for a in actions):
            continue
        for operator in ("Bool", "BoolIfExists"):
            value = (st.get("Condition") or {}).get(operator, {}).get("aws:SecureTransport")
            values = value if isinstance(value, list) else [value]
            if any(str(v).lower() == "false" for v in values if v is not None):
                return True
    return False


def _s3_logging(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketLogging"
    resp = _bucket_call(run, acct, res, "aws.s3_bucket_logging", source, "get_bucket_logging", "")
    if resp is _MISSING:
        return
    enabled = (resp or {}).get("LoggingEnabled") or {}
    rec = r.S3BucketLogging(enabled=bool(enabled), target_bucket=enabled.get("TargetBucket"),
                            target_prefix=enabled.get("TargetPrefix"))
    run.ok(rec, res, resp, source)


def _s3_versioning(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketVersioning"
    resp = _bucket_call(run, acct, res, "aws.s3_bucket_versioning", source, "get_bucket_versioning", "")
    if resp is _MISSING:
        return
    run.ok(r.S3BucketVersioning(status=(resp or {}).get("Status"), mfa_delete=(resp or {}).get("MFADelete")),
           res, resp, source)


def _s3_replication(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetBucketReplication"
    resp = _bucket_call(run, acct, res, "aws.s3_bucket_replication", source, "get_bucket_replication",
                        "ReplicationConfigurationNotFoundError")
    if resp is _MISSING:
        return
    if resp is None:
        run.ok(r.S3BucketReplication(configured=False), res,
               {"Error": {"Code": "ReplicationConfigurationNotFoundError"}}, source)
        return
    rules = []
    for rule in (resp.get("ReplicationConfiguration") or {}).get("Rules", []):
        dest = rule.get("Destination") or {}
        dest_arn = str(dest.get("Bucket") or "")
        dest_name = dest_arn.split(":::", 1)[-1]
        try:
            dest_region: str | None = bucket_region(run, acct, dest_name)
            acct.found(dest_region)
        except EXPECTED_ERRORS as exc:
            dest_region = None  # not ours, or not readable: the residency check says it cannot tell
            run.gap(acct.account_id, f"replication destination {dest_arn} of bucket {res.name}", classify(exc)[0])
        rules.append(r.ReplicationRule(id=rule.get("ID"), status=str(rule.get("Status")), destination_bucket=dest_arn,
                                       destination_account=dest.get("Account"), destination_region=dest_region))
    run.ok(r.S3BucketReplication(configured=True, rules=tuple(rules)), res, resp, source)


def _s3_public_access_block(run: Run, acct: Account, res: Resource) -> None:
    source = "s3:GetPublicAccessBlock"
    resp = _bucket_call(run, acct, res, "aws.s3_bucket_public_access_block", source, "get_public_access_block",
                        "NoSuchPublicAccessBlockConfiguration")
    if resp is _MISSING:
        return
    run.ok(r.S3BucketPublicAccessBlock(configured=resp is not None, settings=_pab(resp)), res,
           resp if resp is not None else {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration"}}, source)


def _pab(resp: dict[str, Any] | None) -> r.PublicAccessBlock:
    conf = (resp or {}).get("PublicAccessBlockConfiguration") or {}
    return r.PublicAccessBlock(block_public_acls=bool(conf.get("BlockPublicAcls")),
                               ignore_public_acls=bool(conf.get("IgnorePublicAcls")),
                               block_public_policy=bool(conf.get("BlockPublicPolicy")),
                               restrict_public_buckets=bool(conf.get("RestrictPublicBuckets")))


BUCKET_READERS = (_s3_encryption, _s3_policy, _s3_logging, _s3_versioning, _s3_replication, _s3_public_access_block)


def s3_account_public_access_block(run: Run, acct: Account) -> None:
    source = "s3control:GetPublicAccessBlock"
    res = run.account_resource(acct)
    try:
        resp = acct.client("s3control").get_public_access_block(AccountId=acct.account_id)
    except EXPECTED_ERRORS as exc:
        if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
            run.fail("aws.s3_account_public_access_block", res, exc, source)
            return
        resp = None
    run.ok(r.S3AccountPublicAccessBlock(configured=resp is not None, settings=_pab(resp)), res,
           resp if resp is not None else {"Error": {"Code": "NoSuchPublicAccessBlockConfiguration"}}, source)


def iam_summary(run: Run, acct: Account) -> None:
    source = "iam:GetAccountSummary"
    res = run.account_resource(acct)
    resp = run.attempt("aws.iam_account_summary", res, source, lambda: acct.global_client("iam").get_account_summary())
    if resp is _MISSING:
        return
    summary = resp.get("SummaryMap") or {}
    rec = r.IamAccountSummary(root_mfa_enabled=bool(summary.get("AccountMFAEnabled")),
                              root_access_keys_present=bool(summary.get("AccountAccessKeysPresent")),
                              users=summary.get("Users"), mfa_devices_in_use=summary.get("MFADevicesInUse"))
    run.ok(rec, res, resp, source)


def iam_password_policy(run: Run, acct: Account) -> None:
    source = "iam:GetAccountPasswordPolicy"
    res = run.account_resource(acct)
    try:
        resp = acct.global_client("iam").get_account_password_policy()
    except EXPECTED_ERRORS as exc:
        if error_code(exc) != "NoSuchEntity":
            run.fail("aws.iam_password_policy", res, exc, source)
            return
        run.ok(r.IamPasswordPolicy(present=False), res, {"Error": {"Code": "NoSuchEntity"}}, source)
        return
    pol = resp.get("PasswordPolicy") or {}
    rec = r.IamPasswordPolicy(present=True, minimum_length=pol.get("MinimumPasswordLength"),
                              require_symbols=bool(pol.get("RequireSymbols")),
                              require_numbers=bool(pol.get("RequireNumbers")),
                              require_uppercase=bool(pol.get("RequireUppercaseCharacters")),
                              require_lowercase=bool(pol.get("RequireLowercaseCharacters")),
                              max_age_days=pol.get("MaxPasswordAge"),
                              reuse_prevention=pol.get("PasswordReusePrevention"))
    run.ok(rec, res, resp, source)


REPORT_WAIT_SECONDS = 60.0


def iam_credential_report(run: Run, acct: Account) -> None:
    res = run.account_resource(acct)
    iam = acct.global_client("iam")
    source = "iam:GenerateCredentialReport"
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    while True:
        state = run.attempt("aws.iam_credential_report", res, source, lambda: iam.generate_credential_report())
        if state is _MISSING:
            return
        source = "iam:GetCredentialReport"
        try:
            resp = iam.get_credential_report()
            break
        except EXPECTED_ERRORS as exc:
            if error_code(exc) not in ("ReportInProgress", "ReportNotPresent", "ReportExpired") \
                    or time.monotonic() > deadline:
                run.fail("aws.iam_credential_report", res, exc, source)
                return
        time.sleep(1.0)
        source = "iam:GenerateCredentialReport"
    content = resp.get("Content") or b""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    rows = list(csv.DictReader(io.StringIO(text)))
    users = [_credentials(row) for row in rows]
    root = next((u for u in users if u.user == "<root_account>"), None)
    rec = r.IamCredentialReport(generated=iso(resp.get("GeneratedTime")), root=root,
                                users=tuple(u for u in users if u.user != "<root_account>"))
    run.ok(rec, res, {"GeneratedTime": resp.get("GeneratedTime"), "ReportFormat": resp.get("ReportFormat"),
                      "Rows": rows}, source)


def _credentials(row: dict[str, str]) -> r.IamUserCredentials:
    keys = []
    for slot in (1, 2):
        rotated = row.get(f"access_key_{slot}_last_rotated")
        keys.append(r.AccessKey(slot=slot, active=row.get(f"access_key_{slot}_active") == "true",
                                last_rotated=None if rotated in (None, "", "N/A", "not_supported") else rotated))
    return r.IamUserCredentials(user=row.get("user", ""), arn=row.get("arn", ""),
                                password_enabled=row.get("password_enabled") == "true",
                                mfa_active=row.get("mfa_active") == "true", access_keys=tuple(keys))


def cloudfront(run: Run, acct: Account) -> None:
    client = acct.global_client("cloudfront")
    source = "cloudfront:ListDistributions"
    items = run.attempt(("aws.cloudfront_distribution", "aws.cloudfront_config"), run.account_resource(acct), source,
                        lambda: run.paginate(client, "list_distributions",
                                             lambda page: (page.get("DistributionList") or {}).get("Items") or []))
    if items is _MISSING:
        return
    run.listed(acct, "global", "cloudfront_distribution", len(items), source)
    for dist in items:
        did = dist["Id"]
        res = run.resource(acct, "cloudfront_distribution", dist.get("ARN") or f"arn:{acct.partition}:cloudfront::"
                           f"{acct.account_id}:distribution/{did}", dist.get("DomainName") or did, "global")
        rec = r.CloudFrontDistribution(distribution_id=did, domain_name=dist.get("DomainName"),
                                       enabled=bool(dist.get("Enabled")))
        run.ok(rec, res, dist, source)
        run.submit(_cloudfront_config, run, acct, res, did)


def _cloudfront_config(run: Run, acct: Account, res: Resource, did: str) -> None:
    source = "cloudfront:GetDistributionConfig"
    resp = run.attempt("aws.cloudfront_config", res, source,
                       lambda: acct.global_client("cloudfront").get_distribution_config(Id=did))
    if resp is _MISSING:
        return
    conf = resp.get("DistributionConfig") or {}
    behaviours = [conf.get("DefaultCacheBehavior") or {}] + list((conf.get("CacheBehaviors") or {}).get("Items") or [])
    cert = conf.get("ViewerCertificate") or {}
    logging = conf.get("Logging") or {}
    rec = r.CloudFrontConfig(viewer_protocol_policies=tuple(str(b.get("ViewerProtocolPolicy")) for b in behaviours),
                             minimum_protocol_version=cert.get("MinimumProtocolVersion"),
                             default_certificate=bool(cert.get("CloudFrontDefaultCertificate")),
                             logging_enabled=bool(logging.get("Enabled")), logging_bucket=logging.get("Bucket") or None)
    run.ok(rec, res, resp, source)


GLOBAL_READERS: tuple[Callable[[Run, Account], None], ...] = (
    s3_buckets, s3_account_public_access_block, iam_summary, iam_password_policy, iam_credential_report, cloudfront,
)


# --- helpers -------------------------------------------------------------------------------

def _tag(item: dict[str, Any], key: str) -> str | None:
    for tag in item.get("Tags") or []:
        if tag.get("Key") == key and tag.get("Value"):
            return str(tag["Value"])
    return None


def arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 5 and parts[0] == "arn" else None


def _found_arn_regions(acct: Account, arns: Iterable[str]) -> None:
    for arn in arns:
        acct.found(arn_region(arn))
