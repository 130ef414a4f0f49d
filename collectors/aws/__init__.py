"""The AWS collector: read-only evidence from every enabled region of every account.

Accounts: the default credential chain (unless ``use_default_credentials = false``) plus
every ``[[aws.accounts]]`` entry, reached with STS AssumeRole. Regions: ``"all"`` means
every region enabled for the account (``ec2:DescribeRegions``), because residency is about
finding what is where nobody expected it. Global services (IAM, CloudFront, the S3
listing) are read once per account.

All reads run in one bounded pool (``max_workers``): listing a region submits one task per
bucket, table, load balancer, trail or key, so the latency of thousands of small calls is
hidden by concurrency. Every call the collector can make is declared in
:mod:`.policy`, which also generates the shipped ``iam-policy.json``.
"""

from __future__ import annotations

from .collector import AwsCollector
from .config import AwsSettings

__all__ = ["AwsCollector", "AwsSettings"]
