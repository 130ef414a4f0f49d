"""The ``[ssh]`` configuration section: hosts, their backups and how to reach them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from auditpack.config import ConfigPath, ConfigProblem, Strict, entry_location, missing_file, unset_variable


class BackupTarget(Strict):
    kind: Literal["borg", "restic", "directory"]
    path: str = Field(min_length=1, description="repository or directory on the host")
    name: str | None = None
    passphrase_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    max_age_hours: float | None = Field(None, gt=0, description="overrides policy.backup_max_age_hours")
    verify: bool = Field(False, description="run a read-only integrity test (borg extract --dry-run / restic check)")
    test_record: str | None = Field(None, min_length=1, description="file on the host whose modification time is "
                                    "the last successful check or restore test (touched by the test job)")
    status_file: str | None = Field(None, min_length=1, description="restic only: resticprofile's status file on "
                                    "the host; its profile's `check` entry is the last `restic check` (time and "
                                    "success). restic itself keeps no record of checks")
    status_profile: str | None = Field(None, min_length=1, description="the resticprofile profile in status_file; "
                                       "default: the file's only profile")

    @model_validator(mode="after")
    def _one_test_source(self) -> BackupTarget:
        if self.status_file is not None and self.kind != "restic":
            raise ValueError("status_file is resticprofile's status file: only for kind = \"restic\"")
        if self.status_file is not None and self.test_record is not None:
            raise ValueError("set either test_record or status_file, not both")
        if self.status_profile is not None and self.status_file is None:
            raise ValueError("status_profile needs status_file")
        return self


class SshHost(Strict):
    name: str = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(22, ge=1, le=65535)
    user: str = Field(min_length=1)
    key_file: ConfigPath | None = None
    key_passphrase_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    use_agent: bool = False
    known_hosts: ConfigPath = "~/.ssh/known_hosts"
    proxy_jump: str | None = Field(None, description="user@host:port of a jump host (same key and known_hosts)")
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="declared ISO country of this host")
    provider: str | None = Field(None, description="declared sub-processor operating this host")
    connect_timeout: float = Field(10, gt=0)
    command_timeout: float = Field(120, gt=0)
    host_timeout: float = Field(600, gt=0, description="budget for all commands on this host; once spent, the "
                                "remaining facts are timeout errors (keeps a hung host within the run's limit)")
    sshd_config: str = Field("/etc/ssh/sshd_config", min_length=1, description="sshd's configuration file on the host")
    backups: tuple[BackupTarget, ...] = ()


class SshSettings(Strict):
    hosts: tuple[SshHost, ...] = ()
    max_workers: int = Field(8, ge=1, le=64)

    @model_validator(mode="after")
    def _unique_names(self) -> SshSettings:
        names = [h.name for h in self.hosts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:  # the name is the scope of every finding: two hosts must not share it
            raise ValueError(f"host names must be unique: {', '.join(twice)}")
        return self


def preflight(settings: SshSettings, environ: Mapping[str, str]) -> list[ConfigProblem]:
    """Key files and known_hosts files exist, passphrase variables are set."""
    problems = []
    for number, host in enumerate(settings.hosts, 1):
        where = entry_location("ssh.hosts", number, host.name)
        messages = [missing_file(host.key_file, "key_file"), missing_file(host.known_hosts, "known_hosts"),
                    unset_variable(environ, host.key_passphrase_env, "key_passphrase_env")]
        problems += [ConfigProblem(where, m) for m in messages if m]
        for index, backup in enumerate(host.backups, 1):
            message = unset_variable(environ, backup.passphrase_env, "passphrase_env")
            if message:
                problems.append(ConfigProblem(f"{where} [[backups]] #{index} (path = {backup.path!r})", message))
    return problems
