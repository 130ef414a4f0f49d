"""Checks over SSH evidence: backup servers (borg, restic, directories) and host facts.

Pure functions of the evidence, the policy and ``ctx.now``. Evidence that could not be
collected never reaches them (the engine turns it into ``error`` findings).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from auditpack.checks import CheckContext, SomeEvidence, Verdict, check, errored, failed, manual, not_applicable, passed
from auditpack.evidence.ssh import (
    Archive,
    BackupTest,
    BlockDevice,
    BlockDevices,
    BorgArchives,
    BorgRepository,
    DirectoryBackup,
    HostLogging,
    ResticRepository,
    ResticSnapshots,
    SshdSettings,
    SshHostRecord,
    TimeSync,
    ZfsDatasets,
)
from auditpack.geo import Placement, residency
from auditpack.model import Basis, Measure, Severity

ARCHIVES = (BorgArchives, ResticSnapshots, DirectoryBackup)
#: borg modes that encrypt (``none`` and ``authenticated*`` only sign, they do not encrypt)
BORG_ENCRYPTING = frozenset({"repokey", "repokey-blake2", "keyfile", "keyfile-blake2",
                             "repokey-aes-ocb", "repokey-chacha20-poly1305", "repokey-blake2-aes-ocb",
                             "repokey-blake2-chacha20-poly1305", "keyfile-aes-ocb", "keyfile-chacha20-poly1305",
                             "keyfile-blake2-aes-ocb", "keyfile-blake2-chacha20-poly1305"})
BORG_NOT_ENCRYPTING = frozenset({"none", "authenticated", "authenticated-blake2"})
CLOCK_SKEW = timedelta(hours=1)  # a newest backup further in the future than this is a clock problem
NOT_DATA_MOUNTS = ("/boot", "/boot/efi")
NOT_DATA_TYPES = frozenset({"loop", "rom"})


def _age(now: datetime, then: datetime) -> str:
    hours = (now - then).total_seconds() / 3600
    return f"{hours:.1f} h" if abs(hours) < 72 else f"{hours / 24:.1f} days"


def _what(ev: SomeEvidence) -> str:
    return f"{ev.resource.name or ev.resource.id} on {ev.resource.scope}"


def _newest_oldest(rec: BorgArchives | ResticSnapshots | DirectoryBackup) -> tuple[
        datetime | None, datetime | None, int, str]:
    """(newest, oldest, count, noun) for any of the archive-like records."""
    if isinstance(rec, DirectoryBackup):
        return rec.newest_mtime, rec.oldest_mtime, rec.file_count, "file"
    newest: Archive | None = rec.newest
    oldest: Archive | None = rec.oldest
    noun = "archive" if isinstance(rec, BorgArchives) else "snapshot"
    return (newest.time if newest else None, oldest.time if oldest else None, len(rec.archives), noun)


@check(basis=Basis.OBSERVED, title="Backups on SSH backup servers are recent", measure=Measure.BACKUPS, needs=ARCHIVES,
       severity=Severity.HIGH,
       remediation="Find out why the backup job stopped (cron/systemd timer, borg/restic logs, disk space) and "
                   "run it; alert on backup failures.")
def backups_ssh_backup_recent(ctx: CheckContext) -> Iterable[Verdict]:
    for ev in ctx.evidence.of(*ARCHIVES):
        rec = ev.fact
        newest, _oldest, count, noun = _newest_oldest(rec)
        limit = rec.max_age_hours or ctx.policy.backup_max_age_hours
        details = {"count": count, "newest": newest.isoformat() if newest else None, "max_age_hours": limit}
        if newest is None:
            yield failed(ev, f"{_what(ev)} holds no {noun}: there is no backup.", details=details)
        elif newest - ctx.now > CLOCK_SKEW:
            yield errored(ev, f"The newest {noun} of {_what(ev)} is dated {newest.isoformat()}, in the future: "
                              "check the clocks of the backup client and server.", details=details)
        elif ctx.now - newest <= timedelta(hours=limit):
            yield passed(ev, f"The newest {noun} of {_what(ev)} is {_age(ctx.now, newest)} old (limit {limit:g} h); "
                             f"{count} {noun}(s) kept.", details=details)
        else:
            yield failed(ev, f"The newest {noun} of {_what(ev)} is {_age(ctx.now, newest)} old, older than the "
                             f"limit of {limit:g} h; {count} {noun}(s) kept.", details=details)


@check(basis=Basis.OBSERVED,
       title="Backup repositories on SSH backup servers are encrypted", measure=Measure.ENCRYPTION_AT_REST,
       needs=(BorgRepository, ResticRepository), severity=Severity.HIGH,
       remediation="Create a new encrypted repository (borg init --encryption repokey-blake2 or keyfile-blake2), "
                   "move the backup job to it and delete the unencrypted one after its retention.")
def encryption_at_rest_ssh_backup_repository_encrypted(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(BorgRepository, ResticRepository):
        if isinstance(rec, ResticRepository):
            yield passed(ev, f"The restic repository {_what(ev)} is encrypted (restic always encrypts; "
                             f"repository version {rec.version}).", details={"version": rec.version})
            continue
        mode = rec.encryption_mode
        if mode in BORG_ENCRYPTING:
            yield passed(ev, f"The borg repository {_what(ev)} is encrypted (mode {mode}).", details={"mode": mode})
        elif mode in BORG_NOT_ENCRYPTING:
            why = "no encryption" if mode == "none" else "only authenticated, not encrypted"
            yield failed(ev, f"The borg repository {_what(ev)} uses encryption mode {mode}: {why}.",
                         details={"mode": mode})
        else:
            yield errored(ev, f"The borg repository {_what(ev)} reports the unknown encryption mode {mode!r}.",
                          details={"mode": mode})


def scheme(device: BlockDevice) -> str:
    """How a device is encrypted, for messages (evidence from before ``encryption`` existed
    only says "a crypt layer")."""
    if device.encryption == "luks" or (device.encryption is None and device.fstype == "crypto_LUKS"):
        return "LUKS"
    return "dm-crypt" if device.encryption == "dm-crypt" else "a crypt layer"


def zfs_of(ctx: CheckContext) -> dict[tuple[str, str], ZfsDatasets]:
    """The hosts' ZFS datasets by (scope, host), joined to their block devices."""
    return {(ev.resource.scope or "", rec.host): rec for ev, rec in ctx.evidence.records(ZfsDatasets)}


