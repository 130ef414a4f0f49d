"""Issue 17: the freshness of ``restic check`` from the records kept about it.

restic itself records nothing about its checks; resticprofile (the common wrapper) writes
a status file with the last check's time and outcome. A real sshd on loopback with a real
restic repository; the status file is written in resticprofile's format (its Go struct:
``{"profiles": {name: {"check": {"success", "time", "error"}}}}``)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.ssh import SshCollector, SshSettings, parse
from auditpack.collectors.ssh.config import BackupTarget
from auditpack.config import Policy
from auditpack.emulators.sshd import LocalSshd, sshd_available
from auditpack.engine import evaluate
from auditpack.evidence.ssh import BackupTest
from auditpack.model import ErrorReason
from helpers import FIXED_NOW, checks_from, expect

OK, WHY = sshd_available("restic")
TESTED = "backup_testing_ssh_backup_tested_recently"
PASS = "correct horse battery staple"


def status(profiles: dict[str, dict[str, object]]) -> str:
    return json.dumps({"profiles": profiles})


def check_entry(days_ago: float, success: bool = True, error: str = "") -> dict[str, object]:
    return {"check": {"success": success, "time": (FIXED_NOW - timedelta(days=days_ago)).isoformat(),
                      "error": error},
            "backup": {"success": True, "time": FIXED_NOW.isoformat(), "error": "",
                       "stderr": "rest:https://user:secret@example.invalid/ unreachable"}}


@pytest.mark.slow
@pytest.mark.skipif(not OK, reason=WHY)
def test_resticprofile_records_give_the_check_freshness(tmp_path: Path) -> None:
    files = {
        "fresh": status({"nightly": check_entry(3)}),
        "stale": status({"nightly": check_entry(60)}),
        "broken": status({"nightly": check_entry(1, success=False, error="repository contains errors")}),
        "two": status({"a": check_entry(1), "b": check_entry(2)}),
    }
    with LocalSshd() as sshd:
        repo = sshd.make_restic_repo("restic", PASS, [FIXED_NOW - timedelta(hours=3)])
        backups = []
        for name, text in files.items():
            Path(sshd.path(f"{name}.status.json")).write_text(text)
            link = Path(sshd.path(f"repo-{name}"))  # one repository, one resource per backup entry
            link.symlink_to(repo)
            backups.append({"kind": "restic", "path": str(link), "name": name, "passphrase_env": "RESTIC_PASS",
                            "status_file": sshd.path(f"{name}.status.json"),
                            **({"status_profile": "b"} if name == "two" else {})})
        Path(sshd.path("repo-missing")).symlink_to(repo)
        backups.append({"kind": "restic", "path": sshd.path("repo-missing"), "name": "missing",
                        "passphrase_env": "RESTIC_PASS", "status_file": sshd.path("nowhere.json")})
        settings = SshSettings.model_validate({"hosts": [sshd.host_config("backup-1", connect_timeout=5,
                                                                          backups=backups)]})
        ctx = CollectContext("ssh", "test", FIXED_NOW, environ={"RESTIC_PASS": PASS})
        SshCollector(settings).collect(ctx)
        evidence = ctx.close()
    tests = {ev.resource.name: ev for ev in evidence if ev.kind == BackupTest.kind}
    assert "secret" not in json.dumps([ev.raw for ev in tests.values()])  # only the check entry is kept
    assert tests["missing"].reason is ErrorReason.NOT_FOUND
    findings = evaluate(evidence, checks_from("ssh"), Policy(), FIXED_NOW, load_catalogs())
    expect(findings, TESTED, "pass", "fresh", contains="restic check recorded by resticprofile")
    expect(findings, TESTED, "fail", "stale", contains="longer than 35 days")
    expect(findings, TESTED, "fail", "broken", contains="repository contains errors")
    expect(findings, TESTED, "pass", "two", contains="profile b")
    expect(findings, TESTED, "error", "missing")


def test_the_status_file_is_read_without_guessing() -> None:
    never = status({"nightly": {"backup": {"success": True, "time": FIXED_NOW.isoformat(), "error": ""}}})
    assert parse.resticprofile_check(never, None) == ("nightly", None)  # no check recorded: manual, not a pass
    with pytest.raises(parse.ParseError, match="set status_profile"):
        parse.resticprofile_check(status({"a": check_entry(1), "b": check_entry(2)}), None)
    with pytest.raises(parse.ParseError, match="did not print JSON"):
        parse.resticprofile_check("{not json", None)
    with pytest.raises(parse.ParseError, match="no profile 'c'"):
        parse.resticprofile_check(status({"a": check_entry(1)}), "c")
    with pytest.raises(parse.ParseError, match="no success flag"):
        parse.resticprofile_check(status({"a": {"check": {"time": FIXED_NOW.isoformat()}}}), None)


def test_status_file_is_for_restic_and_alone() -> None:
    with pytest.raises(ValidationError, match="only for kind"):
        BackupTarget(kind="borg", path="/r", status_file="/s.json")
    with pytest.raises(ValidationError, match="either test_record or status_file"):
        BackupTarget(kind="restic", path="/r", status_file="/s.json", test_record="/t")
    with pytest.raises(ValidationError, match="needs status_file"):
        BackupTarget(kind="restic", path="/r", status_profile="nightly")
    with pytest.raises(parse.ParseError, match="no 'profiles'"):
        parse.resticprofile_check("[]", None)
