"""AWS Backup readers: plans, selections, vaults and protected resources."""

from __future__ import annotations

from auditpack.evidence import aws as r
from auditpack.model import Resource

from .run import MISSING, Run, found_arn_regions
from .session import Account, iso


def backup_plans(run: Run, acct: Account, region: str) -> None:
    client = acct.client("backup", region)
    source = "backup:ListBackupPlans"
    for plan in run.region_listing(acct, region, (r.BackupPlan, r.BackupSelection), "backup_plan", source,
                                   lambda: run.paginate(client, "list_backup_plans", "BackupPlansList")) or []:
        res = run.resource(acct, "backup_plan", plan["BackupPlanArn"], plan.get("BackupPlanName"), region)
        run.submit(_backup_plan, run, acct, region, res, plan["BackupPlanId"])
        run.submit(_backup_selections, run, acct, region, res, plan["BackupPlanId"])


def _backup_plan(run: Run, acct: Account, region: str, res: Resource, plan_id: str) -> None:
    source = "backup:GetBackupPlan"
    resp = run.attempt(r.BackupPlan, res, source,
                       lambda: acct.client("backup", region).get_backup_plan(BackupPlanId=plan_id))
    if resp is MISSING:
        return
    plan = resp.get("BackupPlan") or {}
    rules = []
    for rule in plan.get("Rules", []):
        copies = tuple(str(c.get("DestinationBackupVaultArn")) for c in rule.get("CopyActions") or []
                       if c.get("DestinationBackupVaultArn"))
        found_arn_regions(acct, copies)
        rules.append(r.BackupRule(name=str(rule.get("RuleName")), vault=rule.get("TargetBackupVaultName"),
                                  schedule=rule.get("ScheduleExpression"), copy_destinations=copies))
    rec = r.BackupPlan(plan_id=plan_id, name=str(plan.get("BackupPlanName") or res.name), rules=tuple(rules))
    run.ok(rec, res, resp, source)


def _backup_selections(run: Run, acct: Account, region: str, plan: Resource, plan_id: str) -> None:
    client = acct.client("backup", region)
    source = "backup:ListBackupSelections"
    found = run.attempt(r.BackupSelection, plan, source,
                        lambda: run.paginate(client, "list_backup_selections", "BackupSelectionsList",
                                             BackupPlanId=plan_id))
    if found is MISSING:
        return
    run.listed(acct, region, f"backup_selection:{plan_id}", len(found), source)
    for sel in found:
        sid = sel["SelectionId"]
        res = run.resource(acct, "backup_selection", f"{plan.id}/selection/{sid}", sel.get("SelectionName"), region)
        run.submit(_backup_selection, run, acct, region, res, plan_id, sid)


def _backup_selection(run: Run, acct: Account, region: str, res: Resource, plan_id: str, sid: str) -> None:
    source = "backup:GetBackupSelection"
    resp = run.attempt(r.BackupSelection, res, source, lambda: acct.client("backup", region)
                       .get_backup_selection(BackupPlanId=plan_id, SelectionId=sid))
    if resp is MISSING:
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
    for vault in run.region_listing(acct, region, r.BackupVault, "backup_vault", source,
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
    for item in run.region_listing(acct, region, r.BackupProtectedResource, "backup_protected_resource", source,
                                   lambda: run.paginate(client, "list_protected_resources", "Results")) or []:
        arn = str(item["ResourceArn"])
        rtype = item.get("ResourceType")
        rec = r.BackupProtectedResource(resource_arn=arn, resource_type=rtype,
                                        last_backup_time=iso(item.get("LastBackupTime")))
        name = item.get("ResourceName") or arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        res = run.resource(acct, _PROTECTED_TYPES.get(str(rtype), str(rtype or "resource").lower()), arn, name, region)
        run.ok(rec, res, item, source)
