"""The SSH collector against a real OpenSSH sshd on loopback with real borg and restic
repositories (auditpack.emulators.sshd), through paramiko, and the checks on its evidence.

One sshd and one collection per module keep the suite fast; every case below is a host or
a backup of that one run (fresh, stale, unencrypted, authenticated-only, wrong passphrase,
unknown host key, changed host key, host down, jump host), plus a second run for the
command timeout (a repository locked by a "running backup").
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.ssh import SshCollector, SshSettings
from auditpack.config import Policy
from auditpack.emulators.sshd import LocalSshd, free_port, hold_borg_lock, sshd_available
from auditpack.engine import evaluate
from auditpack.model import AttemptStatus, ErrorReason, Evidence, Finding
from helpers import FIXED_NOW, checks_from, expect

OK, WHY = sshd_available("borg", "restic")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not OK, reason=WHY)]

PASS = "correct horse battery staple"
ENV = {"APP_PASS": PASS, "WRONG_PASS": "not the passphrase", "RESTIC_PASS": PASS}
SSH_CHECKS = checks_from("ssh")


def evaluate_ssh(evidence: list[Evidence], policy: Policy | None = None) -> list[Finding]:
    return evaluate(evidence, SSH_CHECKS, policy or Policy(), FIXED_NOW, load_catalogs())


def host_config(server: LocalSshd, name: str, **extra: Any) -> dict[str, Any]:
    return server.host_config(name, **{"country": "DE", "provider": "Hetzner Online", "connect_timeout": 5,
                                       "command_timeout": 60, **extra})


class World:
    def __init__(self, server: LocalSshd) -> None:
        self.server = server
        self.repos: dict[str, str] = {}
        self.evidence: list[Evidence] = []

    def of(self, kind: str, resource_end: str | None = None, scope: str | None = None) -> list[Evidence]:
        return [ev for ev in self.evidence if ev.kind == kind
                and (resource_end is None or ev.resource.id.endswith(resource_end))
                and (scope is None or ev.resource.scope == scope)]

    def one(self, kind: str, resource_end: str | None = None, scope: str | None = None) -> Evidence:
        found = self.of(kind, resource_end, scope)
        assert len(found) == 1, [(e.kind, e.resource.id, e.status) for e in found]
        return found[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with LocalSshd() as server:
        w = World(server)
        now = FIXED_NOW
        w.repos["fresh"] = server.make_borg_repo("fresh", "repokey",
                                                 [now - timedelta(days=40), now - timedelta(hours=2)], PASS)
        w.repos["stale"] = server.make_borg_repo("stale", "repokey", [now - timedelta(days=3)], PASS)
        w.repos["plain"] = server.make_borg_repo("plain", "none", [now - timedelta(hours=1)])
        w.repos["signed"] = server.make_borg_repo("signed", "authenticated", [now - timedelta(hours=1)], PASS)
        w.repos["secret"] = server.make_borg_repo("secret", "repokey-blake2", [now - timedelta(hours=1)], PASS)
        w.repos["restic"] = server.make_restic_repo("restic", PASS,
                                                    [now - timedelta(days=10), now - timedelta(hours=5)])
        w.repos["dir"] = server.make_directory("dumps", {"db-1.sql.gz": now - timedelta(hours=6),
                                                          "old/db-0.sql.gz": now - timedelta(days=12)})
        records = server.make_directory("records", {"recent.ok": now - timedelta(days=3),
                                                    "ancient.ok": now - timedelta(days=90)})
        # a weaker sshd configuration (passwords, root with password) that sshd -T can read
        weak = Path(server.workdir, "sshd_config_weak")
        text = Path(server.sshd_config).read_text()
        weak.write_text(text.replace("PasswordAuthentication no", "PasswordAuthentication yes")
                        .replace("PermitRootLogin prohibit-password", "PermitRootLogin yes")
                        .replace("PermitRootLogin no", "PermitRootLogin yes"))
        # known_hosts variants: empty of this host (unknown), another key for it (changed), hashed entry (ok)
        other = tmp_path_factory.mktemp("keys")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other / "impostor")], check=True)
        impostor = " ".join((other / "impostor.pub").read_text().split()[:2])
        unknown_kh = other / "known_hosts_unknown"
        unknown_kh.write_text(f"[127.0.0.1]:{free_port()} {server.host_public_key}\n")
        changed_kh = other / "known_hosts_changed"
        changed_kh.write_text(f"[127.0.0.1]:{server.port} {impostor}\n")
        hashed_kh = other / "known_hosts_hashed"
        hashed_kh.write_text(Path(server.known_hosts).read_text())
        subprocess.run(["ssh-keygen", "-H", "-f", str(hashed_kh)], check=True, capture_output=True)
        assert hashed_kh.read_text().startswith("|1|")

        # a port bound but not listening: refused for sure, and no other process can take it meanwhile
        closed_port = socket.socket()
        closed_port.bind(("127.0.0.1", 0))
        settings = SshSettings.model_validate({"max_workers": 4, "hosts": [
            host_config(server, "backup-1", known_hosts=str(hashed_kh), backups=[
                {"kind": "borg", "path": w.repos["fresh"], "name": "fresh", "passphrase_env": "APP_PASS",
                 "verify": True},
                {"kind": "borg", "path": w.repos["stale"], "name": "stale", "passphrase_env": "APP_PASS",
                 "test_record": str(Path(records, "ancient.ok"))},
                {"kind": "borg", "path": w.repos["plain"], "name": "plain"},
                {"kind": "borg", "path": w.repos["signed"], "name": "signed", "passphrase_env": "APP_PASS"},
                {"kind": "borg", "path": w.repos["secret"], "name": "secret", "passphrase_env": "WRONG_PASS"},
                {"kind": "restic", "path": w.repos["restic"], "name": "restic", "passphrase_env": "RESTIC_PASS",
                 "verify": True, "max_age_hours": 12},
                {"kind": "directory", "path": w.repos["dir"], "name": "dumps",
                 "test_record": str(Path(records, "recent.ok"))},
            ]),
            host_config(server, "via-jump", proxy_jump=f"{server.user}@{server.host}:{server.port}", country="US",
                        provider="Example Hosting Inc", sshd_config=str(weak)),
            host_config(server, "unknown-key", known_hosts=str(unknown_kh),
                        backups=[{"kind": "borg", "path": w.repos["plain"], "name": "plain"}]),
            host_config(server, "changed-key", known_hosts=str(changed_kh)),
            host_config(server, "down", port=closed_port.getsockname()[1], country=None, provider=None),
        ]})
        ctx = CollectContext("ssh", "test", FIXED_NOW, environ=ENV)
        SshCollector(settings).collect(ctx)
        closed_port.close()
        w.evidence = ctx.close()
        yield w


def test_a_reachable_host_gives_every_fact(world: World) -> None:
    conn = world.one("ssh.connection", scope="backup-1")
    assert conn.ok and conn.record is not None
    assert conn.record.host_key_fingerprint.startswith("SHA256:")  # type: ignore[attr-defined]
    for kind in ("ssh.host", "provider.use", "ssh.sshd_config", "ssh.logging", "ssh.time_sync"):
        assert world.one(kind, scope="backup-1").ok, kind
    disks = world.one("ssh.block_devices", scope="backup-1")  # a container without /sys makes lsblk fail
    assert disks.ok or ("lsblk" in (disks.error or "") and disks.reason is not None), disks.error
    sshd = world.one("ssh.sshd_config", scope="backup-1").record
    assert sshd is not None and sshd.source == "sshd -T"  # type: ignore[attr-defined]  # running as root in CI


def test_provider_use_is_declared_per_host(world: World) -> None:
    uses = {ev.resource.scope: ev.record for ev in world.of("provider.use")}
    assert set(uses) == {"backup-1", "via-jump", "unknown-key", "changed-key", "down"}
    de = uses["backup-1"]
    assert de is not None and (de.provider, de.provider_name, de.location_type, de.declared_country, de.declared) == (
        "ssh", "Hetzner Online", "country", "DE", True)  # type: ignore[attr-defined]
    down = uses["down"]
    assert down is not None and down.provider_name == "undeclared" and down.declared_country is None  # type: ignore


def test_borg_archives_and_repository(world: World) -> None:
    listed = world.one("ssh.borg_archives", "/fresh").record
    assert listed is not None
    times = [a.time for a in listed.archives]  # type: ignore[attr-defined]
    assert times == [FIXED_NOW - timedelta(days=40), FIXED_NOW - timedelta(hours=2)]
    repo = world.one("ssh.borg_repository", "/fresh").record
    assert repo is not None and repo.encryption_mode == "repokey"  # type: ignore[attr-defined]
    assert repo.repository_id == listed.repository_id  # type: ignore[attr-defined]
    assert world.one("ssh.borg_repository", "/plain", "backup-1").record.encryption_mode == "none"  # type: ignore


def test_restic_and_directory(world: World) -> None:
    snaps = world.one("ssh.restic_snapshots", "/restic").record
    assert snaps is not None and len(snaps.archives) == 2  # type: ignore[attr-defined]
    assert world.one("ssh.restic_repository", "/restic").record.version == 2  # type: ignore[union-attr]
    directory = world.one("ssh.directory_backup", "/dumps").record
    assert directory is not None
    assert (directory.file_count, directory.newest_file) == (2, "db-1.sql.gz")  # type: ignore[attr-defined]
    assert directory.newest_mtime == FIXED_NOW - timedelta(hours=6)  # type: ignore[attr-defined]


def test_wrong_passphrase_is_an_authentication_error_for_that_repository_only(world: World) -> None:
    for kind in ("ssh.borg_archives", "ssh.borg_repository"):
        ev = world.one(kind, "/secret")
        assert ev.status is AttemptStatus.ERROR and ev.reason is ErrorReason.AUTHENTICATION
        assert "incorrect" in (ev.error or "")
    assert world.one("ssh.borg_archives", "/fresh").ok


def test_unknown_host_key_is_an_error_with_the_fingerprint(world: World) -> None:
    conn = world.one("ssh.connection", scope="unknown-key")
    fp = world.one("ssh.connection", scope="backup-1").record.host_key_fingerprint  # type: ignore[union-attr]
    assert conn.reason is ErrorReason.HOST_KEY
    assert "not in known_hosts" in (conn.error or "") and fp in (conn.error or "")
    # every fact of that host, its backups included, is an error; nothing was read
    assert all(not ev.ok for ev in world.evidence if ev.resource.scope == "unknown-key"
               and ev.kind not in ("ssh.host", "provider.use"))
    assert world.one("ssh.borg_archives", scope="unknown-key").reason is ErrorReason.HOST_KEY


def test_changed_host_key_names_a_possible_attack(world: World) -> None:
    conn = world.one("ssh.connection", scope="changed-key")
    assert conn.reason is ErrorReason.HOST_KEY
    assert "possible man-in-the-middle attack" in (conn.error or "") and "CHANGED" in (conn.error or "")
    assert world.one("ssh.sshd_config", scope="changed-key").reason is ErrorReason.HOST_KEY


def test_a_host_that_is_down_is_a_connectivity_error_and_others_go_on(world: World) -> None:
    conn = world.one("ssh.connection", scope="down")
    assert conn.reason is ErrorReason.CONNECTIVITY
    assert world.one("ssh.logging", scope="down").reason is ErrorReason.CONNECTIVITY
    assert world.one("ssh.connection", scope="backup-1").ok and world.one("ssh.connection", scope="via-jump").ok


def test_jump_host_connection(world: World) -> None:
    conn = world.one("ssh.connection", scope="via-jump")
    assert conn.ok and conn.record.via == f"{world.server.user}@127.0.0.1:{world.server.port}"  # type: ignore


def test_no_secret_reaches_the_evidence(world: World) -> None:
    dumped = json.dumps([ev.to_json() for ev in world.evidence])
    assert PASS not in dumped and "not the passphrase" not in dumped
    # and not the command lines sent to the host
    assert all(PASS not in str(ev.raw) for ev in world.evidence)


def test_backup_findings(world: World) -> None:
    findings = evaluate_ssh(world.evidence)
    check = "backups_ssh_backup_recent"
    expect(findings, check, "pass", "fresh", contains="2 archive(s) kept")
    expect(findings, check, "fail", "stale", contains="older than the limit of 26 h")
    expect(findings, check, "pass", "restic", contains="limit 12 h")
    expect(findings, check, "pass", "dumps")
    expect(findings, check, "error", "secret", contains="incorrect")
    expect(findings, check, "error", "plain", contains="not in known_hosts")  # the unknown-key host's backup

    enc = "encryption_at_rest_ssh_backup_repository_encrypted"
    expect(findings, enc, "pass", "fresh", contains="repokey")
    expect(findings, enc, "pass", "restic")
    plain = [f for f in expect(findings, enc, "fail", "plain", contains="no encryption")]
    assert all(f.resource.scope == "backup-1" for f in plain)
    expect(findings, enc, "fail", "signed", contains="only authenticated, not encrypted")

    tested = "backup_testing_ssh_backup_tested_recently"
    expect(findings, tested, "pass", "fresh", contains="borg extract --dry-run")
    expect(findings, tested, "pass", "restic", contains="restic")
    expect(findings, tested, "pass", "dumps", contains="test record")
    expect(findings, tested, "fail", "stale", contains="longer than 35 days")
    expect(findings, tested, "manual", "plain")


def test_deletion_deadline_from_a_profile(world: World) -> None:
    check = "deletion_on_termination_ssh_backup_retention_within_deadline"
    # no deadline: nothing to judge (only the engine's error findings for unreadable evidence remain)
    assert {str(f.status) for f in evaluate_ssh(world.evidence) if f.check == check} == {"error"}
    findings = evaluate_ssh(world.evidence, Policy(deletion_days=30))
    expect(findings, check, "fail", "fresh", contains="longer than the deletion deadline of 30 days")
    expect(findings, check, "pass", "stale")
    expect(findings, check, "pass", "restic")


def test_host_findings(world: World) -> None:
    findings = evaluate_ssh(world.evidence)
    expect(findings, "access_control_sshd_password_authentication_disabled", "pass", "backup-1")
    expect(findings, "access_control_sshd_password_authentication_disabled", "fail", "via-jump",
           contains="PasswordAuthentication yes")
    expect(findings, "access_control_sshd_root_login_restricted", "fail", "via-jump", contains="PermitRootLogin yes")
    expect(findings, "eea_residency_ssh_host_declared_country_allowed", "pass", "backup-1", contains="Germany")
    expect(findings, "eea_residency_ssh_host_declared_country_allowed", "fail", "via-jump", contains="outside the EEA")
    expect(findings, "eea_residency_ssh_host_declared_country_allowed", "manual", "down")
    expect(findings, "access_logging_ssh_host_logs_persistent", "error", "down")
    expect(findings, "encryption_at_rest_ssh_host_data_disks_encrypted", "error", "changed-key",
           contains="man-in-the-middle")


@pytest.fixture(scope="module")
def locked(world: World) -> Iterator[list[Evidence]]:
    """A second run while a "running backup" holds the lock of one repository."""
    server = world.server
    settings = SshSettings.model_validate({"hosts": [host_config(server, "busy", command_timeout=3, backups=[
        {"kind": "borg", "path": world.repos["plain"], "name": "locked"},
        {"kind": "directory", "path": world.repos["dir"], "name": "dumps"},
    ])]})
    with hold_borg_lock(world.repos["plain"], base_dir=server.env["BORG_BASE_DIR"]):
        ctx = CollectContext("ssh", "test", FIXED_NOW, environ=ENV)
        SshCollector(settings).collect(ctx)
    yield ctx.close()


def test_command_timeout_is_an_error_for_that_fact_only(world: World, locked: list[Evidence]) -> None:
    by_kind = {(ev.kind, ev.resource.name): ev for ev in locked}
    timed_out = by_kind[("ssh.borg_archives", "locked")]
    assert timed_out.reason is ErrorReason.TIMEOUT and "within 3 s" in (timed_out.error or "")
    assert by_kind[("ssh.borg_repository", "locked")].reason is ErrorReason.TIMEOUT
    assert by_kind[("ssh.directory_backup", "dumps")].ok
    assert by_kind[("ssh.sshd_config", "busy")].ok and by_kind[("ssh.time_sync", "busy")].ok


def test_missing_passphrase_variable_is_a_configuration_error(world: World) -> None:
    server = world.server
    settings = SshSettings.model_validate({"hosts": [host_config(server, "no-env", backups=[
        {"kind": "restic", "path": world.repos["restic"], "name": "restic", "passphrase_env": "NOT_SET_ANYWHERE"},
        {"kind": "restic", "path": world.repos["restic"], "name": "restic-no-passphrase"},
    ])]})
    ctx = CollectContext("ssh", "test", FIXED_NOW, environ={"UNRELATED": "1"})
    SshCollector(settings).collect(ctx)
    evidence = ctx.close()
    missing = [ev for ev in evidence if ev.resource.name == "restic" and ev.kind.startswith("ssh.restic")]
    assert missing and all(ev.reason is ErrorReason.CONFIGURATION and "NOT_SET_ANYWHERE" in (ev.error or "")
                           for ev in missing)
    unset = [ev for ev in evidence if ev.resource.name == "restic-no-passphrase" and ev.kind == "ssh.restic_snapshots"]
    assert unset[0].reason is ErrorReason.CONFIGURATION and "passphrase_env" in (unset[0].error or "")


def test_encrypted_client_key_with_passphrase_from_the_environment(tmp_path: Path) -> None:
    with LocalSshd(key_type="ecdsa", key_passphrase="key-passphrase-1") as server:
        base = host_config(server, "ecdsa-key", key_passphrase_env="KEY_PASS")
        ctx = CollectContext("ssh", "test", FIXED_NOW, environ={"KEY_PASS": "key-passphrase-1"})
        hosts = [base, {**base, "name": "no-pass", "key_passphrase_env": None}]
        SshCollector(SshSettings.model_validate({"hosts": hosts})).collect(ctx)
        evidence = ctx.close()
    conn = {ev.resource.scope: ev for ev in evidence if ev.kind == "ssh.connection"}
    assert conn["ecdsa-key"].ok
    assert conn["no-pass"].reason is ErrorReason.CONFIGURATION and "key_passphrase_env" in (conn["no-pass"].error or "")
    assert not any("key-passphrase-1" in json.dumps(ev.to_json()) for ev in evidence)


def test_the_emulator_stops_sshd_and_removes_its_folder() -> None:
    server = LocalSshd()
    with server:
        workdir = server.workdir
        assert server.running
    assert not server.running and not os.path.exists(workdir)


def test_a_silent_host_times_out_without_delaying_the_others(world: World) -> None:
    """A port that accepts TCP but never speaks SSH (a hung host): connect_timeout bounds it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        settings = SshSettings.model_validate({"hosts": [
            host_config(world.server, "hung", port=port, connect_timeout=1),
            host_config(world.server, "fine"),
        ]})
        ctx = CollectContext("ssh", "test", FIXED_NOW, environ=ENV)
        SshCollector(settings).collect(ctx)
        evidence = ctx.close()
    conn = {ev.resource.scope: ev for ev in evidence if ev.kind == "ssh.connection"}
    assert conn["hung"].reason is ErrorReason.TIMEOUT and conn["fine"].ok


