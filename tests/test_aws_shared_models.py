"""Every account's clients share one service model and client class per service, never
credentials (collectors/aws/shared_models.py), against moto's multi-account STS.

Two member accounts reached the way the collector reaches them (AssumeRole from the
default chain's session): their S3 clients are of one class with one service model, yet
each signs with its own account's credentials, so each sees only its own buckets. A boto3
session the collector did not create keeps botocore's own class and model.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from auditpack.collectors.aws import AwsSettings
from auditpack.collectors.aws.session import Account, assumed_session, new_session
from helpers import fake_aws_environment

ROLE = "auditpack-read-only"


@pytest.fixture()
def org_accounts() -> Iterator[list[str]]:
    from moto import mock_aws

    mp = fake_aws_environment("eu-central-1")
    with mock_aws():
        org = boto3.client("organizations", region_name="us-east-1")
        org.create_organization(FeatureSet="ALL")
        yield [org.create_account(AccountName=f"member-{n}", Email=f"m{n}@example.com")["CreateAccountStatus"][
            "AccountId"] for n in range(2)]
    mp.undo()


def test_accounts_share_models_and_classes_but_not_credentials(org_accounts: list[str]) -> None:
    settings = AwsSettings.model_validate({"regions": ["eu-central-1", "eu-west-2"]})
    base = new_session(settings, None)
    sts = base.client("sts")
    accounts = [Account(session=assumed_session(base, sts, f"arn:aws:iam::{a}:role/{ROLE}", None, "auditpack", None),
                        settings=settings, reached_by="test", account_id=a) for a in org_accounts]
    clients = [acct.client("s3", "eu-central-1") for acct in accounts]
    other_region = accounts[0].client("s3", "eu-west-2")
    ec2 = [acct.client("ec2", "eu-central-1") for acct in accounts]

    assert type(clients[0]) is type(clients[1]) is type(other_region)
    assert clients[0].meta.service_model is clients[1].meta.service_model is other_region.meta.service_model
    assert type(ec2[0]) is type(ec2[1]) and type(ec2[0]) is not type(clients[0])
    assert other_region.meta.region_name == "eu-west-2" and clients[0].meta.region_name == "eu-central-1"
    keys = [c._request_signer._credentials.get_frozen_credentials().access_key for c in clients]
    assert keys[0] != keys[1]  # each account signs with its own role's credentials

    for n, client in enumerate(clients):
        client.create_bucket(Bucket=f"shared-model-{n}",
                             CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    seen = [{b["Name"] for b in client.list_buckets()["Buckets"]} for client in clients]
    assert seen == [{"shared-model-0"}, {"shared-model-1"}]  # moto keeps them per account: no mix-up
    identities = [acct.client("sts").get_caller_identity()["Account"] for acct in accounts]
    assert identities == org_accounts

    unrelated = boto3.Session().client("s3", region_name="eu-central-1")  # not created by the collector
    assert type(unrelated) is not type(clients[0])
    assert unrelated.meta.service_model is not clients[0].meta.service_model
    for acct in accounts:
        acct.reset_clients()
