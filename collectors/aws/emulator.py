"""What moto (5.x) lacks for the AWS collector's reads, added to moto itself.

moto does not implement ``CreateBackupSelection``, ``ListBackupSelections``,
``GetBackupSelection`` or ``ListProtectedResources``, so against plain moto those facts are
``error`` (``not_implemented``). For the demo and the tests, :func:`install` teaches moto
these four operations in the documented response shapes (the collector's boto3 code and
botocore's parsing run unchanged), and :func:`add_protected_resource` records the newest
backup of a resource (moto runs no backup jobs). It also teaches moto Redshift's
``ModifyClusterParameterGroup`` (so ``DescribeClusterParameters`` can report a changed
``require_ssl``) and to answer ``DescribeDBClusterParameters`` for Aurora's default groups.

Works for in-process ``mock_aws`` and for ``ThreadedMotoServer`` in the same process, as
long as :func:`install` runs before the server answers its first AWS Backup request.
Not used by the collector: only emulation code imports moto.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

_INSTALLED = False
_PLAN_PATH = re.compile(r"/backup/plans/(?P<plan>[^/]+)/selections/?(?P<selection>[^/?]*)")


def install() -> None:
    """Add the operations above to moto's emulation (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.backup import urls
    from moto.backup.responses import BackupResponse

    urls.url_paths.setdefault("{0}/resources/?$", BackupResponse.dispatch)
    BackupResponse.create_backup_selection = _create_backup_selection  # type: ignore[attr-defined]
    BackupResponse.list_backup_selections = _list_backup_selections  # type: ignore[attr-defined]
    BackupResponse.get_backup_selection = _get_backup_selection  # type: ignore[attr-defined]
    BackupResponse.list_protected_resources = _list_protected_resources  # type: ignore[attr-defined]
    _install_data_stores()
    _INSTALLED = True


def add_protected_resource(resource_arn: str, resource_type: str, last_backup: datetime,
                           account_id: str = "123456789012", region: str | None = None,
                           name: str | None = None) -> None:
    """Record that ``resource_arn`` was last backed up at ``last_backup`` (what
    ListProtectedResources reports); ``region`` defaults to the ARN's region."""
    from moto.backup.models import backup_backends

    region = region or resource_arn.split(":")[3]
    backend = backup_backends[account_id][region]
    _state(backend)["protected"][resource_arn] = {
        "ResourceArn": resource_arn, "ResourceType": resource_type,
        "LastBackupTime": last_backup.astimezone(UTC).timestamp(),
        "ResourceName": name or resource_arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1],
    }


def _state(backend: Any) -> dict[str, dict[str, Any]]:
    # Kept on the backend object, so moto's reset (a new mock) forgets it with everything else.
    state: dict[str, dict[str, Any]] | None = backend.__dict__.get("_auditpack_state")
    if state is None:
        state = {"selections": {}, "protected": {}, "redshift_parameters": {}}
        backend.__dict__["_auditpack_state"] = state
    return state


def _ids(response: Any) -> tuple[str, str]:
    match = _PLAN_PATH.search(response.path)
    if match is None:
        return "", ""
    return match.group("plan"), match.group("selection")


def _create_backup_selection(self: Any) -> str:
    plan_id, _ = _ids(self)
    self.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)  # raises when unknown
    body = json.loads(self.body or "{}")
    selection_id = str(uuid.uuid4())
    created = datetime.now(UTC).timestamp()
    _state(self.backup_backend)["selections"][selection_id] = {
        "SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created,
        "BackupSelection": body.get("BackupSelection") or {}, "CreatorRequestId": body.get("CreatorRequestId"),
    }
    return json.dumps({"SelectionId": selection_id, "BackupPlanId": plan_id, "CreationDate": created})


def _list_backup_selections(self: Any) -> str:
    plan_id, _ = _ids(self)
    items = [{"SelectionId": s["SelectionId"], "SelectionName": s["BackupSelection"].get("SelectionName"),
              "BackupPlanId": plan_id, "CreationDate": s["CreationDate"],
              "IamRoleArn": s["BackupSelection"].get("IamRoleArn")}
             for s in _state(self.backup_backend)["selections"].values() if s["BackupPlanId"] == plan_id]
    return json.dumps({"BackupSelectionsList": items})


def _get_backup_selection(self: Any) -> str:
    plan_id, selection_id = _ids(self)
    found = _state(self.backup_backend)["selections"].get(selection_id)
    if found is None or found["BackupPlanId"] != plan_id:
        from moto.backup.exceptions import ResourceNotFoundException

        raise ResourceNotFoundException(msg=f"Failed reading backup selection {selection_id}")
    return json.dumps({k: v for k, v in found.items() if k != "CreatorRequestId"})


def _list_protected_resources(self: Any) -> str:
    return json.dumps({"Results": list(_state(self.backup_backend)["protected"].values())})


# --- issue 17: what moto lacks for Redshift's require_ssl and Aurora's default groups --------

def _install_data_stores() -> None:
    """Teach moto ModifyClusterParameterGroup (Redshift; the seed's write, so
    DescribeClusterParameters can report a changed ``require_ssl``) and answer
    DescribeDBClusterParameters for a default group it never created (as it does for default
    DB parameter groups: no parameters listed)."""
    from moto.rds.models import RDSBackend
    from moto.redshift.models import RedshiftBackend
    from moto.redshift.responses import RedshiftResponse

    listed = RedshiftBackend.describe_cluster_parameters
    cluster_listed = RDSBackend.describe_db_cluster_parameters

    def describe_cluster_parameters(self: Any, parameter_group_name: str) -> list[dict[str, Any]]:
        changed = _state(self)["redshift_parameters"].get(parameter_group_name, {})
        return [{**p, "ParameterValue": changed[p["ParameterName"]], "Source": "user"}
                if p["ParameterName"] in changed else p for p in listed(self, parameter_group_name)]

    def describe_db_cluster_parameters(self: Any, db_cluster_parameter_group_name: str) -> list[dict[str, Any]]:
        name = db_cluster_parameter_group_name
        if name not in self.db_cluster_parameter_groups and name.startswith("default."):
            return []
        result: list[dict[str, Any]] = cluster_listed(self, name)
        return result

    RedshiftBackend.describe_cluster_parameters = describe_cluster_parameters  # type: ignore[method-assign]
    RDSBackend.describe_db_cluster_parameters = describe_db_cluster_parameters  # type: ignore[method-assign]
    RedshiftResponse.modify_cluster_parameter_group = _modify_cluster_parameter_group  # type: ignore[attr-defined]


def _modify_cluster_parameter_group(self: Any) -> Any:
    from moto.core.responses import ActionResult
    from moto.redshift.exceptions import ClusterParameterGroupNotFoundError

    name = self._get_param("ParameterGroupName")
    if name not in self.redshift_backend.parameter_groups:
        raise ClusterParameterGroupNotFoundError(name)
    changed = _state(self.redshift_backend)["redshift_parameters"].setdefault(name, {})
    for parameter in self._get_param("Parameters", []):
        changed[parameter["ParameterName"]] = parameter["ParameterValue"]
    return ActionResult({"ParameterGroupName": name,
                         "ParameterGroupStatus": "Your parameter group has been updated but changes won't get "
                                                 "applied until you reboot the associated Clusters."})
