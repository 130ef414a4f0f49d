"""``auditpack demo``: the real pipeline against a built-in emulated company.

The same collectors, checks and reports as a real run — no shortcuts — pointed at local
emulators: AWS in moto's server, the project's own Hetzner API emulator, TLS endpoints on
loopback and, where ``sshd`` and ``borg`` are installed, a backup server on loopback. The
company ("Demo SaaS B.V.") has a realistic mix of good and bad: data outside the EEA, an
unencrypted volume, a stale backup, a TLS 1.0 listener, an unlisted sub-processor. It is
audited against the Dioss seed DPA and against a DPA the importer drafts during the demo
(unreviewed, so the report shows the draft banner). Everything started is stopped again, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

from .model import utc_now

if TYPE_CHECKING:
    from .custody import PackSigner

log = logging.getLogger("auditpack.demo")

DEMO_PROFILE = "dioss"
DEMO_IMPORTED_DPA = "dpa-lumenfold.md"  # drafted by the importer during the demo (package data)
AWS_REGIONS = ("eu-central-1", "eu-west-1", "eu-west-2", "us-east-1")
HETZNER_TOKEN_ENV = "AUDITPACK_DEMO_HCLOUD_TOKEN"
DEMO_HETZNER_TOKEN = "demo-read-only-token-0000000000000000000000000000000000000000000"
BORG_PASSPHRASE_ENV = "AUDITPACK_DEMO_BORG_PASSPHRASE"


@dataclass
class DemoParts:
    """What the demo started, as configuration text, and what it had to leave out."""

    sections: list[str] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- AWS: moto's server, seeded through boto3 like a real account ---------------------------

@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request log on the user's terminal
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def seed_aws(endpoint: str, now: datetime) -> None:
    """A small company account: mostly good in the EEA, with the usual mistakes."""
    import boto3

    def client(service: str, region: str = "eu-central-1") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint)

    s3 = client("s3")
    s3.create_bucket(Bucket="demo-customer-data", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_bucket_encryption(Bucket="demo-customer-data", ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    s3.put_bucket_versioning(Bucket="demo-customer-data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket="demo-customer-data", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": ["arn:aws:s3:::demo-customer-data", "arn:aws:s3:::demo-customer-data/*"],
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    s3.create_bucket(Bucket="demo-access-logs", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_bucket_acl(Bucket="demo-access-logs", GrantWrite="uri=http://acs.amazonaws.com/groups/s3/LogDelivery",
                      GrantReadACP="uri=http://acs.amazonaws.com/groups/s3/LogDelivery")
    s3.put_bucket_logging(Bucket="demo-customer-data", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "demo-access-logs", "TargetPrefix": "customer-data/"}})
    # personal data exported to the US for "analytics": outside the EEA
    client("s3", "us-east-1").create_bucket(Bucket="demo-analytics-export")
    # a London bucket: adequacy, but the Dioss DPA says "always inside the EEA"
    client("s3", "eu-west-2").create_bucket(Bucket="demo-reporting-london",
                                           CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})

    ec2 = client("ec2")
    ec2.enable_ebs_encryption_by_default()
    image = "ami-0123456789abcdef0"  # moto's default AMIs are off (see aws_part)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    sg = ec2.create_security_group(GroupName="demo-admin", Description="admin access", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.small", SecurityGroupIds=[sg],
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "app-1"}]}])
    app_volume = ec2.create_volume(AvailabilityZone="eu-central-1a", Size=50, Encrypted=True, TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "app-data"}]}])["VolumeId"]
    # created before encryption-by-default was switched on in this region
    ec2w = client("ec2", "eu-west-1")
    ec2w.create_volume(AvailabilityZone="eu-west-1a", Size=100, Encrypted=False, TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "legacy-db-data"}]}])

    # what AWS reports for every bucket since January 2023 (moto does not apply the default)
    for region, bucket in (("eu-central-1", "demo-access-logs"), ("us-east-1", "demo-analytics-export"),
                           ("eu-west-2", "demo-reporting-london")):
        client("s3", region).put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})

    # the orders database: encrypted, backed up daily, but its parameter group still lets a legacy
    # client connect without TLS (rds.force_ssl = 0)
    rds = client("rds")
    rds.create_db_parameter_group(DBParameterGroupName="demo-orders-postgres", DBParameterGroupFamily="postgres16",
                                  Description="orders database")
    rds.modify_db_parameter_group(DBParameterGroupName="demo-orders-postgres", Parameters=[
        {"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}])
    rds.create_db_instance(DBInstanceIdentifier="demo-orders-db", Engine="postgres", EngineVersion="16.3",
                           DBInstanceClass="db.t4g.micro", AllocatedStorage=20, StorageEncrypted=True,
                           BackupRetentionPeriod=7, DBParameterGroupName="demo-orders-postgres",
                           MasterUsername="orders", MasterUserPassword="demo-password-not-real")

    dynamodb = client("dynamodb")
    dynamodb.create_table(TableName="demo-sessions", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    dynamodb.update_continuous_backups(TableName="demo-sessions",
                                       PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    trail_bucket = "demo-cloudtrail-logs"
    s3.create_bucket(Bucket=trail_bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    s3.put_bucket_encryption(Bucket=trail_bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    cloudtrail = client("cloudtrail")
    cloudtrail.create_trail(Name="org-trail", S3BucketName=trail_bucket, IsMultiRegionTrail=True,
                            EnableLogFileValidation=True)
    cloudtrail.start_logging(Name="org-trail")

    # AWS Backup: daily backups of the app volume, with a copy to a vault in the US (data leaving the EEA)
    from auditpack.collectors.aws.emulator import add_protected_resource

    account = client("sts").get_caller_identity()["Account"]
    client("backup", "us-east-1").create_backup_vault(BackupVaultName="demo-dr-vault")
    backup = client("backup")
    backup.create_backup_vault(BackupVaultName="demo-vault")
    plan = backup.create_backup_plan(BackupPlan={"BackupPlanName": "daily", "Rules": [{
        "RuleName": "daily", "TargetBackupVaultName": "demo-vault", "ScheduleExpression": "cron(0 3 * * ? *)",
        "Lifecycle": {"DeleteAfterDays": 35},
        "CopyActions": [{"DestinationBackupVaultArn":
                         f"arn:aws:backup:us-east-1:{account}:backup-vault:demo-dr-vault"}]}]})["BackupPlanId"]
    volume_arn = f"arn:aws:ec2:eu-central-1:{account}:volume/{app_volume}"
    backup.create_backup_selection(BackupPlanId=plan, BackupSelection={
        "SelectionName": "app", "IamRoleArn": f"arn:aws:iam::{account}:role/service-role/AWSBackupDefaultServiceRole",
        "Resources": [volume_arn]})
    add_protected_resource(volume_arn, "EBS", now - timedelta(hours=5), account, name="app-data")

    # the public load balancer still answers plain HTTP without redirecting to HTTPS
    subnets = [sn["SubnetId"] for sn in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    elb = client("elbv2")
    lb = elb.create_load_balancer(Name="demo-web", Subnets=subnets[:2], SecurityGroups=[sg],
                                  Scheme="internet-facing", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb.create_target_group(Name="demo-app", Protocol="HTTP", Port=8080, VpcId=vpc,
                                    TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])

    iam = client("iam", "us-east-1")
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True)
    iam.create_user(UserName="deploy-bot")
    iam.create_access_key(UserName="deploy-bot")


def aws_part(stack: contextlib.ExitStack, parts: DemoParts) -> None:
    # moto otherwise ships ~1,100 AMIs per region whose snapshots belong to the account itself:
    # an emulator artefact, not part of the demo company
    stack.enter_context(mock.patch.dict(os.environ, {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}))
    from auditpack.collectors.aws.emulator import install

    install()  # moto lacks the AWS Backup selection and protected-resource reads
    endpoint = stack.enter_context(moto_server())
    fake = {"AWS_ACCESS_KEY_ID": "AKIADEMO0000000000", "AWS_SECRET_ACCESS_KEY": "demo-secret-not-a-real-key",
            "AWS_DEFAULT_REGION": "eu-central-1", "AWS_EC2_METADATA_DISABLED": "true"}
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        fake[key] = ""
    stack.enter_context(mock.patch.dict(os.environ, fake))
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(key, None)
    seed_aws(endpoint, utc_now())
    regions = ", ".join(f'"{r}"' for r in AWS_REGIONS)
    parts.sections.append(f'[aws]\nregions = [{regions}]\nendpoint_url = "{endpoint}"\n')
    parts.notes.append(f"AWS: moto server at {endpoint} (regions {', '.join(AWS_REGIONS)})")


# --- the rest is wired to the emulators shipped in auditpack.emulators ------------------------

def hetzner_part(stack: contextlib.ExitStack, parts: DemoParts, now: datetime) -> None:
    from auditpack.emulators.hetzner import HetznerEmulator, demo_project

    emulator = stack.enter_context(HetznerEmulator(demo_project(now), token=DEMO_HETZNER_TOKEN))
    parts.environ[HETZNER_TOKEN_ENV] = DEMO_HETZNER_TOKEN
    parts.sections.append(
        f'[[hetzner.projects]]\nname = "demo-production"\ntoken_env = "{HETZNER_TOKEN_ENV}"\n'
        f'api_endpoint = "{emulator.url}"\n')
    parts.notes.append(f"Hetzner Cloud: local API emulator at {emulator.url}")


def tls_part(stack: contextlib.ExitStack, parts: DemoParts, work: Path) -> None:
    """The customer-facing app done right, and a legacy API that still speaks TLS 1.0."""
    from auditpack.emulators.tls import EmulatorCA, LocalTlsServer

    ca = EmulatorCA()
    app = stack.enter_context(LocalTlsServer("app.demo.test", ca=ca, http="redirect"))
    legacy = stack.enter_context(LocalTlsServer("legacy-api.demo.test", ca=ca, min_version="1.0", hsts=None))
    endpoints = []
    for server in (app, legacy):
        table = server.endpoint_config()
        endpoints.append("{ " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items()) + " }")
    parts.sections.append(f'[tls]\nca_bundle = "{app.ca_pem_path}"\nendpoints = [\n    '
                          + ",\n    ".join(endpoints) + ",\n]\n")
    parts.notes.append(f"TLS: app.demo.test on 127.0.0.1:{app.port}, legacy-api.demo.test on 127.0.0.1:{legacy.port}")


def ssh_part(stack: contextlib.ExitStack, parts: DemoParts, work: Path, now: datetime) -> None:
    """A backup server at Time4VPS (Lithuania, in the Dioss register): one fresh, encrypted,
    verified borg repository and a forgotten unencrypted one that went stale."""
    from auditpack.emulators.sshd import demo_backup_server, sshd_available

    available, why = sshd_available("borg")
    if not available:
        raise SkipPart(f"{why} (install openssh-server and borgbackup to include it)")
    toml, env, note = demo_backup_server(stack, now, name="backup-1", country="LT", provider="Time4VPS")
    parts.environ.update(env)
    parts.sections.append("[ssh]\n" + toml)
    parts.notes.append(note)


def manual_part(parts: DemoParts, folder: Path, now: datetime) -> None:
    """Documents a person attaches, so the report shows every verdict: a current ISO
    certificate and the signed sub-processor agreements support their clauses (attested);
    last year's penetration test is past its validity, supports nothing and is a finding."""
    today = now.date()
    docs = [
        ("iso27001-certificate.txt", "ISO/IEC 27001:2022 certificate (demo)", "certification",
         today - timedelta(days=200), ["dioss: Technische en organisatorische maatregelen, bullet 2"],
         'iso = ["A.5.36"]\n', f"valid_until = {today + timedelta(days=895)}\n"),
        ("subprocessor-dpas.txt", "Signed DPAs with every sub-processor (demo)", "subprocessor_list",
         today - timedelta(days=30), ["dioss: Subverwerkers, bullet 2"], 'gdpr = ["28(4)"]\n', "max_age_days = 365\n"),
        ("pentest-report.txt", "Penetration test report (demo)", "vulnerability_management",
         today - timedelta(days=430), ["dioss: Technische en organisatorische maatregelen, bullet 11"], "",
         "max_age_days = 365\n"),
    ]
    for name, title, measure, date, clauses, refs, validity in docs:
        path = folder / name
        path.write_text(f"{title}\nDemo SaaS B.V. (emulated); dated {date}. A stand-in for the real document.\n")
        parts.sections.append(
            f'[[manual_evidence]]\npath = "{path}"\ntitle = "{title}"\nmeasures = ["{measure}"]\ndate = {date}\n'
            f"clauses = {json.dumps(clauses, ensure_ascii=False)}\n{refs}"
            f'reviewer = "Compliance officer (demo)"\n{validity}')