@check(basis=Basis.OBSERVED, title="Data disks of SSH hosts are encrypted (LUKS, dm-crypt, ZFS)",
       measure=Measure.ENCRYPTION_AT_REST,
       needs=(BlockDevices,), optional=(ZfsDatasets,), severity=Severity.HIGH,
       remediation="Put the data on an encrypted volume: cryptsetup luksFormat a new volume (or a ZFS dataset "
                   "created with -o encryption=on), move the data, wipe the old disk.")
def encryption_at_rest_ssh_host_data_disks_encrypted(ctx: CheckContext) -> Iterable[Verdict]:
    zfs = zfs_of(ctx)
    for ev, rec in ctx.evidence.records(BlockDevices):
        data = [d for d in rec.devices if d.type not in NOT_DATA_TYPES
                and any(m not in NOT_DATA_MOUNTS for m in d.mountpoints)]
        members = [d.name for d in rec.devices if d.zfs_member]
        pools = zfs.get((ev.resource.scope or "", rec.host))
        datasets = pools.datasets if pools is not None else ()
        details = {"devices": [{"name": d.name, "mountpoints": list(d.mountpoints), "encrypted": d.encrypted,
                                "encryption": d.encryption, "hetzner_volume_id": d.hetzner_volume_id} for d in data],
                   "zfs_members": members,
                   "zfs_datasets": [{"name": z.name, "encryption": z.encryption, "mountpoint": z.mountpoint}
                                    for z in datasets]}
        plain = [d for d in data if not d.encrypted]
        plain_zfs = [z for z in datasets if not z.encrypted]
        if plain or plain_zfs:
            shown = [f"{d.name} ({' '.join(d.mountpoints)}"
                     f"{', Hetzner volume ' + d.hetzner_volume_id if d.hetzner_volume_id else ''})" for d in plain]
            shown += [f"ZFS dataset {z.name}{' (' + z.mountpoint + ')' if z.mountpoint else ''}" for z in plain_zfs]
            yield failed(ev, f"{rec.host} has data without encryption: {', '.join(shown)}.", details=details)
            continue
        if members and (pools is None or not pools.available):
            if pools is None:
                yield errored(ev, f"{rec.host} has ZFS pool devices ({', '.join(members)}) but its ZFS datasets "
                                  "could not be read, so their encryption is unknown.", details=details)
            else:
                yield manual(ev, f"{rec.host} has ZFS pool devices ({', '.join(members)}) but no zfs command for "
                                 "the audit user: whether the pool's datasets are encrypted cannot be read.",
                             details=details)
            continue
        if not data and not datasets:
            yield manual(ev, f"No mounted block device is visible on {rec.host} (a container?): disk encryption "
                             "cannot be read from the host.", details=details)
            continue
        parts = [f"{d.name} ({scheme(d)})" for d in data]
        parts += [f"ZFS dataset {z.name} ({z.encryption})" for z in datasets]
        yield passed(ev, f"Every data device of {rec.host} is encrypted: {', '.join(parts)}.", details=details)


