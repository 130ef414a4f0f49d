"""SSH checks and parsers on host facts this machine cannot be made to show (LUKS disks,
persistent journals, NTP state, sshd config files as a non-root user): the records are the
ones the collector emits, built from real command output where the parser is involved."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.ssh import commands, parse
from auditpack.config import Policy
from auditpack.engine import evaluate
from auditpack.evidence.ssh import (
    Archive,
    BackupTest,
    BlockDevices,
    BorgArchives,
    BorgRepository,
    HostLogging,
    SshdSettings,
    SshHostRecord,
    TimeSync,
)
from auditpack.model import Basis, ErrorReason, EvidenceRecord, Finding, Resource
from helpers import FIXED_NOW, checks_from, expect

SSH_CHECKS = checks_from("ssh")

# lsblk --json -b -o NAME,KNAME,TYPE,FSTYPE,MOUNTPOINTS,SIZE of a Hetzner server: root disk plain,
# volume sdb LUKS (directly) with LVM on top, volume sdc partitioned with a plain partition.
LSBLK = {"blockdevices": [
    {"name": "sda", "kname": "sda", "type": "disk", "fstype": None, "mountpoints": [None], "children": [
        {"name": "sda1", "kname": "sda1", "type": "part", "fstype": "ext4", "mountpoints": ["/"]},
        {"name": "sda15", "kname": "sda15", "type": "part", "fstype": "vfat", "mountpoints": ["/boot/efi"]}]},
    {"name": "sdb", "kname": "sdb", "type": "disk", "fstype": "crypto_LUKS", "mountpoints": [None], "children": [
        {"name": "data_crypt", "kname": "dm-0", "type": "crypt", "fstype": "LVM2_member", "mountpoints": [None],
         "children": [{"name": "vg-data", "kname": "dm-1", "type": "lvm", "fstype": "ext4",
                       "mountpoints": ["/srv/data"]}]}]},
    {"name": "sdc", "kname": "sdc", "type": "disk", "fstype": None, "mountpoints": [None], "children": [
        {"name": "sdc1", "kname": "sdc1", "type": "part", "fstype": "xfs", "mountpoints": ["/srv/backup"]}]},
    {"name": "loop0", "kname": "loop0", "type": "loop", "fstype": "squashfs", "mountpoints": ["/snap/core/1"]},
]}
BY_ID = "scsi-0HC_Volume_1001\t../../sdb\nscsi-0HC_Volume_1002\t../../sdc\nscsi-0HC_Volume_1002-part1\t../../sdc1\n"


def ev_of(record: EvidenceRecord, host: str = "host-1", name: str | None = None) -> object:
    ctx = CollectContext("ssh", "test", FIXED_NOW)
    resource = Resource("ssh", "host", f"audit@{host}:22{'/' + name if name else ''}", name or host, "DE", host)
    return ctx.collected(record, resource, raw={}, source="test")


def run(*records: tuple[EvidenceRecord, str], policy: Policy | None = None) -> list[Finding]:
    evidence = [ev_of(rec, host) for rec, host in records]
    return evaluate(evidence, SSH_CHECKS, policy or Policy(), FIXED_NOW, load_catalogs())  # type: ignore[arg-type]


def test_lsblk_tree_inherits_encryption_and_joins_hetzner_volumes() -> None:
    devices = {d.name: d for d in parse.block_devices(LSBLK, parse.hetzner_volumes(BY_ID))}
    assert devices["sdb"].encrypted and devices["sdb"].hetzner_volume_id == "1001"  # the LUKS container itself
    assert devices["data_crypt"].encrypted and devices["vg-data"].encrypted
    assert devices["vg-data"].mountpoints == ("/srv/data",) and devices["vg-data"].hetzner_volume_id is None
    assert not devices["sdc1"].encrypted and devices["sdc1"].hetzner_volume_id == "1002"
    assert devices["sda1"].is_root and not devices["sda"].is_root and devices["sda"].mountpoints == ()
    # the older lsblk (util-linux < 2.37) has MOUNTPOINT instead of MOUNTPOINTS
    old = parse.block_devices({"blockdevices": [{"name": "vda", "type": "disk", "fstype": "ext4",
                                                 "mountpoint": "/"}]}, {})
    assert old[0].is_root and old[0].mountpoints == ("/",)


def test_disk_encryption_verdicts() -> None:
    devices = parse.block_devices(LSBLK, parse.hetzner_volumes(BY_ID))
    encrypted_only = tuple(d for d in devices if d.name in ("sdb", "data_crypt", "vg-data", "loop0"))
    findings = run((BlockDevices(host="db-1", devices=devices), "db-1"),
                   (BlockDevices(host="db-2", devices=encrypted_only), "db-2"),
                   (BlockDevices(host="container", devices=()), "container"))
    check = "encryption_at_rest_ssh_host_data_disks_encrypted"
    fail = expect(findings, check, "fail", "db-1", contains="sdc1 (/srv/backup, Hetzner volume 1002)")
    assert "sda1" in fail[0].message and "sda15" not in fail[0].message and "vg-data" not in fail[0].message
    expect(findings, check, "pass", "db-2", contains="vg-data")
    expect(findings, check, "manual", "container")


def _sshd(**values: object) -> SshdSettings:
    base = {"password_authentication": "no", "kbd_interactive_authentication": "no", "permit_root_login": "no",
            "use_pam": "yes", "log_level": "INFO"}
    return SshdSettings.model_validate({"host": "h", "source": "config files", **base, **values})


def test_sshd_verdicts() -> None:
    findings = run((_sshd(), "good"), (_sshd(kbd_interactive_authentication="yes"), "pam"),
                   (_sshd(permit_root_login="prohibit-password"), "keys-only"),
                   (_sshd(permit_root_login="maybe"), "odd"),
                   (_sshd(match_values={"passwordauthentication": ("yes",), "permitrootlogin": ("yes",)}), "match"))
    expect(findings, "access_control_sshd_password_authentication_disabled", "pass", "good",
           contains="read from the config files")
    expect(findings, "access_control_sshd_password_authentication_disabled", "fail", "pam",
           contains="keyboard-interactive PAM")
    expect(findings, "access_control_sshd_root_login_restricted", "pass", "keys-only")
    expect(findings, "access_control_sshd_root_login_restricted", "error", "odd")
    expect(findings, "access_control_sshd_password_authentication_disabled", "fail", "match", contains="Match block")
    expect(findings, "access_control_sshd_root_login_restricted", "fail", "match", contains="Match block")


def test_sshd_config_files_first_value_wins_includes_and_match() -> None:
    output = "\n".join([
        "### file /etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf",
        "PasswordAuthentication yes",
        "PermitRootLogin yes",
        "UsePAM yes",
        "Match User backup",
        "  KbdInteractiveAuthentication yes",
        "### file /etc/ssh/sshd_config.d/50-hardening.conf",
        "PasswordAuthentication no",
        "ChallengeResponseAuthentication no",
    ])
    source, settings, assumed, in_match = parse.sshd_settings(output)
    assert source == "config files"
    assert settings["passwordauthentication"] == "no"  # the drop-in, included first, wins
    assert settings["kbdinteractiveauthentication"] == "no"  # the old alias; the Match block does not count
    assert settings["permitrootlogin"] == "yes" and assumed == ("loglevel",)
    assert in_match == {"kbdinteractiveauthentication": ("yes",)}
    t_output = "### sshd -T\npasswordauthentication no\npermitrootlogin no\n"
    t_source, t_settings, t_assumed, _ = parse.sshd_settings(t_output)
    assert (t_source, t_settings["permitrootlogin"], t_assumed) == ("sshd -T", "no", ())
    # sshd -T shows the global settings; the files after it still reveal Match blocks
    both = t_output + "### file /etc/ssh/sshd_config\nMatch Address 10.0.0.0/8\n  PasswordAuthentication yes\n"
    b_source, b_settings, _, b_match = parse.sshd_settings(both)
    assert (b_source, b_settings["passwordauthentication"], b_match) == (
        "sshd -T", "no", {"passwordauthentication": ("yes",)})
    with pytest.raises(parse.ParseError):
        parse.sshd_settings("Permission denied\n")


def test_logging_verdicts() -> None:
    findings = run(
        (HostLogging(host="h", systemd=True, journald="active", journald_storage=None, journal_directory=True), "auto"),
        (HostLogging(host="h", systemd=True, journald="active", journald_storage="volatile", journal_directory=True,
                     auditd="inactive", syslog="inactive"), "volatile"),
        (HostLogging(host="h", systemd=True, journald="active", journal_directory=False, auditd="active"), "audit"),
        (HostLogging(host="h", systemd=False), "no-systemd"))
    check = "access_logging_ssh_host_logs_persistent"
    expect(findings, check, "pass", "auto", contains="journald (persistent)")
    expect(findings, check, "fail", "volatile", contains="Storage=volatile")
    expect(findings, check, "pass", "audit", contains="auditd")
    expect(findings, check, "manual", "no-systemd")


def test_time_sync_verdicts() -> None:
    findings = run(
        (TimeSync(host="h", systemd=True, ntp_synchronized=True, ntp_enabled=True), "synced"),
        (TimeSync(host="h", systemd=True, ntp_synchronized=False, ntp_enabled=False,
                  services={"systemd-timesyncd": "inactive"}), "unsynced"),
        (TimeSync(host="h", systemd=True, services={"chrony": "active"}), "chrony"),
        (TimeSync(host="h", systemd=True, services={"chrony": "inactive", "ntp": "inactive"}), "none"),
        (TimeSync(host="h", systemd=False), "unknown"))
    check = "access_logging_ssh_host_time_synchronised"
    expect(findings, check, "pass", "synced")
    expect(findings, check, "fail", "unsynced", contains="no time service active")
    expect(findings, check, "pass", "chrony")
    expect(findings, check, "fail", "none")
    expect(findings, check, "manual", "unknown")


def test_residency_under_an_adequacy_policy() -> None:
    host = SshHostRecord(host="ch-1", address="a", port=22, user="u", country="CH")
    us = SshHostRecord(host="us-1", address="a", port=22, user="u", country="US")
    findings = run((host, "ch-1"), (us, "us-1"), policy=Policy(residency="eea+adequacy"))
    check = "eea_residency_ssh_host_declared_country_allowed"
    expect(findings, check, "pass", "ch-1", contains="adequacy")
    assert [f.status for f in findings if f.check == check and f.resource.scope == "us-1"][0] in ("manual", "fail")
    strict = run((host, "ch-1"))
    expect(strict, check, "fail", "ch-1", contains="requires the EEA")
    # the country is the configuration's word, not an observation, whatever the verdict
    assert {f.basis for f in findings + strict if f.check == check} == {Basis.DECLARED}
    assert {f.basis for f in findings + strict if f.check != check} <= {Basis.OBSERVED}


def test_backup_edge_cases() -> None:
    common = {"host": "b", "path": "/srv/borg/x", "name": "x"}
    future = BorgArchives(**common, archives=(Archive(name="a", time=FIXED_NOW + timedelta(days=2)),))
    empty = BorgArchives(**{**common, "name": "empty"})
    odd = BorgRepository(**common, repository_id="r", encryption_mode="rot13")
    broken = BackupTest(**common, backup_kind="borg", method="borg extract --dry-run", tested_at=FIXED_NOW,
                        succeeded=False, detail="IntegrityError")
    findings = evaluate([ev_of(future, "b", "x"), ev_of(empty, "b", "empty"), ev_of(odd, "b", "x"),  # type: ignore
                         ev_of(broken, "b", "x")], SSH_CHECKS, Policy(), FIXED_NOW, load_catalogs())
    expect(findings, "backups_ssh_backup_recent", "error", "x", contains="in the future")
    expect(findings, "backups_ssh_backup_recent", "fail", "empty", contains="no archive")
    expect(findings, "encryption_at_rest_ssh_backup_repository_encrypted", "error", "x", contains="rot13")
    expect(findings, "backup_testing_ssh_backup_tested_recently", "fail", "x", contains="IntegrityError")


def test_borg_failures_are_classified() -> None:
    wrong = json.dumps({"type": "log_message", "levelname": "ERROR", "msgid": "PassphraseWrong",
                        "message": "passphrase supplied ... is incorrect."})
    reason, message, _ = parse.classify_borg(2, wrong + "\n", passphrase_configured=False)
    assert reason is ErrorReason.AUTHENTICATION and "set passphrase_env" in message
    missing = json.dumps({"levelname": "ERROR", "msgid": "Repository.DoesNotExist", "message": "does not exist."})
    assert parse.classify_borg(2, missing, True)[0] is ErrorReason.NOT_FOUND
    assert parse.classify_borg(127, "sh: borg: not found", True)[0] is ErrorReason.NOT_FOUND
    assert parse.classify_restic(1, "Fatal: wrong password or no key found")[0] is ErrorReason.AUTHENTICATION
    # borg 1.2 prints zone-less local times; the commands run with TZ=UTC, so they are UTC
    listing = {"archives": [{"name": "a", "time": "2026-11-20T10:00:00.000000"},
                            {"name": "a2.checkpoint", "time": "2026-11-21T10:00:00.000000"}],
               "repository": {"id": "abc"}, "encryption": {"mode": "none"}}
    archives, repo_id, mode = parse.borg_archives(listing)
    assert [a.name for a in archives] == ["a"]  # an interrupted run's checkpoint is not a backup
    assert archives[0].time == FIXED_NOW.replace(day=20, hour=10) and (repo_id, mode) == ("abc", "none")


def test_commands_quote_every_configured_value() -> None:
    hostile = "/srv/x'; rm -rf / #$(reboot)"
    line = commands.borg_list(hostile, 5).line
    assert line.startswith("sh -c ") and "'\"'\"'" in line  # the quote in the path is escaped, not closed
    import shlex

    words = shlex.split(line)
    assert words[:2] == ["sh", "-c"] and words[-2:] == [hostile, "5"]  # the path arrives as one argument
    assert "BORG_PASSPHRASE_FD=0" in words[2] and "passphrase" not in " ".join(words[3:]).lower()
