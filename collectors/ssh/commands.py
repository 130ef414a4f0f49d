"""The fixed allow-list of read-only commands run on audited hosts.

Every remote command is one of the scripts below, run as ``sh -c '<script>' sh <args>``:
the script text is constant, and every value from the configuration (a repository path,
an archive name) reaches it only as a positional argument quoted with :func:`shlex.quote`.
The user's login shell therefore only ever sees quoted words, whatever it is.

Secrets never appear here: a borg passphrase is written to the command's stdin and read by
borg through ``BORG_PASSPHRASE_FD=0``; restic reads its password from ``/dev/stdin``
(``--password-file``). Stdin is closed right after, so nothing can wait for a prompt.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

# C locale for parseable output, UTC so borg's zone-less times are UTC, sbin for sshd/lsblk.
_PRELUDE = 'export LC_ALL=C LANG=C TZ=UTC PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"; '
_BORG_ENV = ("export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes "
             "BORG_DISPLAY_PASSPHRASE=no BORG_PASSPHRASE_FD=0; unset BORG_PASSPHRASE BORG_PASSCOMMAND; ")
_RESTIC = "exec restic --no-lock --no-cache --password-file /dev/stdin -r \"$1\" "


@dataclass(frozen=True, slots=True)
class Command:
    """One remote command: ``display`` names it in provenance (no secrets, no script)."""

    name: str
    display: str
    script: str
    args: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        """The command line without a deadline on the host (see :meth:`bounded_line`)."""
        words = ["sh", "-c", _PRELUDE + self.script, "sh", *self.args]
        return " ".join(shlex.quote(w) for w in words)

    def bounded_line(self, seconds: float) -> str:
        """The exact command line sent to the host: the script under ``timeout`` (coreutils,
        busybox) when the host has it, so a command the collector gives up on is ended on
        the host too (TERM to its whole process group, KILL 2 s later), not left running
        and holding a repository lock. Without ``timeout`` the script runs as before."""
        words = ["sh", "-c", _BOUNDED, "sh", f"{max(seconds, 0.1):.1f}", _PRELUDE + self.script, "sh", *self.args]
        return " ".join(shlex.quote(w) for w in words)


#: $1 = seconds, then the script and its positional arguments (``sh -c SCRIPT sh ARGS``)
_BOUNDED = ('s=$1; shift; if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 "$s" sh -c "$@"; fi; '
            'exec sh -c "$@"')


def borg_list(repo: str, lock_wait: int) -> Command:
    return Command("borg_list", f"borg list --json {repo}",
                   _BORG_ENV + 'exec borg --log-json --lock-wait "$2" list --json -- "$1"', (repo, str(lock_wait)))


def borg_info(repo: str, lock_wait: int) -> Command:
    return Command("borg_info", f"borg info --json {repo}",
                   _BORG_ENV + 'exec borg --log-json --lock-wait "$2" info --json -- "$1"', (repo, str(lock_wait)))


def borg_extract_dry_run(repo: str, archive: str, lock_wait: int) -> Command:
    return Command("borg_extract_dry_run", f"borg extract --dry-run {repo}::{archive}",
                   _BORG_ENV + 'exec borg --log-json --lock-wait "$3" extract --dry-run -- "$1::$2"',
                   (repo, archive, str(lock_wait)))


def restic_snapshots(repo: str) -> Command:
    return Command("restic_snapshots", f"restic -r {repo} snapshots --json", _RESTIC + "--json snapshots", (repo,))


def restic_config(repo: str) -> Command:
    return Command("restic_config", f"restic -r {repo} cat config", _RESTIC + "cat config", (repo,))


def restic_check(repo: str) -> Command:
    return Command("restic_check", f"restic -r {repo} check", _RESTIC + "check", (repo,))


# Tab-separated: count, bytes, newest mtime, oldest mtime, newest file (relative path).
_DIRECTORY = (
    '[ -d "$1" ] || { echo "no such directory: $1" >&2; exit 4; }; '
    'find "$1" -xdev -type f -printf "%T@\\t%s\\t%P\\n" | '
    "awk -F '\\t' 'BEGIN { n = 0; s = 0 } "
    '{ n++; s += $2; if (n == 1 || $1 > m) { m = $1; f = $3 } if (n == 1 || $1 < o) { o = $1 } } '
    'END { printf "%d\\t%.0f\\t%s\\t%s\\t%s\\n", n, s, m, o, f }\''
)


def directory_stats(path: str) -> Command:
    return Command("directory", f"find {path} -type f (newest, count, size)", _DIRECTORY, (path,))


def file_text(path: str) -> Command:
    return Command("status_file", f"cat {path}", 'exec cat -- "$1"', (path,))


def file_mtime(path: str) -> Command:
    return Command("test_record", f"stat -c %Y {path}", 'exec stat -c %Y -- "$1"', (path,))


LSBLK = Command(
    "lsblk", "lsblk --json -b -o NAME,KNAME,TYPE,FSTYPE,MOUNTPOINTS,SIZE",
    "lsblk --json -b -o NAME,KNAME,TYPE,FSTYPE,MOUNTPOINTS,SIZE 2>/dev/null "
    "|| exec lsblk --json -b -o NAME,KNAME,TYPE,FSTYPE,MOUNTPOINT,SIZE",
)

DISK_BY_ID = Command(
    "disk_by_id", "find /dev/disk/by-id -name 'scsi-0HC_Volume_*'",
    "[ -d /dev/disk/by-id ] || exit 0; "
    "exec find /dev/disk/by-id -maxdepth 1 -name 'scsi-0HC_Volume_*' -printf '%f\\t%l\\n'",
)

#: ZFS native encryption is per dataset, invisible to lsblk (a pool's devices are "zfs_member")
ZFS = Command(
    "zfs", "zfs list -H -p -t filesystem,volume -o name,type,encryption,keystatus,mounted,mountpoint",
    'command -v zfs >/dev/null 2>&1 || { echo "zfs=absent"; exit 0; }; echo "zfs=present"; '
    "exec zfs list -H -p -t filesystem,volume -o name,type,encryption,keystatus,mounted,mountpoint",
)


def sshd_settings(config_file: str) -> Command:
    """``sshd -T`` (needs root on most hosts) when permitted, then the config file and its
    Include files, each after a ``### file <path>`` line (for the ``Match`` blocks, which
    ``sshd -T`` does not show, and as the fallback)."""
    script = (
        'if out=$(sshd -T -f "$1" 2>/dev/null); then echo "### sshd -T"; printf "%s\\n" "$out"; t=1; else t=0; fi; '
        'if [ ! -r "$1" ]; then [ $t = 1 ] && exit 0; '
        'echo "cannot read $1 (and sshd -T is not permitted)" >&2; exit 4; fi; '
        'echo "### file $1"; cat -- "$1"; '
        "for pat in $(sed -n 's/^[[:space:]]*[Ii][Nn][Cc][Ll][Uu][Dd][Ee][[:space:]][[:space:]]*//p' \"$1\"); do "
        'case $pat in /*) ;; *) pat="/etc/ssh/$pat" ;; esac; '
        'for f in $pat; do if [ -f "$f" ] && [ -r "$f" ]; then echo "### file $f"; cat -- "$f"; fi; done; '
        "done; exit 0"
    )
    return Command("sshd", f"sshd -T -f {config_file}; cat {config_file} and its Include files", script,
                   (config_file,))


LOGGING = Command(
    "logging", "systemctl is-active systemd-journald auditd rsyslog; journald.conf Storage=",
    'if command -v systemctl >/dev/null 2>&1; then echo "systemd=yes"; else echo "systemd=no"; fi; '
    'st() { systemctl is-active "$1" 2>/dev/null | head -n 1; }; '
    'echo "journald=$(st systemd-journald)"; echo "auditd=$(st auditd)"; '
    'echo "rsyslog=$(st rsyslog)"; echo "syslog-ng=$(st syslog-ng)"; '
    'if [ -d /var/log/journal ]; then echo "journal_directory=yes"; else echo "journal_directory=no"; fi; '
    "s=$(cat /etc/systemd/journald.conf /usr/lib/systemd/journald.conf.d/*.conf /etc/systemd/journald.conf.d/*.conf "
    "/run/systemd/journald.conf.d/*.conf 2>/dev/null | sed -n 's/^[[:space:]]*Storage[[:space:]]*=[[:space:]]*//p' "
    '| tail -n 1); echo "storage=$s"',
)

TIME_SYNC_SERVICES = ("systemd-timesyncd", "chrony", "chronyd", "ntp", "ntpd", "ntpsec", "openntpd")

TIME_SYNC = Command(
    "time_sync", "timedatectl show -p NTP -p NTPSynchronized; systemctl is-active <time services>",
    'if command -v systemctl >/dev/null 2>&1; then echo "systemd=yes"; else echo "systemd=no"; fi; '
    "timedatectl show -p NTP -p NTPSynchronized 2>/dev/null; "
    f"for s in {' '.join(TIME_SYNC_SERVICES)}; do "
    'echo "service.$s=$(systemctl is-active "$s" 2>/dev/null | head -n 1)"; done; exit 0',
)

#: What the collector may run, for the permissions declaration and the docs.
ALLOWED = (
    "borg list --json <repo>",
    "borg info --json <repo>",
    "borg extract --dry-run <repo>::<newest archive> (only with verify = true)",
    "restic snapshots --json (--no-lock --no-cache)",
    "restic cat config",
    "restic check (only with verify = true)",
    "find <dir> -xdev -type f -printf (directory backups)",
    "stat -c %Y <test_record>",
    "cat <status_file> (resticprofile's status file, restic backups only)",
    LSBLK.display,
    DISK_BY_ID.display,
    ZFS.display,
    "sshd -T -f <sshd_config>; cat of the config and its Include files",
    LOGGING.display,
    TIME_SYNC.display,
)