@check(basis=Basis.OBSERVED,
       title="Backups on SSH backup servers are tested", measure=Measure.BACKUP_TESTING, needs=(BackupTest,),
       remediation="Set verify = true for the backup (borg extract --dry-run / restic check at every run), or "
                   "let the restore-test job touch a test_record file after each successful test.")
def backup_testing_ssh_backup_tested_recently(ctx: CheckContext) -> Iterable[Verdict]:
    limit = ctx.policy.backup_test_max_age_days
    for ev, rec in ctx.evidence.records(BackupTest):
        details = {"method": rec.method, "tested_at": rec.tested_at.isoformat() if rec.tested_at else None,
                   "max_age_days": limit}
        if rec.method is None or rec.tested_at is None:
            yield manual(ev, f"No test of {_what(ev)} is known ({rec.detail or 'nothing recorded'}): attach a "
                             "restore-test record.", details=details)
        elif rec.succeeded is False:
            yield failed(ev, f"The test of {_what(ev)} found problems ({rec.method}): {rec.detail}.",
                         details=details, severity=Severity.HIGH)
        elif ctx.now - rec.tested_at <= timedelta(days=limit):
            yield passed(ev, f"{_what(ev)} was tested {_age(ctx.now, rec.tested_at)} ago ({rec.method}), "
                             f"within {limit} days.", details=details)
        else:
            yield failed(ev, f"The last test of {_what(ev)} was {_age(ctx.now, rec.tested_at)} ago ({rec.method}), "
                             f"longer than {limit} days.", details=details)


@check(basis=Basis.OBSERVED,
       title="sshd does not accept passwords", measure=Measure.ACCESS_CONTROL, needs=(SshdSettings,),
       severity=Severity.HIGH,
       remediation="Set 'PasswordAuthentication no' and 'KbdInteractiveAuthentication no' in sshd_config and "
                   "reload sshd; use keys.")
