"""[aws.organization] against moto's Organizations and its multi-account STS.

The organisation is made the way AWS makes one: accounts created through Organizations,
moved into nested organisational units, one closed (SUSPENDED); resources are created in
the member accounts through roles assumed into them, so moto keeps them per account. The
collector lists the organisation, assumes the role in each selected account and collects
it as a listed account. One member's role is refused (AccessDenied on sts:AssumeRole,
injected at the botocore layer as in test_aws_collector): that account is `error`, the run
is incomplete, and every other account is complete.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.aws import AwsCollector, AwsSettings, emulator, policy
from auditpack.collectors.aws.session import TaskPool
from auditpack.config import Policy, validate_config
from auditpack.engine import evaluate
from auditpack.model import AttemptStatus, Evidence
from auditpack.registry import default_registry
from helpers import checks_from, expect, fake_aws_environment

MANAGEMENT = "123456789012"  # moto's default account: the organisation's management account
ROLE = "auditpack-read-only"
REGIONS = ("eu-central-1", "eu-west-2")
AWS_CHECKS = checks_from("aws")


@pytest.fixture(scope="module")
def aws_env() -> Iterator[None]:
    mp = fake_aws_environment("eu-central-1")
    yield
    mp.undo()


def member_session(account: str) -> boto3.Session:
    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                            RoleSessionName="seed")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"])


def bucket(session: boto3.Session, name: str, region: str) -> None:
    session.client("s3", region_name=region).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})


class Calls:
    """Every call of every session the collector makes; AssumeRole into ``refused`` is denied."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.made: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, session: boto3.Session) -> None:
        from auditpack.collectors.aws.session import call_key

        def before_call(model: Any, params: dict[str, Any], **_: Any) -> Any:
            with self._lock:
                self.made.append((call_key(model.service_model), model.name))
            body = params.get("body") or {}
            role = str(body.get("RoleArn", "")) if isinstance(body, dict) else ""
            if model.name == "AssumeRole" and any(f"::{a}:" in role for a in self.refused):
                xml = b"<Error><Code>AccessDenied</Code><Message>not authorized to assume the role</Message></Error>"
                http = AWSResponse("https://sts.invalid/", 403, {}, _Raw(xml))
                return http, {"Error": {"Code": "AccessDenied", "Message": "not authorized to assume the role"},
                              "ResponseMetadata": {"HTTPStatusCode": 403, "RetryAttempts": 0}}
            return None

        session.events.register("before-call", before_call)


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def collect(org: dict[str, Any], calls: Calls | None = None, **overrides: Any) -> list[Evidence]:
    settings = AwsSettings.model_validate({"regions": REGIONS, "max_workers": 8, "max_workers_per_account": 3,
                                           "max_attempts": 1, "organization": org, **overrides})
    ctx = CollectContext("aws", "test", datetime.now(UTC))
    AwsCollector(settings, session_hook=calls).collect(ctx)
    return ctx.close()


@pytest.fixture(scope="module")
def org(aws_env: None) -> Iterator[dict[str, str]]:
    """management + prod-a (OU prod/eu, nested) + prod-b (OU prod) + sandbox (root) +
    closed (SUSPENDED) + broken (its role refuses the audit principal)."""
    from moto import mock_aws

    emulator.install()
    with mock_aws():
        client = boto3.client("organizations", region_name="us-east-1")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        prod = client.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
        eu = client.create_organizational_unit(ParentId=prod, Name="eu")["OrganizationalUnit"]["Id"]
        ids = {"root": root, "prod": prod, "eu": eu}
        for name, parent in (("prod-a", eu), ("prod-b", prod), ("sandbox", root), ("closed", root),
                             ("broken", root)):
            account = client.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"][
                "AccountId"]
            if parent != root:
                client.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
            ids[name] = account
        client.close_account(AccountId=ids["closed"])
        bucket(member_session(ids["prod-a"]), "prod-a-london", "eu-west-2")
        bucket(member_session(ids["prod-b"]), "prod-b-frankfurt", "eu-central-1")
        yield ids


def by_kind(evidence: list[Evidence], kind: str) -> dict[str, Evidence]:
    return {ev.resource.id: ev for ev in evidence if ev.kind == kind}


@pytest.fixture(scope="module")
def first_run(org: dict[str, str]) -> tuple[list[Evidence], Calls]:
    calls = Calls(refused={org["broken"]})
    return collect({"role_name": ROLE, "exclude": [org["sandbox"]]}, calls), calls


