"""The state one AWS collection shares across its readers (one module per service).

Every reader runs as a task of the :class:`~.session.TaskPool`. A listing that fails gives
``error`` evidence for its region (resource type ``region``); a per-resource call that fails
gives ``error`` evidence for exactly that resource and fact. A successful listing also
emits an ``aws.listing`` record, so "no snapshot of this volume" is a fact only where the
snapshots of that region were really listed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from auditpack.collectors import CollectContext
from auditpack.evidence import aws as r
from auditpack.model import ErrorReason, EvidenceRecord, Resource

from .answers import InvalidResponse, TooManyPages
from .config import AwsSettings
from .session import EXPECTED_ERRORS, Account, Memo, TaskPool, classify, jsonable

PROVIDER = "aws"
#: Records whose resources have a location: when one fails, the account's locations are incomplete.
LOCATED_RECORDS: frozenset[type[EvidenceRecord]] = frozenset({
    r.S3Bucket, r.Ec2Instance, r.Ec2Image, r.EbsVolume, r.EbsSnapshot, r.RdsInstance,
    r.RdsCluster, r.RdsSnapshot, r.DynamoDbTable, r.EfsFileSystem, r.BackupVault,
    r.ElbLoadBalancer, r.S3BucketReplication, r.BackupPlan, r.CloudTrailTrail, r.ElastiCacheReplicationGroup,
    r.ElastiCacheCluster, r.OpenSearchDomain, r.RedshiftCluster,
})
#: The page size limits of list operations that differ from (5, 1000).
_PAGE_LIMITS = {
    "describe_db_instances": (20, 100), "describe_db_clusters": (20, 100), "describe_db_snapshots": (20, 100),
    "describe_db_cluster_snapshots": (20, 100), "list_tables": (1, 100), "describe_load_balancers": (1, 400),
    "describe_listeners": (1, 400), "list_keys": (1, 1000), "describe_flow_logs": (1, 1000),
    "describe_db_parameters": (20, 100), "describe_db_cluster_parameters": (20, 100),
    "describe_replication_groups": (20, 100), "describe_cache_clusters": (20, 100), "describe_clusters": (20, 100),
    "describe_cluster_parameters": (20, 100),
}
MISSING = object()
#: one record class, or several (a failed listing is a gap for every fact read per listed item)
Records = type[EvidenceRecord] | Sequence[type[EvidenceRecord]]


class Run:
    """The state of one collection: context, pool, settings and the once-only memo."""

    def __init__(self, ctx: CollectContext, settings: AwsSettings, pool: TaskPool,
                 page_size: int | None = None) -> None:
        self.ctx = ctx
        self.settings = settings
        self.page_size = page_size
        self.gaps: dict[str, list[tuple[str, ErrorReason]]] = {}  # account -> what could not be located
        self.pool = pool
        pool.on_idle = self.release
        self.memo = Memo()
        self._accounts: dict[int, Account] = {}  # pool key -> the account whose reads it bounds
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

    def fail(self, kinds: Records, resource: Resource, exc: BaseException, source: str) -> None:
        reason, message = classify(exc)
        for kind in [kinds] if isinstance(kinds, type) else kinds:
            self.ctx.failed(kind, resource, error=message, reason=reason, source=source)
            if kind in LOCATED_RECORDS:
                self.gap(resource.scope, f"{kind.kind} of {resource.name or resource.id} ({reason})", reason)

    def gap(self, account: str | None, what: str, reason: ErrorReason) -> None:
        """Something that has a location could not be read: the account's list of
        locations (provider.use) is incomplete."""
        with self._lock:
            self.gaps.setdefault(account or "", []).append((what, reason))

    def attempt(self, kinds: Records, resource: Resource, source: str, func: Callable[[], Any]) -> Any:
        """``func()``, or ``MISSING`` after emitting error evidence for ``kinds`` about ``resource``."""
        try:
            return func()
        except TooManyPages as exc:  # an error for the listing, and what it read is kept
            self.fail(kinds, resource, exc, source)
            return exc.items
        except EXPECTED_ERRORS as exc:
            self.fail(kinds, resource, exc, source)
            return MISSING

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
        result_keys = [k.expression for k in pages.result_keys]
        for number, page in enumerate(pages, 1):
            if number > self.settings.max_pages:
                raise TooManyPages(f"{operation}: stopped after {self.settings.max_pages} pages, the listing did not "
                                   f"end (a new page token on every answer); {len(items)} item(s) read are kept",
                                   items)
            # a nested result key (DistributionList.Items) is absent when empty; its parent is not
            if result_keys and not any(page.get(k.split(".", 1)[0]) is not None for k in result_keys):
                raise InvalidResponse(f"{operation}: page {number} has no {' or '.join(result_keys)} "
                                      "(the paginator's result key), so it is not the API's answer")
            if callable(key):
                items.extend(key(page))
            else:
                items.extend(page.get(key) or [])
        return items

    def submit(self, func: Callable[..., Any], *args: Any) -> None:
        """Queue a read; its account (the first Account argument) bounds its concurrency."""
        acct = next((a for a in args if isinstance(a, Account)), None)
        if acct is not None:
            with self._lock:
                self._accounts[id(acct)] = acct
        self.pool.submit(func, *args, key=None if acct is None else id(acct))

    def release(self, key: object) -> None:
        """The pool has no more work of this account: close its clients (their service
        models and connection pools are the bulk of a run's memory)."""
        with self._lock:
            acct = self._accounts.pop(key, None) if isinstance(key, int) else None
        if acct is not None:
            acct.reset_clients()

    def region_listing(self, acct: Account, region: str, kind: Records, resource_type: str, source: str,
                       func: Callable[[], list[Any]]) -> list[Any] | None:
        """List a region; on failure, error evidence for the region under ``kind`` (the
        listed kind and every kind read per listed resource: none of them can be read)."""
        try:
            items = func()
        except TooManyPages as exc:  # not listed completely: an error, but what was read is kept
            self.fail(kind, self.region_resource(acct, region), exc, source)
            return list(exc.items)
        except EXPECTED_ERRORS as exc:
            self.fail(kind, self.region_resource(acct, region), exc, source)
            return None
        self.listed(acct, region, resource_type, len(items), source)
        return list(items)




def tag(item: dict[str, Any], key: str) -> str | None:
    for tag in item.get("Tags") or []:
        if tag.get("Key") == key and tag.get("Value"):
            return str(tag["Value"])
    return None


def arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 5 and parts[0] == "arn" else None


def found_arn_regions(acct: Account, arns: Iterable[str]) -> None:
    for arn in arns:
        acct.found(arn_region(arn))
