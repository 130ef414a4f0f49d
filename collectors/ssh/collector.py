"""SSH collector: backup servers (borg, restic, directories) and host facts over one
verified SSH connection per host.

Per host (in parallel, at most ``max_workers`` at once) it emits the declared host
(``ssh.host``) and one ``provider.use`` from the configuration, then connects (host key
verified against ``known_hosts``) and runs only the allow-listed read-only commands of
:mod:`.commands`. Each fact is its own evidence kind, so a failing command gives ``error``
evidence for exactly that fact of that host; a host that cannot be reached gives ``error``
for every fact of that host and nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from auditpack.collectors import CollectContext, Collector, fan_out
from auditpack.config import ConfigProblem
from auditpack.evidence.provider import ProviderUse
from auditpack.evidence.ssh import (
    BackupTest,
    BlockDevices,
    BorgArchives,
    BorgRepository,
    DirectoryBackup,
    HostLogging,
    ResticRepository,
    ResticSnapshots,
    SshConnection,
    SshdSettings,
    SshHostRecord,
    TimeSync,
    ZfsDatasets,
)
from auditpack.model import ErrorReason, Evidence, EvidenceRecord, Resource

from . import commands as cmd
from . import parse
from .config import BackupTarget, SshHost, SshSettings
from .config import preflight as settings_preflight

if TYPE_CHECKING:
    from .session import Result, Session

__all__ = ["SshCollector", "SshSettings"]

HOST_FACTS: tuple[type[EvidenceRecord], ...] = (BlockDevices, ZfsDatasets, SshdSettings, HostLogging, TimeSync)
BACKUP_KINDS: dict[str, tuple[type[EvidenceRecord], ...]] = {
    "borg": (BorgArchives, BorgRepository, BackupTest),
    "restic": (ResticSnapshots, ResticRepository, BackupTest),
    "directory": (DirectoryBackup, BackupTest),
}
RESOURCE_TYPES = {"borg": "borg_repository", "restic": "restic_repository", "directory": "backup_directory"}


class _FactError(Exception):
    """One fact could not be read: becomes ``error`` evidence for that fact only."""

    def __init__(self, message: str, reason: ErrorReason, raw: Any = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.raw = raw


def host_id(host: SshHost) -> str:
    return f"{host.user}@{host.host}:{host.port}"


def host_resource(host: SshHost) -> Resource:
    return Resource(provider="ssh", type="host", id=host_id(host), name=host.name, location=host.country,
                    scope=host.name)


def backup_resource(host: SshHost, backup: BackupTarget) -> Resource:
    path = backup.path if backup.path.startswith("/") else f"/{backup.path}"
    return Resource(provider="ssh", type=RESOURCE_TYPES[backup.kind], id=f"{host_id(host)}{path}",
                    name=backup.name or backup.path, location=host.country, scope=host.name)


def _raw(result: Result, parsed: Any = None) -> dict[str, Any]:
    """The command's answer as received (stdout parsed when it was JSON)."""
    return {
        "command": result.command.display,
        "exit_status": result.exit_status,
        "stdout": parsed if parsed is not None else result.text[:200_000],
        "stderr": result.error_text[-4000:],
        "seconds": round(result.seconds, 3),
    }