def test_every_active_account_is_collected_and_every_other_is_accounted_for(
        org: dict[str, str], first_run: tuple[list[Evidence], Calls]) -> None:
    evidence = first_run[0]
    reached = {ev.record.account_id: ev.record for ev in evidence if ev.kind == "aws.account" and ev.ok}
    assert set(reached) == {MANAGEMENT, org["prod-a"], org["prod-b"]}
    assert reached[org["prod-a"]].reached_by == f"organization role arn:aws:iam::{org['prod-a']}:role/{ROLE}"

    members = by_kind(evidence, "aws.organization_account")
    assert {k: str(v.status) for k, v in members.items()} == {
        MANAGEMENT: "skipped", org["prod-a"]: "collected", org["prod-b"]: "collected",
        org["sandbox"]: "skipped", org["closed"]: "skipped", org["broken"]: "error"}
    assert members[MANAGEMENT].error == "collected with the default credential chain"
    assert members[org["sandbox"]].error == "excluded by [aws.organization] exclude"
    assert members[org["closed"]].error == "status SUSPENDED (include_suspended = false)"
    assert "AccessDenied" in (members[org["broken"]].error or "")

    [listing] = [ev for ev in evidence if ev.kind == "aws.organization"]
    assert listing.ok and set(listing.record.account_ids) == {MANAGEMENT, *(org[n] for n in (
        "prod-a", "prod-b", "sandbox", "closed", "broken"))}
    assert set(listing.record.selected) == {org["prod-a"], org["prod-b"], org["broken"]}

    # the refused account: every fact about it is an error; no other account has one
    errors = {(ev.resource.scope, ev.kind) for ev in evidence if ev.status is AttemptStatus.ERROR}
    assert {scope for scope, _ in errors} == {org["broken"]}
    assert (org["broken"], "provider.use") in errors and (org["broken"], "aws.s3_bucket") in errors

    # the member accounts' own resources, each in its own scope
    buckets = {ev.resource.name: ev.resource.scope for ev in evidence if ev.kind == "aws.s3_bucket" and ev.ok}
    assert buckets == {"prod-a-london": org["prod-a"], "prod-b-frankfurt": org["prod-b"]}
    findings = evaluate(evidence, AWS_CHECKS, Policy(), datetime.now(UTC), load_catalogs())
    expect(findings, "eea_residency_aws_resource_in_allowed_region", "fail", "prod-a-london")
    expect(findings, "eea_residency_aws_resource_in_allowed_region", "pass", "prod-b-frankfurt")


def test_an_ou_in_include_covers_its_nested_ous_and_an_account_added_later(org: dict[str, str]) -> None:
    # written before the next account exists; a suspended account is tried when asked for
    settings = {"role_name": ROLE, "include": [org["prod"], org["closed"]], "include_suspended": True}
    client = boto3.client("organizations", region_name="us-east-1")
    later = client.create_account(AccountName="prod-later", Email="later@example.com")["CreateAccountStatus"][
        "AccountId"]
    client.move_account(AccountId=later, SourceParentId=org["root"], DestinationParentId=org["eu"])
    try:
        evidence = collect(settings, use_default_credentials=False)
        members = by_kind(evidence, "aws.organization_account")
        collected = {k for k, v in members.items() if v.ok}
        assert collected == {org["prod-a"], org["prod-b"], later, org["closed"]}
        assert members[org["closed"]].record.status == "SUSPENDED"
        assert members[org["sandbox"]].error == "not in [aws.organization] include"
        assert members[MANAGEMENT].error == "not in [aws.organization] include"
        assert not [ev for ev in evidence if ev.status is AttemptStatus.ERROR]
    finally:
        client.close_account(AccountId=later)


def test_an_organisation_that_cannot_be_listed_is_an_error_not_an_empty_estate(org: dict[str, str]) -> None:
    calls = Calls(refused=set())

    def deny_listing(session: boto3.Session) -> None:
        calls(session)

        def deny(model: Any, **_: Any) -> Any:
            if model.name == "ListAccounts":
                xml = b"<Error><Code>AccessDeniedException</Code><Message>no</Message></Error>"
                return AWSResponse("https://o.invalid/", 400, {}, _Raw(xml)), {
                    "Error": {"Code": "AccessDeniedException", "Message": "You don't have permissions"},
                    "ResponseMetadata": {"HTTPStatusCode": 400, "RetryAttempts": 0}}
            return None

        session.events.register("before-call", deny)

    settings = AwsSettings.model_validate({"regions": REGIONS, "max_attempts": 1, "organization": {"role_name": ROLE}})
    ctx = CollectContext("aws", "test", datetime.now(UTC))
    AwsCollector(settings, session_hook=deny_listing).collect(ctx)
    evidence = ctx.close()
    [listing] = [ev for ev in evidence if ev.kind == "aws.organization"]
    assert listing.status is AttemptStatus.ERROR and listing.reason == "permission_denied"
    assert "could not be listed" in (listing.error or "")
    assert any(ev.kind == "aws.account" and ev.ok and ev.record.account_id == MANAGEMENT for ev in evidence)