def test_host_names_must_be_unique() -> None:
    from pydantic import ValidationError

    one = {"name": "a", "host": "h", "user": "u", "key_file": "/k"}
    with pytest.raises(ValidationError, match="unique"):
        SshSettings.model_validate({"hosts": [one, one]})


def test_rsa_key_from_ssh_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil
    import signal
    import time

    if shutil.which("ssh-agent") is None or shutil.which("ssh-add") is None:
        pytest.skip("ssh-agent is not installed (Debian: openssh-client)")
    sock = str(tmp_path / "agent.sock")
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with LocalSshd(key_type="rsa") as server:
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            subprocess.run(["ssh-add", "-q", server.key_file], check=True, env={**os.environ, "SSH_AUTH_SOCK": sock},
                           capture_output=True)
            monkeypatch.setenv("SSH_AUTH_SOCK", sock)
            config = host_config(server, "agent", key_file=None, use_agent=True)
            ctx = CollectContext("ssh", "test", FIXED_NOW, environ={"UNRELATED": "1"})
            SshCollector(SshSettings.model_validate({"hosts": [config]})).collect(ctx)
            evidence = ctx.close()
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(5)
    conn = [ev for ev in evidence if ev.kind == "ssh.connection"]
    assert conn[0].ok, conn[0].error