class SshCollector(Collector):
    id = "ssh"
    title = "SSH hosts: backup repositories (borg, restic, directories) and host facts"
    provider = "ssh"
    config_section = "ssh"
    config_model = SshSettings
    produces = (
        SshHostRecord,
        ProviderUse,
        SshConnection,
        *HOST_FACTS,
        BorgArchives,
        BorgRepository,
        ResticSnapshots,
        ResticRepository,
        DirectoryBackup,
        BackupTest,
    )
    permissions = {"ssh_commands": cmd.ALLOWED}

    @property
    def hosts(self) -> tuple[SshHost, ...]:
        settings = self.settings
        return settings.hosts if isinstance(settings, SshSettings) else ()

    def enabled(self) -> bool:
        return bool(self.hosts)

    def preflight(self, environ: Mapping[str, str]) -> list[ConfigProblem]:
        settings = self.settings
        return settings_preflight(settings, environ) if isinstance(settings, SshSettings) else []

    def scopes(self) -> list[str]:
        return [h.name for h in self.hosts] or ["global"]

    def use_shard(self, owns: Callable[[str], bool]) -> bool:
        assert isinstance(self.settings, SshSettings)
        hosts = tuple(h for h in self.hosts if owns(h.name))
        self.settings = self.settings.model_copy(update={"hosts": hosts})
        return bool(hosts)

    def secret_env_names(self) -> list[str]:
        names = set()
        for host in self.hosts:
            if host.key_passphrase_env:
                names.add(host.key_passphrase_env)
            names.update(b.passphrase_env for b in host.backups if b.passphrase_env)
        return sorted(names)

    def collect(self, ctx: CollectContext) -> None:
        assert isinstance(self.settings, SshSettings)
        env: Mapping[str, str] = ctx.environ
        hosts = self.settings.hosts
        ctx.set_total(len(hosts))

        def one(host: SshHost) -> None:
            try:
                _HostRun(ctx, host, env).run()
            finally:
                ctx.advance(host.name)

        for outcome in fan_out(one, hosts, self.settings.max_workers, name="ssh"):
            if outcome.exception is not None:  # a bug: visible as error evidence for that host
                host = outcome.item
                exc = outcome.exception
                ctx.failed(SshConnection, host_resource(host),
                           error=f"collector failed: {type(exc).__name__}: {exc}",
                           reason=ErrorReason.INTERNAL, source="ssh collector")


