"""Issue 17: disk encryption other than LUKS (dm-crypt without a LUKS header, ZFS native
encryption) is observed, never read as a fail.

The parsers run on output in the exact shape of ``lsblk --json`` and ``zfs list -H -p``;
this machine cannot be given a plain dm-crypt mapping or a ZFS pool. The collector's path
runs against a real sshd on loopback: this host has no ``zfs`` (observed as such), and a
``zfs`` on the audit user's PATH that fails or answers stands in for a ZFS host."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import pytest
from hetzner_support import evaluate_hetzner, read, ssh_block_devices

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.ssh import SshCollector, SshSettings, parse
from auditpack.config import Policy
from auditpack.emulators.hetzner import ProjectSeed, server, volume
from auditpack.emulators.sshd import LocalSshd, sshd_available
from auditpack.engine import evaluate
from auditpack.evidence.ssh import BlockDevices, ZfsDatasets
from auditpack.model import ErrorReason, Evidence, EvidenceRecord, Resource
from helpers import FIXED_NOW, checks_from, expect

HOST_CHECK = "encryption_at_rest_ssh_host_data_disks_encrypted"
VOLUME_CHECK = "encryption_at_rest_hetzner_volume_encrypted"
ROOT_CHECK = "encryption_at_rest_hetzner_server_disk_encrypted"

# lsblk of a server whose volume sdb is opened with `cryptsetup open --type plain` (no header:
# sdb itself shows no filesystem) and whose volume sdc is a ZFS pool device
LSBLK_PLAIN_AND_ZFS = {"blockdevices": [
    {"name": "sda", "kname": "sda", "type": "disk", "fstype": None, "mountpoints": [None], "children": [
        {"name": "sda1", "kname": "sda1", "type": "part", "fstype": "crypto_LUKS", "mountpoints": [None],
         "children": [{"name": "root", "kname": "dm-0", "type": "crypt", "fstype": "ext4", "mountpoints": ["/"]}]}]},
    {"name": "sdb", "kname": "sdb", "type": "disk", "fstype": None, "mountpoints": [None], "children": [
        {"name": "secret", "kname": "dm-1", "type": "crypt", "fstype": "xfs", "mountpoints": ["/srv/secret"]}]},
    {"name": "sdc", "kname": "sdc", "type": "disk", "fstype": None, "mountpoints": [None], "children": [
        {"name": "sdc1", "kname": "sdc1", "type": "part", "fstype": "zfs_member", "mountpoints": [None]},
        {"name": "sdc9", "kname": "sdc9", "type": "part", "fstype": None, "mountpoints": [None]}]},
]}
BY_ID = ("scsi-0HC_Volume_21\t../../sdb\nscsi-0HC_Volume_22\t../../sdc\nscsi-0HC_Volume_22-part1\t../../sdc1\n")
ZFS_ENCRYPTED = ("zfs=present\n"
                 "tank\tfilesystem\taes-256-gcm\tavailable\tyes\t/tank\n"
                 "tank/db\tfilesystem\taes-256-gcm\tavailable\tyes\t/srv/db\n"
                 "tank/swap\tvolume\taes-256-gcm\tavailable\t-\t-\n")
ZFS_MIXED = ("zfs=present\n"
             "tank\tfilesystem\toff\t-\tyes\t/tank\n"
             "tank/db\tfilesystem\taes-256-gcm\tunavailable\tno\t/srv/db\n")


def evidence_of(record: EvidenceRecord, host: str) -> Evidence:
    ctx = CollectContext("ssh", "test", FIXED_NOW)
    return ctx.collected(record, Resource("ssh", "host", f"audit@{host}:22", host, "DE", host), raw={},
                         source="test")


def host_findings(*evidence: Evidence) -> list:
    return evaluate(list(evidence), checks_from("ssh"), Policy(), FIXED_NOW, load_catalogs())


def devices() -> BlockDevices:
    return BlockDevices(host="db-1", devices=parse.block_devices(LSBLK_PLAIN_AND_ZFS, parse.hetzner_volumes(BY_ID)))


def zfs(text: str, host: str = "db-1") -> ZfsDatasets:
    available, datasets = parse.zfs_datasets(text)
    return ZfsDatasets(host=host, available=available, datasets=datasets)


def test_lsblk_names_the_encryption_scheme() -> None:
    found = {d.name: d for d in devices().devices}
    assert found["sda1"].encryption == "luks" and found["root"].encryption == "luks"
    # the headerless crypt mapping, and the raw volume below it that holds only its cipher text
    assert found["secret"].encrypted and found["secret"].encryption == "dm-crypt"
    assert found["sdb"].encrypted and found["sdb"].encryption == "dm-crypt" and found["sdb"].hetzner_volume_id == "21"
    assert found["sdc1"].zfs_member and not found["sdc1"].encrypted
    assert not found["sdc9"].encrypted and found["sda"].encryption is None


def test_zfs_list_is_parsed_and_never_guessed() -> None:
    available, datasets = parse.zfs_datasets(ZFS_ENCRYPTED)
    assert available and [d.name for d in datasets] == ["tank", "tank/db", "tank/swap"]
    assert all(d.encrypted for d in datasets) and datasets[2].mounted is None and datasets[2].mountpoint is None
    assert parse.zfs_datasets("zfs=absent\n") == (False, ())
    with pytest.raises(parse.ParseError, match="unexpected output"):
        parse.zfs_datasets("NAME USED AVAIL\n")
    with pytest.raises(parse.ParseError, match="5 fields"):
        parse.zfs_datasets("zfs=present\ntank\tfilesystem\toff\t-\tyes\n")
    with pytest.raises(parse.ParseError, match="no encryption property"):  # a ZFS without native encryption
        parse.zfs_datasets("zfs=present\ntank\tfilesystem\t-\t-\tyes\t/tank\n")


def test_host_check_reads_dm_crypt_and_zfs_native_encryption() -> None:
    findings = host_findings(evidence_of(devices(), "db-1"), evidence_of(zfs(ZFS_ENCRYPTED), "db-1"))
    expect(findings, HOST_CHECK, "pass", "db-1", contains="secret (dm-crypt)")
    expect(findings, HOST_CHECK, "pass", "db-1", contains="ZFS dataset tank/db (aes-256-gcm)")
    mixed = host_findings(evidence_of(devices(), "db-1"), evidence_of(zfs(ZFS_MIXED), "db-1"))
    expect(mixed, HOST_CHECK, "fail", "db-1", contains="ZFS dataset tank (/tank)")
    # pool devices without the datasets: unknown, never a pass and never a fail
    expect(host_findings(evidence_of(devices(), "db-1")), HOST_CHECK, "error", "db-1", contains="sdc1")
    absent = host_findings(evidence_of(devices(), "db-1"), evidence_of(zfs("zfs=absent\n"), "db-1"))
    expect(absent, HOST_CHECK, "manual", "db-1", contains="no zfs command")


def test_hetzner_volumes_on_dm_crypt_and_zfs_are_not_false_fails() -> None:
    seed = ProjectSeed(servers=[server(1, "db-1", ipv4="198.51.100.1", volumes=[21, 22])],
                       volumes=[volume(21, "plain-crypt", server_id=1), volume(22, "zfs-pool", server_id=1)])
    hetzner = read(seed)
    host = [evidence_of(devices(), "db-1")]
    findings = evaluate_hetzner([*hetzner, *host, evidence_of(zfs(ZFS_ENCRYPTED), "db-1")])
    expect(findings, VOLUME_CHECK, "pass", "plain-crypt", contains="(dm-crypt)")
    expect(findings, VOLUME_CHECK, "pass", "zfs-pool", contains="(ZFS)")
    expect(findings, ROOT_CHECK, "pass", "db-1", contains="encrypted by LUKS")
    unencrypted = "zfs=present\ntank\tfilesystem\toff\t-\tyes\t/tank\n"
    findings = evaluate_hetzner([*hetzner, *host, evidence_of(zfs(unencrypted), "db-1")])
    expect(findings, VOLUME_CHECK, "fail", "zfs-pool", contains="ZFS pool's datasets are not encrypted")
    expect(findings, VOLUME_CHECK, "pass", "plain-crypt")
    # which pool the device belongs to is not in the evidence: a mix cannot be judged
    findings = evaluate_hetzner([*hetzner, *host, evidence_of(zfs(ZFS_MIXED), "db-1")])
    expect(findings, VOLUME_CHECK, "manual", "zfs-pool", contains="cannot be judged")
    expect(evaluate_hetzner([*hetzner, *host]), VOLUME_CHECK, "manual", "zfs-pool")


def test_a_zfs_root_dataset_decides_the_root_disk() -> None:
    hetzner = read(ProjectSeed(servers=[server(1, "zfs-root", ipv4="198.51.100.1"),
                                        server(2, "plain-zfs-root", ipv4="198.51.100.2")]))
    members = [{"name": "sda1", "type": "part", "fstype": "zfs_member"}]
    evidence = [*hetzner, *ssh_block_devices("zfs-root", members), *ssh_block_devices("plain-zfs-root", members),
                evidence_of(zfs("zfs=present\nrpool/ROOT\tfilesystem\taes-256-gcm\tavailable\tyes\t/\n",
                                "zfs-root"), "zfs-root"),
                evidence_of(zfs("zfs=present\nrpool/ROOT\tfilesystem\toff\t-\tyes\t/\n", "plain-zfs-root"),
                            "plain-zfs-root")]
    findings = evaluate_hetzner(evidence)
    expect(findings, ROOT_CHECK, "pass", "zfs-root", contains="rpool/ROOT (aes-256-gcm)")
    expect(findings, ROOT_CHECK, "fail", "plain-zfs-root", contains="unencrypted ZFS dataset")


OK, WHY = sshd_available()


@pytest.mark.slow
@pytest.mark.skipif(not OK, reason=WHY)
def test_the_collector_reads_zfs_over_ssh(tmp_path: Path) -> None:
    answers = tmp_path / "bin-answers"
    failing = tmp_path / "bin-failing"
    for folder, body in ((answers, f"printf '%s' '{ZFS_ENCRYPTED.split(chr(10), 1)[1]}'"),
                         (failing, "echo 'cannot open /dev/zfs: Permission denied' >&2; exit 1")):
        folder.mkdir()
        (folder / "zfs").write_text(f"#!/bin/sh\n{body}\n")
        os.chmod(folder / "zfs", 0o755)
    results = {}
    for name, extra_path in (("plain", None), ("answers", answers), ("failing", failing)):
        # a Match block overrides the global SetEnv (the first global value would win)
        config = [f"Match User {getpass.getuser()}", f"SetEnv PATH={extra_path}:/usr/bin:/bin"] if extra_path else []
        with LocalSshd(extra_config=config) as sshd:
            settings = SshSettings.model_validate({"hosts": [sshd.host_config(name, connect_timeout=5)]})
            ctx = CollectContext("ssh", "test", FIXED_NOW)
            SshCollector(settings).collect(ctx)
            results[name] = next(ev for ev in ctx.close() if ev.kind == ZfsDatasets.kind)
    plain = results["plain"]
    assert plain.ok and isinstance(plain.record, ZfsDatasets)
    if not any(Path(p, "zfs").exists() for p in ("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin")):
        assert plain.record.available is False and plain.record.datasets == ()
    answered = results["answers"].record
    assert isinstance(answered, ZfsDatasets) and answered.available
    assert [d.name for d in answered.datasets] == ["tank", "tank/db", "tank/swap"]
    failed = results["failing"]
    assert not failed.ok and failed.reason is ErrorReason.PERMISSION_DENIED and "zfs list" in (failed.error or "")