def test_every_call_is_declared_and_organisation_reads_are_in_the_caller_policy(
        org: dict[str, str], first_run: tuple[list[Evidence], Calls]) -> None:
    calls = Calls(refused=set())
    collect({"role_name": ROLE, "include": [org["eu"]]}, calls, regions=["eu-west-2"], use_default_credentials=False)
    made = set(calls.made) | set(first_run[1].made)
    assert {("organizations", "ListAccounts"), ("organizations", "ListAccountsForParent"),
            ("organizations", "ListOrganizationalUnitsForParent"), ("sts", "AssumeRole")} <= made
    audit_role = set(json.loads(policy.POLICY_FILE.read_text())["Statement"][0]["Action"])
    caller = {a for s in json.loads(policy.CALLER_POLICY_FILE.read_text())["Statement"] for a in s["Action"]}
    for service, operation in made:
        action = policy.action_for(service, operation)
        assert action is not None, f"{service}:{operation} is called but not declared"
        assert policy.is_read_only(action)
        assert action in (caller if action in policy.CALLER_ONLY else audit_role), action
    assert caller == set(policy.CALLER_ONLY)
    assert not audit_role & policy.ORGANIZATION_ACTIONS  # member roles need no organisation rights


def test_a_run_with_a_refused_member_role_is_incomplete_and_the_cover_says_why(
        org: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditpack import runner

    monkeypatch.setenv("AUDITPACK_HISTORY", str(tmp_path / "history.sqlite"))
    registry = default_registry()
    config = validate_config({"history": {"enabled": False}, "aws": {
        "regions": list(REGIONS), "max_attempts": 1,
        "organization": {"role_name": "no-such-role-anywhere", "exclude": [org["sandbox"]]}}}, registry)
    calls = Calls(refused={org["prod-b"]})
    original = AwsCollector.__init__

    def with_hook(self: AwsCollector, settings: Any, session_hook: Any = None, **kw: Any) -> None:
        original(self, settings, session_hook=calls, **kw)

    monkeypatch.setattr(AwsCollector, "__init__", with_hook)
    result = runner.execute(config, registry)
    assert result.exit_code == runner.EXIT_INCOMPLETE
    pack = runner.write(result, tmp_path / "pack")
    html = (pack / "report.html").read_text()
    assert "AWS organisation accounts" in html and org["prod-b"] in html
    assert f"{org['sandbox']} (excluded by [aws.organization] exclude)" in html
    assert f"{org['closed']} (status SUSPENDED (include_suspended = false))" in html


def test_the_pool_bounds_calls_per_account_and_serves_the_oldest_accounts_first() -> None:
    running: dict[str, int] = {}
    peak: dict[str, int] = {}
    cond = threading.Condition()
    release = threading.Event()
    seen_together: list[set[str]] = []

    def task(key: str) -> None:
        with cond:
            running[key] = running.get(key, 0) + 1
            peak[key] = max(peak.get(key, 0), running[key])
            if sum(running.values()) == 6 and not seen_together:
                seen_together.append({k for k, n in running.items() if n})
            cond.notify_all()
        release.wait(10)
        with cond:
            running[key] -= 1

    pool = TaskPool(6, per_key=2)
    for key in ("a", "b", "c", "d"):
        for _ in range(8):
            pool.submit(task, key, key=key)
    with cond:  # six workers busy at once can only be three accounts at two calls each: the first three
        assert cond.wait_for(lambda: bool(seen_together), timeout=10)
    release.set()
    pool.join()
    assert max(peak.values()) == 2 and seen_together[0] == {"a", "b", "c"}
    assert sum(running.values()) == 0


def test_the_pool_opens_at_most_max_keys_accounts_and_keeps_its_workers_busy() -> None:
    """An account is open from its first task until it is done (on_idle: its clients closed);
    at most ``max_keys`` are, yet every worker is used, and tasks of no account never wait."""
    lock = threading.Condition()
    open_keys: set[object] = set()
    most_open = running = most_running = 0
    ran: list[object] = []

    def task(key: object) -> None:
        nonlocal most_open, running, most_running
        with lock:
            if key is not None:
                open_keys.add(key)
                most_open = max(most_open, len(open_keys))
            running += 1
            most_running = max(most_running, running)
            ran.append(key)
            lock.notify_all()
            lock.wait_for(lambda: most_running == 4, timeout=10)  # the first four meet: the pool is full
        with lock:
            running -= 1

    def closed(key: object) -> None:
        with lock:
            open_keys.discard(key)

    pool = TaskPool(4, per_key=2, on_idle=closed, max_keys=3)
    for key in "abcdef":
        for _ in range(5):
            pool.submit(task, key, key=key)
    for _ in range(3):
        pool.submit(task, None)
    pool.join()
    assert most_running == 4 and most_open <= 3 and not pool.unexpected
    assert sorted(str(k) for k in ran) == sorted([*"abcdef" * 5, "None", "None", "None"])


def test_an_account_beyond_max_keys_waits_until_an_open_one_is_done() -> None:
    import time

    lock = threading.Condition()
    started: list[object] = []
    release = threading.Event()

    def task(key: object) -> None:
        with lock:
            started.append(key)
            lock.notify_all()
        release.wait(10)

    pool = TaskPool(4, per_key=1, max_keys=2)  # workers to spare, but two accounts at a time
    for key in ("a", "b", "c", None):
        pool.submit(task, key, key=key)
    with lock:
        assert lock.wait_for(lambda: len(started) == 3, timeout=10)
    time.sleep(0.2)  # a worker is free: were c allowed, it would have started by now
    assert sorted(map(str, started)) == ["None", "a", "b"]
    release.set()
    pool.join()
    assert sorted(map(str, started)) == ["None", "a", "b", "c"] and not pool.unexpected


def test_the_pool_says_when_an_account_is_done_even_when_its_tasks_queue_more() -> None:
    done: list[str] = []
    order: list[str] = []
    lock = threading.Lock()
    pool = TaskPool(3, per_key=1)

    def listing(key: str, depth: int) -> None:  # a listing that queues per-resource reads of its account
        with lock:
            order.append(key)
            assert key not in done, f"{key} reported done while it still had work"
        if depth:
            for _ in range(2):
                pool.submit(listing, key, depth - 1, key=key)

    def finished(key: object) -> None:
        with lock:
            done.append(str(key))

    pool.on_idle = finished
    for key in ("a", "b"):
        pool.submit(listing, key, 3, key=key)
    pool.join()
    assert sorted(done) == ["a", "b"]  # once each, after the last of its 15 tasks (the assert in listing)
    assert order.count("a") == order.count("b") == 15 and not pool.unexpected


def test_member_accounts_share_the_service_models_and_close_their_clients_when_read(
        org: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from auditpack.collectors.aws import session as aws_session

    loaders: list[Any] = []
    original_assumed = aws_session.assumed_session

    def assumed(*args: Any, **kw: Any) -> boto3.Session:
        got = original_assumed(*args, **kw)
        loaders.append(got._session.get_component("data_loader"))
        return got

    events: list[tuple[str, int, int]] = []  # (what, account, open clients of that account)
    lock = threading.Lock()
    original_client = aws_session.Account.client
    original_reset = aws_session.Account.reset_clients

    def client(self: aws_session.Account, service: str, region: str | None = None) -> Any:
        made = original_client(self, service, region)
        with lock:
            events.append(("use", id(self), len(self._clients)))
        return made

    def reset(self: aws_session.Account) -> None:
        original_reset(self)
        with lock:
            events.append(("closed", id(self), len(self._clients)))

    monkeypatch.setattr("auditpack.collectors.aws.collector.assumed_session", assumed)
    monkeypatch.setattr(aws_session.Account, "client", client)
    monkeypatch.setattr(aws_session.Account, "reset_clients", reset)
    evidence = collect({"role_name": ROLE, "exclude": [org["sandbox"]]}, Calls(refused={org["broken"]}),
                       max_workers=2, max_workers_per_account=1)
    reached = {ev.record.account_id for ev in evidence if ev.kind == "aws.account" and ev.ok}
    assert reached == {MANAGEMENT, org["prod-a"], org["prod-b"]}
    # every assumed role reads the API descriptions through the first session's loader
    assert len(loaders) == 2 and loaders[0] is loaders[1]  # prod-a, prod-b (broken is refused)
    # every account that made clients closed them after its last use, and none is left open
    accounts = {acct for what, acct, _ in events if what == "use"}
    for acct in accounts:
        last_use = max(i for i, (what, a, _) in enumerate(events) if a == acct and what == "use")
        assert any(what == "closed" and a == acct and n == 0 for what, a, n in events[last_use:]), acct
    # one account at a time (two workers, one per account): an account is closed before the last one starts
    first_closed = next(i for i, (what, a, _) in enumerate(events) if what == "closed"
                        and any(w == "use" and b == a for w, b, _ in events[:i]))
    started_later = {a for what, a, _ in events[first_closed:] if what == "use"} - {
        a for what, a, _ in events[:first_closed] if what == "use"}
    assert started_later, "every account was open at once"