def imported_dpa_part(parts: DemoParts, folder: Path) -> None:
    """A customer's DPA that nobody has profiled yet, drafted the way ``auditpack dpa import``
    does: the run answers it clause by clause and shows its unreviewed-draft banner."""
    from importlib import resources

    from .dpaimport.draft import draft_profile
    from .dpaimport.reader import read_document

    source = folder / DEMO_IMPORTED_DPA
    source.write_bytes(resources.files("auditpack").joinpath("data", "demo", DEMO_IMPORTED_DPA).read_bytes())
    draft = draft_profile(read_document(source), "lumenfold-draft")
    target = folder / "lumenfold-draft.toml"
    target.write_text(draft.toml, "utf-8")
    parts.sections.append(f"# an unreviewed draft: auditpack dpa import {source.name} --out {target.name}\n"
                          f"[[dpa]]\nprofile = {json.dumps(str(target))}\n")
    parts.notes.append(f"drafted a profile from {source.name} ({len(draft.clauses)} clauses, unreviewed: "
                       f"the report shows the draft banner); the same as: auditpack dpa import {source.name}")


def demo_config(parts: DemoParts) -> str:
    head = ('[organisation]\nname = "Demo SaaS B.V. (emulated)"\ncontact = "security@demo.invalid"\n\n'
            "[history]\nenabled = false\n\n"
            f'[[dpa]]\nprofile = "{DEMO_PROFILE}"\n\n')
    return head + "\n".join(parts.sections)