def access_control_sshd_password_authentication_disabled(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(SshdSettings):
        details = {"source": rec.source, "passwordauthentication": rec.password_authentication,
                   "kbdinteractiveauthentication": rec.kbd_interactive_authentication, "usepam": rec.use_pam,
                   "defaults_assumed": list(rec.defaults_assumed)}
        note = "" if rec.source == "sshd -T" else " (read from the config files, not the effective settings)"
        pam = rec.use_pam == "yes" or "yes" in rec.match_values.get("usepam", ())
        if rec.password_authentication != "no":
            yield failed(ev, f"sshd on {rec.host} accepts passwords (PasswordAuthentication "
                             f"{rec.password_authentication}){note}.", details=details)
        elif rec.kbd_interactive_authentication != "no" and rec.use_pam == "yes":
            yield failed(ev, f"sshd on {rec.host} can accept passwords through keyboard-interactive PAM "
                             f"(KbdInteractiveAuthentication {rec.kbd_interactive_authentication}, UsePAM yes){note}.",
                         details=details)
        elif "yes" in rec.match_values.get("passwordauthentication", ()) or (
                pam and "yes" in rec.match_values.get("kbdinteractiveauthentication", ())):
            yield failed(ev, f"sshd on {rec.host} accepts passwords for some connections: a Match block enables "
                             "password or keyboard-interactive authentication.", details=details)
        else:
            yield passed(ev, f"sshd on {rec.host} does not accept passwords (PasswordAuthentication no){note}.",
                         details=details)


@check(basis=Basis.OBSERVED, title="sshd does not let root log in with a password", measure=Measure.ACCESS_CONTROL,
       needs=(SshdSettings,), severity=Severity.HIGH,
       remediation="Set 'PermitRootLogin prohibit-password' (or 'no') in sshd_config and reload sshd.")
def access_control_sshd_root_login_restricted(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(SshdSettings):
        value = rec.permit_root_login
        details = {"source": rec.source, "permitrootlogin": value,
                   "assumed_default": "permitrootlogin" in rec.defaults_assumed,
                   "in_match_blocks": list(rec.match_values.get("permitrootlogin", ()))}
        if value == "yes":
            yield failed(ev, f"sshd on {rec.host} lets root log in with any method, passwords included "
                             "(PermitRootLogin yes).", details=details)
        elif value not in ("no", "prohibit-password", "without-password", "forced-commands-only"):
            yield errored(ev, f"sshd on {rec.host} reports the unknown PermitRootLogin value {value!r}.",
                          details=details)
        elif "yes" in rec.match_values.get("permitrootlogin", ()):
            yield failed(ev, f"sshd on {rec.host} lets root log in with a password for some connections "
                             "(PermitRootLogin yes in a Match block).", details=details)
        else:
            yield passed(ev, f"sshd on {rec.host} does not let root log in with a password (PermitRootLogin {value}).",
                         details=details)


def _active(state: str | None) -> bool:
    return state == "active"


@check(basis=Basis.OBSERVED,
       title="SSH hosts keep their logs persistently", measure=Measure.ACCESS_LOGGING, needs=(HostLogging,),
       remediation="Make the journal persistent (mkdir /var/log/journal, Storage=persistent in journald.conf) or "
                   "run auditd/rsyslog, and forward logs off the host.")
def access_logging_ssh_host_logs_persistent(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(HostLogging):
        storage = rec.journald_storage or "auto"
        journal_persistent = _active(rec.journald) and (
            storage == "persistent" or (storage == "auto" and rec.journal_directory))
        kept = [name for name, ok in (("journald (persistent)", journal_persistent), ("auditd", _active(rec.auditd)),
                                      ("syslog", _active(rec.syslog))) if ok]
        details = {"journald": rec.journald, "storage": storage, "journal_directory": rec.journal_directory,
                   "auditd": rec.auditd, "syslog": rec.syslog}
        if kept:
            yield passed(ev, f"{rec.host} keeps logs persistently: {', '.join(kept)}.", details=details)
        elif not rec.systemd or not any((rec.journald, rec.auditd, rec.syslog)):
            yield manual(ev, f"The log services of {rec.host} cannot be read (no systemd answer): show how its logs "
                             "are kept.", details=details)
        else:
            why = "journald is not active" if not _active(rec.journald) else (
                f"the journal is volatile (Storage={storage}"
                f"{'' if rec.journal_directory else ', no /var/log/journal'})")
            yield failed(ev, f"{rec.host} keeps no persistent logs: {why}, and neither auditd nor syslog is active.",
                         details=details)


@check(basis=Basis.OBSERVED,
       title="SSH hosts synchronise their clocks", measure=Measure.ACCESS_LOGGING, needs=(TimeSync,),
       remediation="Enable time synchronisation (timedatectl set-ntp true, or install chrony).")
def access_logging_ssh_host_time_synchronised(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(TimeSync):
        active = sorted(name for name, state in rec.services.items() if state == "active")
        details = {"ntp_synchronized": rec.ntp_synchronized, "ntp_enabled": rec.ntp_enabled, "active": active}
        if rec.ntp_synchronized is True:
            yield passed(ev, f"The clock of {rec.host} is synchronised (NTPSynchronized=yes).", details=details)
        elif rec.ntp_synchronized is False:
            yield failed(ev, f"The clock of {rec.host} is not synchronised (NTPSynchronized=no"
                             f"{', services: ' + ', '.join(active) if active else ', no time service active'}).",
                         details=details)
        elif active:
            yield passed(ev, f"{rec.host} runs time synchronisation ({', '.join(active)}).", details=details)
        elif rec.systemd and any(state for state in rec.services.values()):
            yield failed(ev, f"{rec.host} runs no time synchronisation service.", details=details)
        else:
            yield manual(ev, f"The time synchronisation of {rec.host} cannot be read (no systemd answer): "
                             "show how its clock is synchronised.", details=details)


@check(basis=Basis.DECLARED,
       title="SSH hosts are declared in an allowed country", measure=Measure.EEA_RESIDENCY, needs=(SshHostRecord,),
       severity=Severity.HIGH,
       remediation="Declare the host's country (country = \"DE\") from the provider's contract, or move the "
                   "data to a host inside the allowed area.")
def eea_residency_ssh_host_declared_country_allowed(ctx: CheckContext) -> Iterable[Verdict]:
    for ev, rec in ctx.evidence.records(SshHostRecord):
        if rec.country is None:
            yield manual(ev, f"No country is declared for {rec.host}: the tool cannot see where a host is; "
                             "declare it and keep the provider's contract as evidence.")
            continue
        verdict = residency(rec.country, ctx.policy.residency)
        details = {"country": rec.country, "placement": str(verdict.placement), "policy": ctx.policy.residency,
                   "declared": True}
        message = f"{rec.host} is declared to be in {rec.country}: {verdict.explanation}"
        if verdict.allowed is True:
            yield passed(ev, f"{message} (declared in the configuration, not observed).", details=details)
        elif verdict.allowed is False:
            yield failed(ev, f"{message}.", details=details)
        elif verdict.placement is Placement.CONDITIONAL:
            yield manual(ev, f"{message}.", details=details)
        else:
            yield errored(ev, f"The declared country {rec.country!r} of {rec.host} is not a known country code.",
                          details=details)


@check(basis=Basis.OBSERVED,
       title="Backups are not kept longer than the DPA's deletion deadline", measure=Measure.DELETION_ON_TERMINATION,
       needs=ARCHIVES,
       remediation="Prune older archives (borg prune / restic forget --prune / delete old files) so nothing is "
                   "kept longer than the deletion deadline.")
def deletion_on_termination_ssh_backup_retention_within_deadline(ctx: CheckContext) -> Iterable[Verdict]:
    days = ctx.policy.deletion_days
    if days is None:
        return  # no DPA sets a deadline: nothing to judge
    for ev in ctx.evidence.of(*ARCHIVES):
        _newest, oldest, count, noun = _newest_oldest(ev.fact)
        details = {"deletion_days": days, "oldest": oldest.isoformat() if oldest else None, "count": count}
        if oldest is None:
            yield not_applicable(ev, f"{_what(ev)} holds no {noun}: nothing is retained.", details=details)
        elif ctx.now - oldest <= timedelta(days=days):
            yield passed(ev, f"The oldest {noun} of {_what(ev)} is {_age(ctx.now, oldest)} old, within the deletion "
                             f"deadline of {days} days.", details=details)
        else:
            yield failed(ev, f"The oldest {noun} of {_what(ev)} is {_age(ctx.now, oldest)} old: backups are kept "
                             f"longer than the deletion deadline of {days} days.", details=details)