class _HostRun:
    def __init__(self, ctx: CollectContext, host: SshHost, env: Mapping[str, str]) -> None:
        self.ctx = ctx
        self.host = host
        self.env = env
        self.resource = host_resource(host)

    def run(self) -> None:
        host, ctx = self.host, self.ctx
        ctx.collected(
            SshHostRecord(host=host.name, address=host.host, port=host.port, user=host.user, country=host.country,
                          provider=host.provider, proxy_jump=host.proxy_jump, backups=len(host.backups)),
            self.resource, raw=host.model_dump(mode="json", exclude={"backups"}) | {
                "backups": [b.model_dump(mode="json") for b in host.backups]},
            source="configuration [[ssh.hosts]]")
        ctx.collected(
            ProviderUse(provider="ssh", provider_name=host.provider or "undeclared", scope=host.name,
                        location_type="country", declared_country=host.country, declared=True),
            self.resource, raw={"provider": host.provider, "country": host.country},
            source="configuration [[ssh.hosts]]")
        from .session import SshError, connect

        try:
            session = connect(host, self.env)
        except SshError as exc:
            self._unreachable(str(exc), exc.reason)
            return
        except Exception as exc:  # a bug or an unforeseen library error: a gap, never a pass
            self._unreachable(f"connecting failed: {type(exc).__name__}: {exc}", ErrorReason.INTERNAL)
            return
        with session:
            ctx.collected(
                SshConnection(host=host.name, server_version=session.server_version,
                              host_key_type=session.host_key_type, host_key_fingerprint=session.host_key_fingerprint,
                              via=session.via),
                self.resource, raw={"server_version": session.server_version, "host_key_type": session.host_key_type,
                                    "host_key_fingerprint": session.host_key_fingerprint, "via": session.via},
                source="ssh connect (host key verified against known_hosts)")
            self._fact(BlockDevices, self.resource, "lsblk --json; /dev/disk/by-id",
                       lambda: self._block_devices(session))
            self._fact(ZfsDatasets, self.resource, cmd.ZFS.display, lambda: self._zfs(session))
            self._fact(SshdSettings, self.resource, cmd.sshd_settings(host.sshd_config).display,
                       lambda: self._sshd(session))
            self._fact(HostLogging, self.resource, cmd.LOGGING.display, lambda: self._logging(session))
            self._fact(TimeSync, self.resource, cmd.TIME_SYNC.display, lambda: self._time_sync(session))
            for backup in host.backups:
                _BackupRun(self, session, backup).run()

    def _unreachable(self, message: str, reason: ErrorReason) -> None:
        """The host could not be reached or verified: every fact of it is an error."""
        ctx, host = self.ctx, self.host
        ctx.failed(SshConnection, self.resource, error=message, reason=reason, source="ssh connect")
        for kind in HOST_FACTS:
            ctx.failed(kind, self.resource, error=message, reason=reason, source="ssh connect")
        for backup in host.backups:
            for kind in BACKUP_KINDS[backup.kind]:
                ctx.failed(kind, backup_resource(host, backup), error=message, reason=reason, source="ssh connect")

    def _fact(self, kind: type[EvidenceRecord], resource: Resource, source: str,
              read: Callable[[], tuple[EvidenceRecord, Any]]) -> Evidence[EvidenceRecord]:
        """Run one fact's reader; emit its record, or error evidence for exactly this fact."""
        from .session import SshError

        try:
            record, raw = read()
        except _FactError as exc:
            return self.ctx.failed(kind, resource, error=self._scrub(str(exc)), reason=exc.reason, source=source,
                                   raw=exc.raw)
        except SshError as exc:
            return self.ctx.failed(kind, resource, error=self._scrub(str(exc)), reason=exc.reason, source=source)
        except parse.ParseError as exc:
            return self.ctx.failed(kind, resource, error=str(exc), reason=ErrorReason.INVALID_RESPONSE, source=source)
        except Exception as exc:  # a bug or an unforeseen answer: this fact is a gap, the others go on
            return self.ctx.failed(kind, resource, error=self._scrub(f"{type(exc).__name__}: {exc}"),
                                   reason=ErrorReason.INTERNAL, source=source)
        return self.ctx.collected(record, resource, raw=raw, source=source)

    def _scrub(self, text: str) -> str:
        for backup in self.host.backups:
            secret = self.env.get(backup.passphrase_env) if backup.passphrase_env else None
            if secret:
                text = text.replace(secret, "[redacted]")
        return text

    # -- host facts --------------------------------------------------------------------
    @staticmethod
    def _ok(result: Result, what: str) -> None:
        if result.exit_status != 0:
            lowered = result.error_text.lower()
            reason = ErrorReason.PERMISSION_DENIED if "permission denied" in lowered else (
                ErrorReason.NOT_FOUND if result.exit_status in (4, 127) else ErrorReason.INVALID_RESPONSE)
            detail = result.error_text.strip().splitlines()[-1:] or ["(no message)"]
            raise _FactError(f"{what} exited with {result.exit_status}: {detail[0][:300]}", reason, _raw(result))

    def _block_devices(self, session: Session) -> tuple[BlockDevices, Any]:
        lsblk = session.run(cmd.LSBLK)
        self._ok(lsblk, "lsblk")
        by_id = session.run(cmd.DISK_BY_ID)
        self._ok(by_id, "find /dev/disk/by-id")
        data = parse.load_json(lsblk.text, "lsblk --json")
        devices = parse.block_devices(data, parse.hetzner_volumes(by_id.text))
        return BlockDevices(host=self.host.name, devices=devices), {"lsblk": _raw(lsblk, data), "by_id": _raw(by_id)}

    def _zfs(self, session: Session) -> tuple[ZfsDatasets, Any]:
        result = session.run(cmd.ZFS)
        self._ok(result, "zfs list")
        available, datasets = parse.zfs_datasets(result.text)
        return ZfsDatasets(host=self.host.name, available=available, datasets=datasets), _raw(result)

    def _sshd(self, session: Session) -> tuple[SshdSettings, Any]:
        result = session.run(cmd.sshd_settings(self.host.sshd_config))
        self._ok(result, "sshd -T / reading the sshd configuration")
        source, settings, assumed, match_values = parse.sshd_settings(result.text)

        def get(key: str) -> str:
            return settings.get(key, parse.SSHD_DEFAULTS[key]).lower()

        record = SshdSettings(
            host=self.host.name, source=source,
            password_authentication=get("passwordauthentication"),
            kbd_interactive_authentication=get("kbdinteractiveauthentication"),
            permit_root_login=get("permitrootlogin"), use_pam=get("usepam"), log_level=get("loglevel").upper(),
            defaults_assumed=assumed, match_values=match_values, settings=settings)
        return record, _raw(result)

    def _state(self, session: Session, command: cmd.Command) -> tuple[Result, dict[str, str]]:
        """Run a ``key=value`` state script (logging, time sync)."""
        result = session.run(command)
        self._ok(result, command.display)
        values = parse.key_values(result.text)
        if "systemd" not in values:
            raise parse.ParseError(f"{command.display}: no 'systemd=' line")
        return result, values

    def _logging(self, session: Session) -> tuple[HostLogging, Any]:
        result, values = self._state(session, cmd.LOGGING)
        syslog = values.get("rsyslog") or None
        if syslog != "active" and values.get("syslog-ng"):
            syslog = values.get("syslog-ng") if values.get("syslog-ng") == "active" else syslog
        record = HostLogging(
            host=self.host.name, systemd=values["systemd"] == "yes", journald=values.get("journald") or None,
            journald_storage=(values.get("storage") or "").lower() or None,
            journal_directory=values.get("journal_directory") == "yes", auditd=values.get("auditd") or None,
            syslog=syslog)
        return record, _raw(result, values)

    def _time_sync(self, session: Session) -> tuple[TimeSync, Any]:
        result, values = self._state(session, cmd.TIME_SYNC)

        def flag(key: str) -> bool | None:
            value = values.get(key, "").lower()
            return True if value == "yes" else False if value == "no" else None

        services = {k.removeprefix("service."): v for k, v in values.items() if k.startswith("service.") and v}
        record = TimeSync(host=self.host.name, systemd=values["systemd"] == "yes",
                          ntp_synchronized=flag("NTPSynchronized"), ntp_enabled=flag("NTP"), services=services)
        return record, _raw(result, values)


