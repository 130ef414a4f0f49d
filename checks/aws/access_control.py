"""Access control: the root user, IAM users, access keys, the password policy, S3 public access."""

from __future__ import annotations

from collections.abc import Iterator

from auditpack.checks import CheckContext, SomeEvidence, Verdict, check, errored, failed, passed
from auditpack.evidence.aws import (
    IamAccountSummary,
    IamCredentialReport,
    IamPasswordPolicy,
    IamUserCredentials,
    S3AccountPublicAccessBlock,
    S3BucketPublicAccessBlock,
)
from auditpack.model import Basis, Measure, Resource, Severity

from .common import parse_time

M = Measure


@check(basis=Basis.OBSERVED, title="The root user has MFA", measure=M.ACCESS_CONTROL, needs=(IamAccountSummary,),
       severity=Severity.CRITICAL, remediation="Enable MFA (preferably a hardware key) on the root user.")
def access_control_iam_root_mfa_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(IamAccountSummary):
        if ev.fact.root_mfa_enabled:
            yield passed(ev, f"The root user of account {ev.resource.scope} has MFA enabled.")
        else:
            yield failed(ev, f"The root user of account {ev.resource.scope} has no MFA.")


@check(basis=Basis.OBSERVED,
       title="The root user has no access keys", measure=M.ACCESS_CONTROL, needs=(IamAccountSummary,),
       severity=Severity.CRITICAL, remediation="Delete the root user's access keys; use IAM roles instead.")
def access_control_iam_root_access_keys_absent(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(IamAccountSummary):
        if ev.fact.root_access_keys_present:
            yield failed(ev, f"The root user of account {ev.resource.scope} has access keys.")
        else:
            yield passed(ev, f"The root user of account {ev.resource.scope} has no access keys.")


def _user(ev: SomeEvidence, user: IamUserCredentials) -> Resource:
    return Resource(provider="aws", type="iam_user", id=user.arn or user.user, name=user.user, location="global",
                    scope=ev.resource.scope)


@check(basis=Basis.OBSERVED, title="IAM users with a console password have MFA", measure=M.ACCESS_CONTROL,
       needs=(IamCredentialReport,), severity=Severity.HIGH,
       remediation="Require MFA for the user (or remove the console password); prefer SSO (IAM Identity Center).")
def access_control_iam_user_mfa_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev in ctx.evidence.of(IamCredentialReport):
        for user in ev.fact.users:
            if not user.password_enabled:
                continue
            res = _user(ev, user)
            if user.mfa_active:
                yield passed(res, f"IAM user {user.user} signs in to the console with MFA.", evidence=(ev,))
            else:
                yield failed(res, f"IAM user {user.user} has a console password and no MFA.", evidence=(ev,))


@check(basis=Basis.OBSERVED,
       title="Active access keys are rotated", measure=M.ACCESS_CONTROL, needs=(IamCredentialReport,),
       severity=Severity.MEDIUM,
       remediation="Create a new access key, switch the application to it, deactivate and delete the old one.")
def access_control_iam_access_key_rotated(ctx: CheckContext) -> Iterator[Verdict]:
    limit = ctx.policy.access_key_max_age_days
    for ev in ctx.evidence.of(IamCredentialReport):
        for user in ev.fact.users:
            active = [k for k in user.access_keys if k.active]
            if not active:
                continue
            res = _user(ev, user)
            ages = []
            for key in active:
                moment = parse_time(key.last_rotated)
                if moment is None:
                    break
                ages.append((key.slot, (ctx.now - moment).total_seconds() / 86400))
            else:
                old = [f"key {slot}: {age:.0f} days" for slot, age in ages if age > limit]
                if old:
                    yield failed(res, f"IAM user {user.user} has active access keys older than {limit} days "
                                      f"({', '.join(old)}).", evidence=(ev,))
                else:
                    yield passed(res, f"IAM user {user.user}'s active access keys are at most {limit} days old.",
                                 evidence=(ev,))
                continue
            yield errored(res, f"IAM user {user.user} has an active access key without a rotation date.",
                          evidence=(ev,))


PASSWORD_MIN_LENGTH = 14  # CIS AWS Foundations Benchmark


@check(basis=Basis.OBSERVED,
       title="The IAM password policy is strong", measure=M.ACCESS_CONTROL, needs=(IamPasswordPolicy,),
       severity=Severity.MEDIUM,
       remediation=f"Set an account password policy with a minimum length of {PASSWORD_MIN_LENGTH} and reuse "
                   "prevention (or disable IAM user passwords in favour of SSO).")
def access_control_iam_password_policy_strong(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(IamPasswordPolicy):
        account = ev.resource.scope
        if not rec.present:
            yield failed(ev, f"Account {account} has no IAM password policy (AWS defaults: 8 characters).")
        elif (rec.minimum_length or 0) < PASSWORD_MIN_LENGTH:
            yield failed(ev, f"Account {account}'s password policy requires only {rec.minimum_length} characters "
                             f"(at least {PASSWORD_MIN_LENGTH} expected).")
        else:
            yield passed(ev, f"Account {account}'s password policy requires at least {rec.minimum_length} characters.")


@check(basis=Basis.OBSERVED,
       title="S3 buckets block public access", measure=M.ACCESS_CONTROL, needs=(S3BucketPublicAccessBlock,),
       optional=(S3AccountPublicAccessBlock,), severity=Severity.HIGH,
       remediation="Turn on all four Block Public Access settings on the bucket or for the whole account.")
def access_control_s3_bucket_public_access_blocked(ctx: CheckContext) -> Iterator[Verdict]:
    accounts = {ev.resource.scope: ev for ev in ctx.evidence.of(S3AccountPublicAccessBlock)}
    for ev in ctx.evidence.of(S3BucketPublicAccessBlock):
        name = ev.resource.name
        account = accounts.get(ev.resource.scope)
        if ev.fact.settings.complete:
            yield passed(ev, f"S3 bucket {name} blocks all public access.")
        elif account is not None and account.fact.settings.complete:
            yield passed(ev, f"S3 bucket {name} is covered by its account's Block Public Access settings.",
                         evidence=(account,))
        elif account is None:
            yield errored(ev, f"S3 bucket {name} does not block all public access itself and its account's Block "
                              "Public Access settings could not be read.")
        else:
            yield failed(ev, f"S3 bucket {name} does not block public access (neither the bucket nor the account "
                             "has all four Block Public Access settings on).", evidence=(account,))