def start_company(stack: contextlib.ExitStack, parts: DemoParts, work: Path, now: datetime) -> None:
    """Start every part of the emulated company, saying what it does while it starts."""
    starters: list[tuple[str, str, Callable[[], None]]] = [
        ("AWS", "moto server, seeding the demo account", lambda: aws_part(stack, parts)),
        ("Hetzner", "local Hetzner Cloud API emulator", lambda: hetzner_part(stack, parts, now)),
        ("TLS", "two endpoints on loopback", lambda: tls_part(stack, parts, work)),
        ("SSH backup server", "sshd and borg repositories on loopback", lambda: ssh_part(stack, parts, work, now)),
    ]
    for name, what, start in starters:
        begun = time.monotonic()
        print(f"auditpack demo: starting {name} ({what})...", file=sys.stderr, flush=True)
        try:
            start()
        except SkipPart as why:
            parts.skipped.append(f"{name}: {why}")
            print(f"auditpack demo: {name} skipped: {why}", file=sys.stderr, flush=True)
            continue
        print(f"auditpack demo: {name} ready ({time.monotonic() - begun:.1f} s)", file=sys.stderr, flush=True)
    manual_part(parts, work, now)
    imported_dpa_part(parts, work)


#: variables the printed ``check`` command sets: the demo's secrets and its fake AWS identity
SERVE_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_EC2_METADATA_DISABLED")