class _BackupRun:
    """The facts of one configured backup (repository, archives, test)."""

    def __init__(self, host_run: _HostRun, session: Session, backup: BackupTarget) -> None:
        self.h = host_run
        self.session = session
        self.backup = backup
        self.host = host_run.host
        self.resource = backup_resource(self.host, backup)
        self.common = {"host": self.host.name, "path": backup.path, "name": backup.name or backup.path,
                       "max_age_hours": backup.max_age_hours}
        self.passphrase: bytes | None = None
        self.lock_wait = max(1, math.ceil(self.host.command_timeout) + 5)

    def run(self) -> None:
        backup = self.backup
        if backup.passphrase_env:
            secret = self.h.env.get(backup.passphrase_env)
            if secret is None:
                message = f"the environment variable {backup.passphrase_env} (passphrase_env) is not set"
                for kind in BACKUP_KINDS[backup.kind]:
                    self.h.ctx.failed(kind, self.resource, error=message, reason=ErrorReason.CONFIGURATION,
                                      source="configuration")
                return
            self.passphrase = secret.encode()
        if backup.kind == "borg":
            self._borg()
        elif backup.kind == "restic":
            self._restic()
        else:
            self._directory()

    def _test_record(self) -> tuple[BackupTest, Any]:
        """The last test recorded on the host (``test_record``), or nothing known (manual)."""
        if self.backup.test_record is None:
            return BackupTest(**self.common, backup_kind=self.backup.kind,
                              detail="set verify = true (borg, restic) or a test_record"), None
        result = self.session.run(cmd.file_mtime(self.backup.test_record))
        if result.exit_status != 0:
            reason = ErrorReason.NOT_FOUND if "no such file" in result.error_text.lower() else (
                ErrorReason.PERMISSION_DENIED if "permission denied" in result.error_text.lower()
                else ErrorReason.INVALID_RESPONSE)
            raise _FactError(f"the test record {self.backup.test_record} cannot be read: "
                             f"{result.error_text.strip()[:300]}", reason, _raw(result))
        return BackupTest(**self.common, backup_kind=self.backup.kind, method=f"test record {self.backup.test_record}",
                          tested_at=parse.epoch_time(result.text), succeeded=True,
                          detail="modification time of the test record file"), _raw(result)

    def _status_file(self) -> tuple[BackupTest, Any]:
        """The last ``restic check`` as resticprofile recorded it in its status file."""
        path = str(self.backup.status_file)
        result = self.session.run(cmd.file_text(path))
        if result.exit_status != 0:
            lowered = result.error_text.lower()
            reason = ErrorReason.NOT_FOUND if "no such file" in lowered else (
                ErrorReason.PERMISSION_DENIED if "permission denied" in lowered else ErrorReason.INVALID_RESPONSE)
            raise _FactError(f"the status file {path} cannot be read: {result.error_text.strip()[:300]}", reason,
                             _raw(result))
        profile, check = parse.resticprofile_check(result.text, self.backup.status_profile)
        method = f"restic check recorded by resticprofile ({path}, profile {profile})"
        # only the profile's check entry: the rest of the file (other profiles, backup stderr) is not evidence
        raw = {"command": result.command.display, "exit_status": result.exit_status, "profile": profile,
               "check": None if check is None else {**check, "time": check["time"].isoformat()}}
        if check is None:
            return BackupTest(**self.common, backup_kind="restic",
                              detail=f"resticprofile recorded no check for profile {profile} in {path}"), raw
        return BackupTest(**self.common, backup_kind="restic", method=method, tested_at=check["time"],
                          succeeded=check["success"], detail=check["error"] or "restic check succeeded"), raw

    # -- borg --------------------------------------------------------------------------
    def _borg_run(self, command: cmd.Command) -> tuple[Result, Any]:
        result = self.session.run(command, stdin=self.passphrase or b"")
        if result.exit_status not in (0, 1):  # 1 = finished with warnings
            reason, message, _ = parse.classify_borg(result.exit_status, result.error_text, self.passphrase is not None)
            raise _FactError(message, reason, _raw(result))
        return result, parse.load_json(result.text, command.display)

    def _borg(self) -> None:
        path = self.backup.path

        def archives() -> tuple[BorgArchives, Any]:
            result, data = self._borg_run(cmd.borg_list(path, self.lock_wait))
            items, repo_id, _mode = parse.borg_archives(data)
            return BorgArchives(**self.common, repository_id=repo_id, archives=items), _raw(result, data)

        def repository() -> tuple[BorgRepository, Any]:
            result, data = self._borg_run(cmd.borg_info(path, self.lock_wait))
            return BorgRepository(**self.common, **parse.borg_repository(data)), _raw(result, data)

        listed = self.h._fact(BorgArchives, self.resource, cmd.borg_list(path, 0).display, archives)
        self.h._fact(BorgRepository, self.resource, cmd.borg_info(path, 0).display, repository)

        def test() -> tuple[BackupTest, Any]:
            if not self.backup.verify:
                return self._test_record()
            if not isinstance(listed.record, BorgArchives):
                raise _FactError(f"the newest archive to test is unknown: {listed.error}",
                                 listed.reason or ErrorReason.INTERNAL)
            newest = listed.record.newest
            if newest is None:
                return BackupTest(**self.common, backup_kind="borg",
                                  detail="the repository has no archive to test"), None
            command = cmd.borg_extract_dry_run(path, newest.name, self.lock_wait)
            result = self.session.run(command, stdin=self.passphrase or b"")
            if result.exit_status in (0, 1):
                return BackupTest(**self.common, backup_kind="borg", method=command.display,
                                  tested_at=self.h.ctx.now, succeeded=True,
                                  detail=f"read and verified every chunk of archive {newest.name}"), _raw(result)
            reason, message, msgids = parse.classify_borg(result.exit_status, result.error_text,
                                                          self.passphrase is not None)
            if msgids & parse.BORG_INTEGRITY:
                return BackupTest(**self.common, backup_kind="borg", method=command.display,
                                  tested_at=self.h.ctx.now, succeeded=False, detail=message), _raw(result)
            raise _FactError(message, reason, _raw(result))

        self.h._fact(BackupTest, self.resource, "borg extract --dry-run" if self.backup.verify
                     else "test record", test)

    # -- restic ------------------------------------------------------------------------
    def _restic_run(self, command: cmd.Command) -> tuple[Result, Any]:
        if self.passphrase is None:
            raise _FactError("restic repositories are always encrypted: set passphrase_env for this backup",
                             ErrorReason.CONFIGURATION)
        result = self.session.run(command, stdin=self.passphrase)
        if result.exit_status != 0:
            reason, message = parse.classify_restic(result.exit_status, result.error_text)
            raise _FactError(message, reason, _raw(result))
        return result, parse.load_json(result.text, command.display)

    def _restic(self) -> None:
        path = self.backup.path

        def snapshots() -> tuple[ResticSnapshots, Any]:
            result, data = self._restic_run(cmd.restic_snapshots(path))
            return ResticSnapshots(**self.common, archives=parse.restic_snapshots(data)), _raw(result, data)

        def repository() -> tuple[ResticRepository, Any]:
            result, data = self._restic_run(cmd.restic_config(path))
            repo_id, version = parse.restic_config(data)
            return ResticRepository(**self.common, repository_id=repo_id, version=version), _raw(result, data)

        self.h._fact(ResticSnapshots, self.resource, cmd.restic_snapshots(path).display, snapshots)
        self.h._fact(ResticRepository, self.resource, cmd.restic_config(path).display, repository)

        def test() -> tuple[BackupTest, Any]:
            if not self.backup.verify:
                return self._status_file() if self.backup.status_file else self._test_record()
            command = cmd.restic_check(path)
            if self.passphrase is None:
                raise _FactError("set passphrase_env to let restic check the repository", ErrorReason.CONFIGURATION)
            result = self.session.run(command, stdin=self.passphrase)
            if result.exit_status == 0:
                return BackupTest(**self.common, backup_kind="restic", method=command.display,
                                  tested_at=self.h.ctx.now, succeeded=True, detail="no errors were found"), _raw(result)
            if "repository contains errors" in result.error_text.lower():
                return BackupTest(**self.common, backup_kind="restic", method=command.display,
                                  tested_at=self.h.ctx.now, succeeded=False,
                                  detail=parse._last_lines(result.error_text)), _raw(result)
            reason, message = parse.classify_restic(result.exit_status, result.error_text)
            raise _FactError(message, reason, _raw(result))

        self.h._fact(BackupTest, self.resource, "restic check" if self.backup.verify else (
            f"cat {self.backup.status_file}" if self.backup.status_file else "test record"), test)

    # -- directory ---------------------------------------------------------------------
    def _directory(self) -> None:
        path = self.backup.path

        def stats() -> tuple[DirectoryBackup, Any]:
            command = cmd.directory_stats(path)
            result = self.session.run(command)
            if result.exit_status != 0:
                lowered = result.error_text.lower()
                reason = ErrorReason.NOT_FOUND if result.exit_status == 4 else (
                    ErrorReason.PERMISSION_DENIED if "permission denied" in lowered else ErrorReason.INVALID_RESPONSE)
                raise _FactError(f"{command.display}: {result.error_text.strip()[:300] or result.exit_status}",
                                 reason, _raw(result))
            values = parse.directory_stats(result.text)
            complaints = tuple(line.strip()[:200] for line in result.error_text.splitlines() if line.strip())[:10]
            return DirectoryBackup(**self.common, **values, unreadable=complaints), _raw(result)

        self.h._fact(DirectoryBackup, self.resource, cmd.directory_stats(path).display, stats)
        self.h._fact(BackupTest, self.resource, "test record", self._test_record)
