"""Every AWS API operation the collector calls, and the IAM action that authorises it.

The table is the single source of the collector's declared permissions and of the shipped
least-privilege policy ``iam-policy.json``. A test records every call the collector makes
against moto and fails when one is missing here or is not a read.

    python -m auditpack.collectors.aws.policy          # rewrite iam-policy.json
    python -m auditpack.collectors.aws.policy --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: (signing name of the service, API operation name) -> IAM action.
#: Most actions are "<signing name>:<operation>"; S3 is the exception (see the right column).
OPERATIONS: dict[tuple[str, str], str] = {
    ("sts", "GetCallerIdentity"): "sts:GetCallerIdentity",
    ("sts", "AssumeRole"): "sts:AssumeRole",
    ("ec2", "DescribeRegions"): "ec2:DescribeRegions",
    ("ec2", "DescribeInstances"): "ec2:DescribeInstances",
    ("ec2", "DescribeImages"): "ec2:DescribeImages",
    ("ec2", "DescribeVolumes"): "ec2:DescribeVolumes",
    ("ec2", "DescribeSnapshots"): "ec2:DescribeSnapshots",
    ("ec2", "GetEbsEncryptionByDefault"): "ec2:GetEbsEncryptionByDefault",
    ("ec2", "DescribeVpcs"): "ec2:DescribeVpcs",
    ("ec2", "DescribeFlowLogs"): "ec2:DescribeFlowLogs",
    ("ec2", "DescribeSecurityGroups"): "ec2:DescribeSecurityGroups",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketLocation"): "s3:GetBucketLocation",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketPolicy"): "s3:GetBucketPolicy",
    ("s3", "GetBucketLogging"): "s3:GetBucketLogging",
    ("s3", "GetBucketVersioning"): "s3:GetBucketVersioning",
    ("s3", "GetBucketReplication"): "s3:GetReplicationConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    # s3control's GetPublicAccessBlock (signed as "s3" too, but a different operation model)
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("rds", "DescribeDBInstances"): "rds:DescribeDBInstances",
    ("rds", "DescribeDBClusters"): "rds:DescribeDBClusters",
    ("rds", "DescribeDBSnapshots"): "rds:DescribeDBSnapshots",
    ("rds", "DescribeDBClusterSnapshots"): "rds:DescribeDBClusterSnapshots",
    ("rds", "DescribeDBParameters"): "rds:DescribeDBParameters",
    ("rds", "DescribeDBClusterParameters"): "rds:DescribeDBClusterParameters",
    ("dynamodb", "ListTables"): "dynamodb:ListTables",
    ("dynamodb", "DescribeTable"): "dynamodb:DescribeTable",
    ("dynamodb", "DescribeContinuousBackups"): "dynamodb:DescribeContinuousBackups",
    ("elasticfilesystem", "DescribeFileSystems"): "elasticfilesystem:DescribeFileSystems",
    ("elasticfilesystem", "DescribeFileSystemPolicy"): "elasticfilesystem:DescribeFileSystemPolicy",
    ("elasticache", "DescribeReplicationGroups"): "elasticache:DescribeReplicationGroups",
    ("elasticache", "DescribeCacheClusters"): "elasticache:DescribeCacheClusters",
    ("es", "ListDomainNames"): "es:ListDomainNames",
    ("es", "DescribeDomains"): "es:DescribeDomains",
    ("redshift", "DescribeClusters"): "redshift:DescribeClusters",
    ("redshift", "DescribeClusterParameters"): "redshift:DescribeClusterParameters",
    ("elasticloadbalancing", "DescribeLoadBalancers"): "elasticloadbalancing:DescribeLoadBalancers",
    ("elasticloadbalancing", "DescribeLoadBalancerAttributes"):
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
    ("elasticloadbalancing", "DescribeListeners"): "elasticloadbalancing:DescribeListeners",
    ("elasticloadbalancing", "DescribeSSLPolicies"): "elasticloadbalancing:DescribeSSLPolicies",
    ("cloudfront", "ListDistributions"): "cloudfront:ListDistributions",
    ("cloudfront", "GetDistributionConfig"): "cloudfront:GetDistributionConfig",
    ("cloudtrail", "DescribeTrails"): "cloudtrail:DescribeTrails",
    ("cloudtrail", "GetTrailStatus"): "cloudtrail:GetTrailStatus",
    ("backup", "ListBackupPlans"): "backup:ListBackupPlans",
    ("backup", "GetBackupPlan"): "backup:GetBackupPlan",
    ("backup", "ListBackupSelections"): "backup:ListBackupSelections",
    ("backup", "GetBackupSelection"): "backup:GetBackupSelection",
    ("backup", "ListBackupVaults"): "backup:ListBackupVaults",
    ("backup", "ListProtectedResources"): "backup:ListProtectedResources",
    ("kms", "ListKeys"): "kms:ListKeys",
    ("kms", "DescribeKey"): "kms:DescribeKey",
    ("kms", "GetKeyRotationStatus"): "kms:GetKeyRotationStatus",
    ("iam", "GetAccountSummary"): "iam:GetAccountSummary",
    ("iam", "GenerateCredentialReport"): "iam:GenerateCredentialReport",
    ("iam", "GetCredentialReport"): "iam:GetCredentialReport",
    ("iam", "GetAccountPasswordPolicy"): "iam:GetAccountPasswordPolicy",
    # [aws.organization], from the management or delegated-administrator account only
    ("organizations", "ListAccounts"): "organizations:ListAccounts",
    ("organizations", "ListAccountsForParent"): "organizations:ListAccountsForParent",
    ("organizations", "ListOrganizationalUnitsForParent"): "organizations:ListOrganizationalUnitsForParent",
}

#: Calls that are not List/Get/Describe but are still reads (or needed to reach an account).
NOT_NAMED_AS_READS = frozenset({"sts:AssumeRole", "iam:GenerateCredentialReport"})

#: Granted to the *calling* principal (the management or delegated-administrator account's
#: principal that runs auditpack), not to the audit role in each account.
ORGANIZATION_ACTIONS = frozenset(a for a in OPERATIONS.values() if a.startswith("organizations:"))
CALLER_ONLY = frozenset({"sts:AssumeRole"}) | ORGANIZATION_ACTIONS

#: The member-account role the documentation's templates create (docs/aws.md).
DEFAULT_ROLE_NAME = "auditpack-read-only"

READ_PREFIXES = ("List", "Get", "Describe")

POLICY_FILE = Path(__file__).with_name("iam-policy.json")
CALLER_POLICY_FILE = Path(__file__).with_name("iam-policy-caller.json")


def action_for(service: str, operation: str) -> str | None:
    """The IAM action of a call, or None when the collector is not supposed to make it."""
    return OPERATIONS.get((service, operation))


def is_read_only(action: str) -> bool:
    name = action.split(":", 1)[1]
    return name.startswith(READ_PREFIXES) or action in NOT_NAMED_AS_READS


def declared_actions() -> tuple[str, ...]:
    return tuple(sorted(set(OPERATIONS.values())))


def policy_document() -> dict[str, object]:
    """The least-privilege policy for the audit role: every action the collector calls."""
    actions = [a for a in declared_actions() if a not in CALLER_ONLY]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AuditpackReadOnly",
                "Effect": "Allow",
                "Action": actions,
                "Resource": "*",
            }
        ],
    }


def caller_policy_document() -> dict[str, object]:
    """The policy of the principal that runs auditpack with ``[[aws.accounts]]`` or
    ``[aws.organization]``: list the organisation, assume the audit role in each account."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AuditpackListOrganization",
                "Effect": "Allow",
                "Action": sorted(ORGANIZATION_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "AuditpackAssumeAuditRole",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": f"arn:aws:iam::*:role/{DEFAULT_ROLE_NAME}",
            },
        ],
    }


def policy_text() -> str:
    return json.dumps(policy_document(), indent=2) + "\n"


def caller_policy_text() -> str:
    return json.dumps(caller_policy_document(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    files = ((POLICY_FILE, policy_text()), (CALLER_POLICY_FILE, caller_policy_text()))
    if "--check" in args:
        for path, text in files:
            current = path.read_text() if path.exists() else ""
            if current != text:
                print(f"{path} is out of date: run python -m auditpack.collectors.aws.policy", file=sys.stderr)
                return 1
        return 0
    for path, text in files:
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