def serve_command(config_path: Path, environ: dict[str, str]) -> str:
    """The exact command to run against the served company (values of demo secrets only)."""
    import shlex

    assigns = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(environ.items()))
    return f"env {assigns} auditpack check --config {shlex.quote(str(config_path))}"


def _serve(args: argparse.Namespace, stack: contextlib.ExitStack, parts: DemoParts, folder: Path,
           now: datetime) -> int:
    """Write the configuration into ``folder``, print the command, wait for Ctrl-C."""
    import signal

    config_path = folder / "auditpack.toml"
    config_path.write_text(_files_into(demo_config(parts), folder))
    environ = {**{k: os.environ[k] for k in SERVE_ENV if os.environ.get(k)}, **parts.environ}
    for note in parts.notes:
        print(f"auditpack demo: {note}")
    for skipped in parts.skipped:
        print(f"auditpack demo: skipped {skipped}")
    print(f"auditpack demo: the emulated company is running; its configuration is {config_path}")
    print("auditpack demo: in another terminal (secrets are passed as environment variables, never in the file):")
    print("")
    print(f"    {serve_command(config_path, environ)}")
    print("")
    print("auditpack demo: ready. Press Ctrl-C to stop the company and everything it started.", flush=True)
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        print("auditpack demo: stopping...", file=sys.stderr, flush=True)
    return 0


def _files_into(config_text: str, folder: Path) -> str:
    """Copy the key, known_hosts and CA files the configuration names into ``folder`` and
    name them relative to it: the served configuration is one self-contained folder."""
    import re
    import shutil

    def copy(match: re.Match[str]) -> str:
        key, source = match.group(1), Path(match.group(2))
        if not source.is_file() or source.parent == folder:
            return match.group(0)
        target = folder / f"{key.replace('_', '-')}-{source.name}"
        shutil.copyfile(source, target)
        target.chmod(0o600 if key == "key_file" else 0o644)
        return f'{key} = "{target.name}"'

    return re.sub(r'^(key_file|known_hosts|ca_bundle) = "([^"]+)"$', copy, config_text, flags=re.M)


