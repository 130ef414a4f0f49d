"""Typed evidence records of the SSH collector (importable without paramiko).

Other collectors and checks import these: ``ssh.block_devices`` is the join point with the
Hetzner evidence (a volume ``<id>`` appears on its server as
``/dev/disk/by-id/scsi-0HC_Volume_<id>``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from auditpack.model import Basis, EvidenceRecord

BackupKind = Literal["borg", "restic", "directory"]


class SshHostRecord(EvidenceRecord, kind="ssh.host", basis=Basis.DECLARED):
    """A host as the configuration declares it (the tool cannot observe country or provider)."""

    host: str  # configured name
    address: str
    port: int
    user: str
    country: str | None = None
    provider: str | None = None
    proxy_jump: str | None = None
    backups: int = 0


class SshConnection(EvidenceRecord, kind="ssh.connection"):
    """A verified, authenticated SSH connection to the host."""

    host: str
    server_version: str
    host_key_type: str
    host_key_fingerprint: str  # "SHA256:<base64>" like OpenSSH
    via: str | None = None  # the jump host, when used


class BlockDevice(BaseModel):
    """One block device as ``lsblk`` shows it (contract with the Hetzner join: keep the fields)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: str  # disk, part, crypt, lvm, raid1, loop, rom ...
    fstype: str | None = None
    mountpoints: tuple[str, ...] = ()
    encrypted: bool = False  # is, or sits on top of, a crypt layer (a crypto_LUKS container is encrypted)
    hetzner_volume_id: str | None = None  # from /dev/disk/by-id/scsi-0HC_Volume_<id>[-partN]
    is_root: bool = False  # backs "/"
    #: which layer encrypts it: "luks" (a crypto_LUKS header below), "dm-crypt" (a crypt mapping
    #: without a LUKS header: plain dm-crypt or a detached header); None: not encrypted, or
    #: evidence from before this field existed
    encryption: Literal["luks", "dm-crypt"] | None = None

    @property
    def zfs_member(self) -> bool:
        """A device of a ZFS pool: its encryption is a property of the pool's datasets."""
        return self.fstype == "zfs_member"


class BlockDevices(EvidenceRecord, kind="ssh.block_devices"):
    host: str
    devices: tuple[BlockDevice, ...] = ()


class ZfsDataset(BaseModel):
    """One line of ``zfs list -H -p -o name,type,encryption,keystatus,mounted,mountpoint``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: str  # filesystem | volume
    encryption: str  # "off" or the cipher (aes-256-gcm ...)
    keystatus: str | None = None  # available | unavailable; None ("-") for unencrypted datasets
    mounted: bool | None = None  # None for volumes
    mountpoint: str | None = None

    @property
    def pool(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def encrypted(self) -> bool:
        return self.encryption != "off"


class ZfsDatasets(EvidenceRecord, kind="ssh.zfs_datasets"):
    """ZFS native encryption, per dataset (lsblk only shows a pool's devices as ``zfs_member``).

    ``available`` False: the host has no ``zfs`` command, so it has no imported pool."""

    host: str
    available: bool
    datasets: tuple[ZfsDataset, ...] = ()


class SshdSettings(EvidenceRecord, kind="ssh.sshd_config"):
    """The sshd settings that matter for access control (keys and values lower-case)."""

    host: str
    source: Literal["sshd -T", "config files"]
    password_authentication: str
    kbd_interactive_authentication: str
    permit_root_login: str
    use_pam: str
    log_level: str
    defaults_assumed: tuple[str, ...] = ()  # settings absent from the files: OpenSSH's default was used
    match_values: dict[str, tuple[str, ...]] = {}  # values set inside Match blocks (conditional), by key
    settings: dict[str, str] = {}


class HostLogging(EvidenceRecord, kind="ssh.logging"):
    """State of the host's log services (``systemctl is-active``; empty: not known)."""

    host: str
    systemd: bool
    journald: str | None = None
    journald_storage: str | None = None  # Storage= from journald.conf; None: not set (default "auto")
    journal_directory: bool = False  # /var/log/journal exists
    auditd: str | None = None
    syslog: str | None = None  # rsyslog or syslog-ng


class TimeSync(EvidenceRecord, kind="ssh.time_sync"):
    host: str
    systemd: bool
    ntp_synchronized: bool | None = None  # timedatectl NTPSynchronized
    ntp_enabled: bool | None = None  # timedatectl NTP
    services: dict[str, str] = {}  # time sync service -> systemctl is-active


class Archive(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    time: datetime


class _Backup(EvidenceRecord):
    host: str
    path: str
    name: str
    max_age_hours: float | None = None  # the backup's own limit from the configuration


class BorgRepository(_Backup, kind="ssh.borg_repository"):
    """``borg info --json``: the repository, its encryption mode and sizes."""

    repository_id: str
    encryption_mode: str
    location: str | None = None
    last_modified: datetime | None = None
    total_chunks: int | None = None
    unique_csize: int | None = None


class _Archives(_Backup):
    archives: tuple[Archive, ...] = ()

    @property
    def newest(self) -> Archive | None:
        return max(self.archives, key=lambda a: a.time) if self.archives else None

    @property
    def oldest(self) -> Archive | None:
        return min(self.archives, key=lambda a: a.time) if self.archives else None


class BorgArchives(_Archives, kind="ssh.borg_archives"):
    """``borg list --json``: the archives kept (times in UTC)."""

    repository_id: str | None = None


class ResticRepository(_Backup, kind="ssh.restic_repository"):
    """``restic cat config``: the repository (restic always encrypts)."""

    repository_id: str
    version: int


class ResticSnapshots(_Archives, kind="ssh.restic_snapshots"):
    """``restic snapshots --json``: the snapshots kept (archive names are the short ids)."""


class DirectoryBackup(_Backup, kind="ssh.directory_backup"):
    """A plain directory of backup files (``find -printf``): newest and oldest file."""

    file_count: int
    total_bytes: int
    newest_file: str | None = None
    newest_mtime: datetime | None = None
    oldest_mtime: datetime | None = None
    unreadable: tuple[str, ...] = ()  # find's complaints (first few), e.g. permission denied


class BackupTest(_Backup, kind="ssh.backup_test"):
    """The most recent known test of the backup: one the collector ran (``verify = true``)
    or one recorded on the host (``test_record``: a file touched by the test job)."""

    backup_kind: BackupKind
    method: str | None = None  # None: nothing is known about a test
    tested_at: datetime | None = None
    succeeded: bool | None = None
    detail: str | None = None
