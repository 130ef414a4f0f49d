"""IAM readers: account summary, password policy and the credential report."""

from __future__ import annotations

import csv
import io
import time

from auditpack.evidence import aws as r

from .run import MISSING, Run
from .session import EXPECTED_ERRORS, Account, error_code, iso


def iam_summary(run: Run, acct: Account) -> None:
    source = "iam:GetAccountSummary"
    res = run.account_resource(acct)
    resp = run.attempt(r.IamAccountSummary, res, source, lambda: acct.global_client("iam").get_account_summary())
    if resp is MISSING:
        return
    summary = resp.get("SummaryMap") or {}
    rec = r.IamAccountSummary(root_mfa_enabled=bool(summary.get("AccountMFAEnabled")),
                              root_access_keys_present=bool(summary.get("AccountAccessKeysPresent")),
                              users=summary.get("Users"), mfa_devices_in_use=summary.get("MFADevicesInUse"))
    run.ok(rec, res, resp, source)


def iam_password_policy(run: Run, acct: Account) -> None:
    source = "iam:GetAccountPasswordPolicy"
    res = run.account_resource(acct)
    try:
        resp = acct.global_client("iam").get_account_password_policy()
    except EXPECTED_ERRORS as exc:
        if error_code(exc) != "NoSuchEntity":
            run.fail(r.IamPasswordPolicy, res, exc, source)
            return
        run.ok(r.IamPasswordPolicy(present=False), res, {"Error": {"Code": "NoSuchEntity"}}, source)
        return
    pol = resp.get("PasswordPolicy") or {}
    rec = r.IamPasswordPolicy(present=True, minimum_length=pol.get("MinimumPasswordLength"),
                              require_symbols=bool(pol.get("RequireSymbols")),
                              require_numbers=bool(pol.get("RequireNumbers")),
                              require_uppercase=bool(pol.get("RequireUppercaseCharacters")),
                              require_lowercase=bool(pol.get("RequireLowercaseCharacters")),
                              max_age_days=pol.get("MaxPasswordAge"),
                              reuse_prevention=pol.get("PasswordReusePrevention"))
    run.ok(rec, res, resp, source)


REPORT_WAIT_SECONDS = 60.0


def iam_credential_report(run: Run, acct: Account) -> None:
    res = run.account_resource(acct)
    iam = acct.global_client("iam")
    source = "iam:GenerateCredentialReport"
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    while True:
        state = run.attempt(r.IamCredentialReport, res, source, lambda: iam.generate_credential_report())
        if state is MISSING:
            return
        source = "iam:GetCredentialReport"
        try:
            resp = iam.get_credential_report()
            break
        except EXPECTED_ERRORS as exc:
            if error_code(exc) not in ("ReportInProgress", "ReportNotPresent", "ReportExpired") \
                    or time.monotonic() > deadline:
                run.fail(r.IamCredentialReport, res, exc, source)
                return
        time.sleep(1.0)
        source = "iam:GenerateCredentialReport"
    content = resp.get("Content") or b""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    rows = list(csv.DictReader(io.StringIO(text)))
    users = [_credentials(row) for row in rows]
    root = next((u for u in users if u.user == "<root_account>"), None)
    rec = r.IamCredentialReport(generated=iso(resp.get("GeneratedTime")), root=root,
                                users=tuple(u for u in users if u.user != "<root_account>"))
    run.ok(rec, res, {"GeneratedTime": resp.get("GeneratedTime"), "ReportFormat": resp.get("ReportFormat"),
                      "Rows": rows}, source)


def _credentials(row: dict[str, str]) -> r.IamUserCredentials:
    keys = []
    for slot in (1, 2):
        rotated = row.get(f"access_key_{slot}_last_rotated")
        keys.append(r.AccessKey(slot=slot, active=row.get(f"access_key_{slot}_active") == "true",
                                last_rotated=None if rotated in (None, "", "N/A", "not_supported") else rotated))
    return r.IamUserCredentials(user=row.get("user", ""), arn=row.get("arn", ""),
                                password_enabled=row.get("password_enabled") == "true",
                                mfa_active=row.get("mfa_active") == "true", access_keys=tuple(keys))