def _serve_folder(path: Path) -> Path:
    from .errors import PackError

    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise PackError(f"{path} exists and is not an empty folder: --serve needs a new or empty folder")
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def run_demo(args: argparse.Namespace) -> int:
    import tomllib

    from .config import validate_config
    from .pack import preflight
    from .progress import RichProgress, progress_sink, run_summary
    from .registry import default_registry
    from .runner import execute, write

    serve = Path(args.serve) if getattr(args, "serve", None) else None
    out = Path(args.out) if args.out else None
    if out is not None:
        preflight(out, args.replace)
    folder = _serve_folder(serve) if serve is not None else None
    signer = None
    if getattr(args, "sign_key", None):
        from .signing import signer as load_signer

        signer = load_signer(args.sign_key)  # a bad key stops the demo before anything starts
    now = utc_now()
    parts = DemoParts()
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="auditpack-demo-") as tmp:
        work = folder or Path(tmp)
        stack.enter_context(mock.patch.dict(os.environ, {}))  # every variable the demo sets is undone
        print("auditpack demo: starting the emulated company (no accounts, no network)...", file=sys.stderr, flush=True)
        start_company(stack, parts, work, now)
        if folder is not None:
            return _serve(args, stack, parts, folder, now)
        assert out is not None
        config_text = demo_config(parts)
        (work / "demo-config.toml").write_text(config_text)
        registry = default_registry()
        config = validate_config(tomllib.loads(config_text), registry, "demo-config.toml", str(work))
        # the emulators' tokens and passphrases reach the collectors through the environment
        # the engine is given, not os.environ (only AWS's fake identity is there: boto3 reads
        # its credential chain from the process)
        environ = {**os.environ, **parts.environ}
        sink = progress_sink(args.quiet)
        if isinstance(sink, RichProgress):
            with sink:
                result = execute(config, registry, progress=sink, environ=environ)
        else:
            result = execute(config, registry, progress=sink, environ=environ)
        tsa_ca = None
        if signer is not None:
            signer, tsa_ca = _demo_time_stamping(stack, signer, out, parts)
        pack = write(result, out, replace=args.replace, sign=signer, environ=environ)
    for note in parts.notes:
        print(f"auditpack demo: {note}")
    for skipped in parts.skipped:
        print(f"auditpack demo: skipped {skipped}")
    print(f"auditpack: pack written to {pack}")
    print(f"auditpack: {run_summary(result)}")
    for problem in result.pack_problems:
        print(f"auditpack: incomplete: {problem}", file=sys.stderr)
    if signer is not None:
        check = f"auditpack verify {pack} --public-key PUBLIC-KEY.pem"
        print(f"auditpack demo: signed (in-toto/DSSE){' and time-stamped' if tsa_ca else ''}; check it with: "
              f"{check}{f' --tsa-cert {tsa_ca}' if tsa_ca else ''}")
    print(f"auditpack demo: open {pack / 'report.html'} — the demo company fails some checks on purpose "
          "(data outside the EEA, an unencrypted volume, a database that accepts plain connections, a stale "
          "backup, TLS 1.0, an unlisted sub-processor, an out-of-date penetration test).")
    return 0


def _demo_time_stamping(stack: contextlib.ExitStack, signer: PackSigner, out: Path,
                        parts: DemoParts) -> tuple[PackSigner, Path | None]:
    """An emulated RFC 3161 TSA (OpenSSL's ``ts``) for the demo's signed pack; its CA, the
    trust anchor an auditor would be given, is written beside the pack."""
    from dataclasses import replace

    from .emulators.tsa import LocalTsa, openssl_available

    if not openssl_available():
        parts.skipped.append("trusted time-stamp: the openssl command is not installed")
        return signer, None
    tsa = stack.enter_context(LocalTsa())
    ca = out.resolve().parent / f"{out.resolve().name}-tsa-ca.pem"
    ca.write_bytes(tsa.ca_pem_path.read_bytes())
    return replace(signer, tsa_url=tsa.url), ca


class SkipPart(Exception):
    """A part of the demo that cannot run on this machine (the message says why)."""
