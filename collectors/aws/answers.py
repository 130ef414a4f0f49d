"""Is this answer the API's answer? A check of every AWS response against the shape botocore's
service model documents, run on every client (``after-call``) before a reader sees it.

A 200 that is not the API's answer must never read as "nothing there": a corporate proxy's
HTML error page parses (as XML) into an empty result, and the region would look like it has
no volumes and no security groups. Each read whose answer fails here raises
:class:`InvalidResponse`, which the collector turns into ``error`` evidence for that read
only (reason ``invalid_response``). What is checked, generically:

* the body is not an HTML document, and not empty when the operation answers with one;
* the members the model marks as required, plus :data:`ALWAYS_ANSWERED` (members AWS always
  sends although the model does not say so), are present;
* every value has the JSON type of its shape (structure, list, map, string, number, boolean).

The paginator's result key is checked page by page in ``services.Run.paginate``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

#: (signing name, operation) -> members the real API always returns. An answer without them
#: is not the API's answer (an empty 200 would otherwise read as "not logging", "no PITR").
ALWAYS_ANSWERED: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("cloudtrail", "GetTrailStatus"): ("IsLogging",),
    ("cloudtrail", "DescribeTrails"): ("trailList",),
    ("dynamodb", "DescribeContinuousBackups"): ("ContinuousBackupsDescription",),
    ("dynamodb", "DescribeTable"): ("Table",),
    ("ec2", "GetEbsEncryptionByDefault"): ("EbsEncryptionByDefault",),
    ("ec2", "DescribeImages"): ("Images",),
}
#: (signing name, operation) -> the identifier of every listed item, which the API always
#: sends although the model does not mark it required (``List[].Member``; nested lists
#: allowed). A volume without ``VolumeId`` is not the API's answer: the read is an error,
#: not a crash of the whole collector and not a resource without a name.
ITEM_IDENTIFIERS: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("ec2", "DescribeInstances"): ("Reservations[].Instances[].InstanceId",),
    ("ec2", "DescribeImages"): ("Images[].ImageId",),
    ("ec2", "DescribeVolumes"): ("Volumes[].VolumeId",),
    ("ec2", "DescribeSnapshots"): ("Snapshots[].SnapshotId",),
    ("ec2", "DescribeVpcs"): ("Vpcs[].VpcId",),
    ("ec2", "DescribeSecurityGroups"): ("SecurityGroups[].GroupId",),
    ("ec2", "DescribeRegions"): ("Regions[].RegionName",),
    ("elasticfilesystem", "DescribeFileSystems"): ("FileSystems[].FileSystemId",),
    ("elasticloadbalancing", "DescribeLoadBalancers"): ("LoadBalancers[].LoadBalancerArn",),
    ("elasticloadbalancing", "DescribeListeners"): ("Listeners[].ListenerArn",),
    ("kms", "ListKeys"): ("Keys[].KeyArn", "Keys[].KeyId"),
    ("rds", "DescribeDBInstances"): ("DBInstances[].DBInstanceIdentifier",),
    ("rds", "DescribeDBClusters"): ("DBClusters[].DBClusterIdentifier",),
    ("s3", "ListBuckets"): ("Buckets[].Name",),
    ("cloudfront", "ListDistributions"): ("DistributionList.Items[].Id",),
    ("backup", "ListBackupPlans"): ("BackupPlansList[].BackupPlanArn", "BackupPlansList[].BackupPlanId"),
    ("backup", "ListBackupSelections"): ("BackupSelectionsList[].SelectionId",),
    ("backup", "ListBackupVaults"): ("BackupVaultList[].BackupVaultArn",),
    ("backup", "ListProtectedResources"): ("Results[].ResourceArn",),
    ("organizations", "ListAccounts"): ("Accounts[].Id",),
    ("organizations", "ListAccountsForParent"): ("Accounts[].Id",),
    ("sts", "GetCallerIdentity"): ("Account",),
}
MAX_DEPTH = 40
# an HTML document (the Content-Type cannot tell: some AWS-compatible endpoints send text/html for JSON)
_HTML_START = re.compile(rb"\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S)


class InvalidResponse(Exception):
    """The endpoint answered, but not with the shape the API documents."""


def _type_problem(shape: Any, value: Any, path: str, depth: int, wire: bool = False) -> str | None:
    """The first value whose type is not its shape's; ``wire``: ``value`` is the JSON body as
    sent (botocore's JSON parser would turn a string where a list belongs into a list of
    characters), with members under their serialised names."""
    if value is None or depth > MAX_DEPTH:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            return f"{path or 'the answer'} is {type(value).__name__}, not an object"
        for name, member in shape.members.items():
            if wire and member.serialization.get("location"):
                continue  # a header or status code, not in the body
            key = member.serialization.get("name", name) if wire else name
            if key in value:
                problem = _type_problem(member, value[key], f"{path}.{name}" if path else name, depth + 1, wire)
                if problem:
                    return problem
        return None
    if kind == "list":
        if not isinstance(value, list):
            return f"{path} is {type(value).__name__}, not a list"
        for i, item in enumerate(value):
            problem = _type_problem(shape.member, item, f"{path}[{i}]", depth + 1, wire)
            if problem:
                return problem
        return None
    if kind == "map":
        if not isinstance(value, Mapping):
            return f"{path} is {type(value).__name__}, not a map"
        for key, item in value.items():
            problem = _type_problem(shape.value, item, f"{path}[{key!r}]", depth + 1, wire)
            if problem:
                return problem
        return None
    expected: tuple[type, ...] | None = {
        "string": (str,), "boolean": (bool,), "integer": (int,), "long": (int,),
        "float": (int, float), "double": (int, float), "timestamp": (datetime, str, int, float),
    }.get(kind)
    if expected is None:  # blob, streaming payloads, document: anything goes
        return None
    if not isinstance(value, expected) or (kind in ("integer", "long", "float", "double") and isinstance(value, bool)):
        return f"{path} is {type(value).__name__}, not {kind}"
    return None


def _missing_identifier(value: Any, steps: list[str], path: str) -> str | None:
    """The first place along ``steps`` (``Name`` or ``Name[]``) where an item lacks the member."""
    if not steps or not isinstance(value, Mapping):
        return None
    step, rest = steps[0], steps[1:]
    name = step.removesuffix("[]")
    here = f"{path}.{name}" if path else name
    member = value.get(name)
    if not step.endswith("[]"):
        if member is None:
            return here if not rest else None  # an absent container is the result-key check's to judge
        return _missing_identifier(member, rest, here)
    if not isinstance(member, list):
        return None
    for i, item in enumerate(member):
        if not rest:
            continue
        if isinstance(item, Mapping) and len(rest) == 1 and item.get(rest[0]) in (None, ""):
            return f"{here}[{i}].{rest[0]}"
        problem = _missing_identifier(item, rest, f"{here}[{i}]") if len(rest) > 1 else None
        if problem:
            return problem
    return None


def _has_body_members(shape: Any) -> bool:
    return any(not member.serialization.get("location") for member in shape.members.values())


def answer_problem(model: Any, status: int, headers: Mapping[str, str], body: bytes | None,
                   parsed: Mapping[str, Any]) -> str | None:
    """Why a successful (2xx) answer of operation ``model`` is not the API's answer, or None."""
    if not 200 <= status < 300:
        return None
    if body is not None and _HTML_START.match(body[:512]):
        return f"answered HTTP {status} with an HTML page, not the API's answer"
    shape = model.output_shape
    if shape is None:
        return None
    answer = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
    if body is not None and not body.strip() and not answer and status != 204 and _has_body_members(shape):
        return f"answered HTTP {status} with an empty body where the API always sends one"
    service = str(model.service_model.signing_name)
    required = (*shape.required_members, *ALWAYS_ANSWERED.get((service, model.name), ()))
    missing = [m for m in required if m not in answer]
    if missing:
        return f"the answer lacks {', '.join(missing)}, which the API always returns"
    for identifier in ITEM_IDENTIFIERS.get((service, model.name), ()):
        where = _missing_identifier(answer, identifier.split("."), "")
        if where:
            return f"the answer lacks {where}, which the API always returns for every item"
    protocol = str(model.service_model.protocol)
    if protocol in ("json", "rest-json") and body and body.strip() and not model.has_event_stream_output:
        payload = shape.serialization.get("payload")
        try:
            wire = json.loads(body)
        except ValueError:
            return f"answered HTTP {status} with a body that is not JSON"
        if payload:  # rest-json: the body is one member
            member = shape.members.get(payload)
            return _type_problem(member, wire, payload, 0, wire=True) if member is not None else None
        return _type_problem(shape, wire, "", 0, wire=True)
    return _type_problem(shape, answer, "", 0)


def check_answer(http_response: Any = None, parsed: Any = None, model: Any = None, **_: Any) -> None:
    """botocore ``after-call`` handler: raise :class:`InvalidResponse` for an answer that is
    not the API's answer (registered on every client the collector makes)."""
    if http_response is None or model is None or not isinstance(parsed, Mapping):
        return
    body: bytes | None
    try:
        body = http_response.content if not model.has_streaming_output else None
    except Exception:  # noqa: BLE001 - a streamed body is the reader's to consume
        body = None
    problem = answer_problem(model, int(http_response.status_code), http_response.headers, body, parsed)
    if problem:
        raise InvalidResponse(f"{model.name}: {problem}")


class TooManyPages(InvalidResponse):
    """A listing that did not end within the page bound; ``items`` holds what was read."""

    def __init__(self, message: str, items: list[Any]) -> None:
        super().__init__(message)
        self.items = items