def test_the_emulator_writes_a_config_entry_the_collector_accepts(world: World) -> None:
    import tomllib

    text = world.server.host_toml("demo", [{"kind": "borg", "path": world.repos["fresh"], "verify": True,
                                            "passphrase_env": "APP_PASS"}], country="DE")
    settings = SshSettings.model_validate(tomllib.loads(text)["ssh"])
    ctx = CollectContext("ssh", "test", FIXED_NOW, environ=ENV)
    SshCollector(settings).collect(ctx)
    tested = [ev for ev in ctx.close() if ev.kind == "ssh.backup_test"]
    assert tested[0].ok and tested[0].record.succeeded  # type: ignore[union-attr]


def test_sshd_config_files_are_read_when_sshd_t_fails(world: World, tmp_path: Path) -> None:
    """sshd -T refuses this file (an unknown keyword, as for a non-root user it refuses to run):
    the collector reads the file and its Include instead, and says so."""
    dropin = tmp_path / "sshd_config.d"
    dropin.mkdir()
    (dropin / "10-site.conf").write_text("PasswordAuthentication yes\n")
    config = tmp_path / "sshd_config"
    config.write_text(f"Include {dropin}/*.conf\nNoSuchKeywordAnywhere yes\nPasswordAuthentication no\n"
                      "PermitRootLogin prohibit-password\n")
    settings = SshSettings.model_validate({"hosts": [host_config(world.server, "files", sshd_config=str(config))]})
    ctx = CollectContext("ssh", "test", FIXED_NOW, environ=ENV)
    SshCollector(settings).collect(ctx)
    evidence = ctx.close()
    record = next(ev.record for ev in evidence if ev.kind == "ssh.sshd_config")
    assert record is not None and record.source == "config files"  # type: ignore[attr-defined]
    findings = evaluate_ssh(evidence)
    expect(findings, "access_control_sshd_password_authentication_disabled", "fail", "files",
           contains="read from the config files")
    expect(findings, "access_control_sshd_root_login_restricted", "pass", "files")


def test_a_spent_host_budget_turns_the_remaining_facts_into_timeouts(world: World) -> None:
    """host_timeout bounds a host whose every command is slow (here: a locked repository
    after the budget is used up), so one host cannot hold the run past its limit."""
    settings = SshSettings.model_validate({"hosts": [host_config(world.server, "budget", command_timeout=30,
                                                                 host_timeout=2, backups=[
        {"kind": "borg", "path": world.repos["plain"], "name": "locked"}])]})
    with hold_borg_lock(world.repos["plain"], base_dir=world.server.env["BORG_BASE_DIR"]):
        ctx = CollectContext("ssh", "test", FIXED_NOW, environ=ENV)
        SshCollector(settings).collect(ctx)
    by_kind = {ev.kind: ev for ev in ctx.close()}
    assert by_kind["ssh.borg_archives"].reason is ErrorReason.TIMEOUT
    assert "was not run" in (by_kind["ssh.borg_repository"].error or "")


def test_demo_backup_server_gives_a_pass_and_a_fail() -> None:
    import contextlib
    import tomllib
    from datetime import UTC, datetime

    from auditpack.emulators.sshd import demo_backup_server

    now = datetime.now(UTC)
    with contextlib.ExitStack() as stack:
        toml, env, note = demo_backup_server(stack, now)
        settings = SshSettings.model_validate(tomllib.loads(toml)["ssh"])
        ctx = CollectContext("ssh", "test", now, environ=env)
        SshCollector(settings).collect(ctx)
        evidence = ctx.close()
    assert "127.0.0.1" in note and not any(value in json.dumps([e.to_json() for e in evidence])
                                           for value in env.values())
    findings = evaluate(evidence, SSH_CHECKS, Policy(), now, load_catalogs())
    expect(findings, "backups_ssh_backup_recent", "pass", "app")
    expect(findings, "backups_ssh_backup_recent", "fail", "legacy-exports")
    expect(findings, "encryption_at_rest_ssh_backup_repository_encrypted", "fail", "legacy-exports")
    expect(findings, "backup_testing_ssh_backup_tested_recently", "pass", "app")
