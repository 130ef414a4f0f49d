"""Turn the allow-listed commands' output into records: pure functions, no I/O.

Every parser raises :class:`ParseError` when the output is not what the command prints,
so a surprising answer becomes ``error`` evidence (``invalid_response``), never a guess.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from auditpack.evidence.ssh import Archive, BlockDevice, ZfsDataset
from auditpack.model import ErrorReason


class ParseError(ValueError):
    pass


def load_json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{what} did not print JSON ({exc.msg} at line {exc.lineno})") from None


def utc_time(value: Any, what: str) -> datetime:
    """An ISO time from borg/restic; zone-less times are UTC (the commands run with TZ=UTC)."""
    if not isinstance(value, str):
        raise ParseError(f"{what}: time {value!r} is not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ParseError(f"{what}: time {value!r} is not ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# --- borg -------------------------------------------------------------------------------

_BORG_REASONS: dict[str, ErrorReason] = {
    "PassphraseWrong": ErrorReason.AUTHENTICATION,
    "NoPassphraseFailure": ErrorReason.AUTHENTICATION,
    "PasscommandFailure": ErrorReason.AUTHENTICATION,
    "PasswordRetriesExceeded": ErrorReason.AUTHENTICATION,
    "KeyfileNotFoundError": ErrorReason.AUTHENTICATION,
    "KeyfileInvalidError": ErrorReason.AUTHENTICATION,
    "Repository.DoesNotExist": ErrorReason.NOT_FOUND,
    "Repository.InvalidRepository": ErrorReason.NOT_FOUND,
    "Repository.ParentPathDoesNotExist": ErrorReason.NOT_FOUND,
    "Archive.DoesNotExist": ErrorReason.NOT_FOUND,
    "LockTimeout": ErrorReason.TIMEOUT,
    "LockFailed": ErrorReason.PERMISSION_DENIED,
}
BORG_INTEGRITY = frozenset({"IntegrityError", "Repository.ObjectNotFound", "Repository.CheckNeeded",
                            "Repository.IntegrityError", "ArchiveTAMInvalid", "TAMInvalid"})


def borg_messages(stderr: str) -> list[dict[str, Any]]:
    """The ``--log-json`` lines of borg's stderr (other lines are ignored)."""
    out = []
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                item = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(item, dict):
                out.append(item)
    return out


def classify_borg(exit_status: int, stderr: str, passphrase_configured: bool) -> tuple[ErrorReason, str, set[str]]:
    """Why a borg command failed: (reason, one-line message, borg msgids)."""
    messages = borg_messages(stderr)
    msgids = {str(m.get("msgid")) for m in messages if m.get("msgid")}
    errors = [str(m.get("message", "")).strip() for m in messages if m.get("levelname") in ("ERROR", "CRITICAL")]
    text = "; ".join(e for e in errors if e) or _last_lines(stderr)
    if exit_status == 127:
        return ErrorReason.NOT_FOUND, "borg is not installed on the host (exit 127)", msgids
    reason = next((_BORG_REASONS[m] for m in sorted(msgids) if m in _BORG_REASONS), None)
    if reason is ErrorReason.AUTHENTICATION and not passphrase_configured:
        text += " (the repository is encrypted: set passphrase_env for this backup)"
    if reason is None:
        lowered = stderr.lower()
        if "permission denied" in lowered:
            reason = ErrorReason.PERMISSION_DENIED
        elif "does not exist" in lowered or "no such file" in lowered:
            reason = ErrorReason.NOT_FOUND
        else:
            reason = ErrorReason.INVALID_RESPONSE
    return reason, f"borg exited with {exit_status}: {text}", msgids


_CHECKPOINT = re.compile(r"\.checkpoint(\.\d+)?$")


def borg_archives(data: Any) -> tuple[tuple[Archive, ...], str | None, str | None]:
    """``borg list --json`` -> (archives, repository id, encryption mode)."""
    if not isinstance(data, dict) or not isinstance(data.get("archives"), list):
        raise ParseError("borg list --json: no 'archives' list")
    archives = []
    for item in data["archives"]:
        if not isinstance(item, dict) or "name" not in item:
            raise ParseError("borg list --json: an archive without a name")
        if _CHECKPOINT.search(str(item["name"])):
            continue  # a partial archive of an interrupted run (borg < 1.2 lists them): not a backup
        archives.append(Archive(name=str(item["name"]), time=utc_time(item.get("time", item.get("start")),
                                                                     "borg list --json")))
    repo = data.get("repository")
    enc = data.get("encryption")
    repo = repo if isinstance(repo, dict) else {}
    enc = enc if isinstance(enc, dict) else {}
    archives.sort(key=lambda a: (a.time, a.name))
    return tuple(archives), _str(repo.get("id")), _str(enc.get("mode"))


def borg_repository(data: Any) -> dict[str, Any]:
    """``borg info --json`` (repository level) -> BorgRepository fields."""
    if not isinstance(data, dict):
        raise ParseError("borg info --json: not an object")
    repo = data.get("repository")
    enc = data.get("encryption")
    if not isinstance(repo, dict) or not repo.get("id"):
        raise ParseError("borg info --json: no repository id")
    if not isinstance(enc, dict) or not enc.get("mode"):
        raise ParseError("borg info --json: no encryption mode")
    cache = data.get("cache")
    stats = cache.get("stats") if isinstance(cache, dict) else None
    stats = stats if isinstance(stats, dict) else {}
    last = repo.get("last_modified")
    return {
        "repository_id": str(repo["id"]),
        "encryption_mode": str(enc["mode"]),
        "location": _str(repo.get("location")),
        "last_modified": utc_time(last, "borg info --json") if last else None,
        "total_chunks": _int(stats.get("total_chunks")),
        "unique_csize": _int(stats.get("unique_csize")),
    }


# --- restic -----------------------------------------------------------------------------

def classify_restic(exit_status: int, stderr: str) -> tuple[ErrorReason, str]:
    text = _last_lines(stderr)
    lowered = stderr.lower()
    if exit_status == 127:
        return ErrorReason.NOT_FOUND, "restic is not installed on the host (exit 127)"
    if "wrong password" in lowered or "no key found" in lowered:
        return ErrorReason.AUTHENTICATION, f"restic exited with {exit_status}: {text}"
    if "permission denied" in lowered:
        return ErrorReason.PERMISSION_DENIED, f"restic exited with {exit_status}: {text}"
    if "no such file" in lowered or "is there a repository" in lowered or "does not exist" in lowered:
        return ErrorReason.NOT_FOUND, f"restic exited with {exit_status}: {text}"
    return ErrorReason.INVALID_RESPONSE, f"restic exited with {exit_status}: {text}"


def restic_snapshots(data: Any) -> tuple[Archive, ...]:
    if not isinstance(data, list):
        raise ParseError("restic snapshots --json: not a list")
    out = []
    for item in data:
        if not isinstance(item, dict):
            raise ParseError("restic snapshots --json: a snapshot is not an object")
        name = item.get("short_id") or str(item.get("id", ""))[:8]
        out.append(Archive(name=str(name), time=utc_time(item.get("time"), "restic snapshots --json")))
    out.sort(key=lambda a: (a.time, a.name))
    return tuple(out)


def restic_config(data: Any) -> tuple[str, int]:
    if not isinstance(data, dict) or not data.get("id") or not isinstance(data.get("version"), int):
        raise ParseError("restic cat config: no id and version")
    return str(data["id"]), int(data["version"])


# --- directories ------------------------------------------------------------------------

def directory_stats(stdout: str) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ParseError("find/awk summary: expected one line")
    parts = lines[0].split("\t", 4)
    if len(parts) != 5:
        raise ParseError("find/awk summary: expected five fields")
    count_s, size_s, newest_s, oldest_s, newest_file = parts
    try:
        count, size = int(count_s), int(float(size_s))
        newest = _epoch(newest_s) if count else None
        oldest = _epoch(oldest_s) if count else None
    except ValueError:
        raise ParseError(f"find/awk summary: not numbers: {lines[0][:80]!r}") from None
    return {"file_count": count, "total_bytes": size, "newest_mtime": newest, "oldest_mtime": oldest,
            "newest_file": newest_file or None if count else None}


def _epoch(text: str) -> datetime:
    return datetime.fromtimestamp(float(text), UTC)


def epoch_time(stdout: str) -> datetime:
    try:
        return _epoch(stdout.strip())
    except ValueError:
        raise ParseError(f"stat -c %Y: not a number: {stdout.strip()[:40]!r}") from None


# --- block devices ----------------------------------------------------------------------

_HC_VOLUME = re.compile(r"^scsi-0HC_Volume_(\d+)(?:-part\d+)?$")


def hetzner_volumes(by_id: str) -> dict[str, str]:
    """``<link name>\\t<target>`` lines of /dev/disk/by-id -> kernel name -> Hetzner volume id."""
    out: dict[str, str] = {}
    for line in by_id.splitlines():
        name, _, target = line.strip().partition("\t")
        match = _HC_VOLUME.match(name)
        if match and target:
            out[target.rstrip("/").rsplit("/", 1)[-1]] = match.group(1)
    return out


def block_devices(data: Any, volumes: Mapping[str, str]) -> tuple[BlockDevice, ...]:
    """``lsblk --json`` (tree) -> devices; ``encrypted`` is inherited down from a crypt layer.

    A device reached through several parents (RAID over two disks) is encrypted only when
    every path to it is. A crypt mapping over a ``crypto_LUKS`` device is LUKS; over a device
    without a filesystem signature it is dm-crypt without a LUKS header (plain mode or a
    detached header), and that device, holding only the cipher text of its crypt mappings,
    counts as encrypted like a LUKS container does.
    """
    if not isinstance(data, dict) or not isinstance(data.get("blockdevices"), list):
        raise ParseError("lsblk --json: no 'blockdevices' list")
    seen: dict[str, dict[str, Any]] = {}
    order: list[str] = []

    def walk(node: Any, scheme_above: str | None, parent_fstype: str | None) -> None:
        if not isinstance(node, dict) or not node.get("name"):
            raise ParseError("lsblk --json: a device without a name")
        name = str(node["name"])
        dtype = str(node.get("type") or "")
        fstype = _str(node.get("fstype"))
        children = node.get("children") or ()
        if not isinstance(children, (list, tuple)):
            raise ParseError(f"lsblk --json: the children of {name} are not a list")
        scheme = scheme_above
        if scheme is None:
            if fstype == "crypto_LUKS":
                scheme = "luks"
            elif dtype == "crypt":
                scheme = "luks" if parent_fstype == "crypto_LUKS" else "dm-crypt"
            elif fstype is None and children and all(isinstance(c, dict) and c.get("type") == "crypt"
                                                     for c in children):
                scheme = "dm-crypt"  # only cipher text: the raw device below a headerless crypt mapping
        mounts = node.get("mountpoints", [node.get("mountpoint")])
        mountpoints = tuple(str(m) for m in (mounts if isinstance(mounts, list) else [mounts]) if m)
        kname = str(node.get("kname") or name)
        if name in seen:
            if seen[name]["encryption"] != scheme:
                seen[name]["encryption"] = None
            seen[name]["encrypted"] = seen[name]["encryption"] is not None
        else:
            order.append(name)
            seen[name] = {"name": name, "type": dtype, "fstype": fstype, "mountpoints": mountpoints,
                          "encrypted": scheme is not None, "encryption": scheme,
                          "hetzner_volume_id": volumes.get(kname) or volumes.get(name),
                          "is_root": "/" in mountpoints}
        for child in children:
            walk(child, scheme, fstype)

    for top in data["blockdevices"]:
        walk(top, None, None)
    return tuple(BlockDevice(**seen[name]) for name in order)


def zfs_datasets(text: str) -> tuple[bool, tuple[ZfsDataset, ...]]:
    """The ZFS command's output -> (zfs installed, datasets). The first line says whether
    ``zfs`` exists; then ``zfs list -H -p`` lines: name, type, encryption, keystatus,
    mounted, mountpoint, tab-separated ("-" = not applicable)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() not in ("zfs=absent", "zfs=present"):
        raise ParseError("zfs list: unexpected output")
    if lines[0].strip() == "zfs=absent":
        return False, ()
    datasets = []
    for line in lines[1:]:
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 6:
            raise ParseError(f"zfs list: a line with {len(fields)} fields instead of 6")
        name, dtype, encryption, keystatus, mounted, mountpoint = (f.strip() for f in fields)
        if not name or not encryption or encryption == "-":
            raise ParseError(f"zfs list: no encryption property for {name or 'a dataset'}")
        datasets.append(ZfsDataset(
            name=name, type=dtype, encryption=encryption, keystatus=None if keystatus == "-" else keystatus,
            mounted=True if mounted == "yes" else False if mounted == "no" else None,
            mountpoint=None if mountpoint in ("-", "none", "legacy") else mountpoint))
    return True, tuple(datasets)


# --- sshd -------------------------------------------------------------------------------

#: OpenSSH's compiled-in defaults for the settings the checks read (sshd_config(5)).
SSHD_DEFAULTS = {
    "passwordauthentication": "yes",
    "kbdinteractiveauthentication": "yes",
    "permitrootlogin": "prohibit-password",
    "usepam": "no",
    "loglevel": "INFO",
}
_ALIASES = {"challengeresponseauthentication": "kbdinteractiveauthentication"}


def sshd_settings(stdout: str) -> tuple[str, dict[str, str], tuple[str, ...], dict[str, tuple[str, ...]]]:
    """``sshd -T`` output and/or config files after ``### file <path>`` lines ->
    (source, settings with lower-case keys, keys whose OpenSSH default was assumed, values
    set inside ``Match`` blocks of the files). ``sshd -T`` wins when present."""
    lines = stdout.splitlines()
    if not lines or not lines[0].startswith("### "):
        raise ParseError("sshd settings: unexpected output")
    effective: dict[str, str] | None = None
    files: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.strip() == "### sshd -T":
            effective = {}
        elif line.startswith("### file "):
            files.append((line[len("### file "):].strip(), []))
        elif files:
            files[-1][1].append(line)
        elif effective is not None:
            key, _, value = line.strip().partition(" ")
            if key:
                effective.setdefault(_ALIASES.get(key.lower(), key.lower()), value.strip())
    matches: dict[str, list[str]] = {}
    from_files: dict[str, str] = {}
    if files:
        _apply(files[0][1], files, from_files, matches, depth=0)
    match_values = {k: tuple(v) for k, v in sorted(matches.items())}
    if effective is not None:
        if "passwordauthentication" not in effective:
            raise ParseError("sshd -T: no passwordauthentication line")
        return "sshd -T", effective, (), match_values
    if not files:
        raise ParseError("sshd settings: no configuration file")
    assumed = tuple(sorted(k for k in SSHD_DEFAULTS if k not in from_files))
    for key in assumed:
        from_files[key] = SSHD_DEFAULTS[key]
    return "config files", from_files, assumed, match_values


def _apply(lines: Iterable[str], files: list[tuple[str, list[str]]], settings: dict[str, str],
           matches: dict[str, list[str]], depth: int) -> None:
    """First value wins (as in sshd); after a ``Match`` line the rest of the file is
    conditional: its values go to ``matches``."""
    in_match = False
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = re.split(r"[\s=]+", line, maxsplit=1)
        key = _ALIASES.get(parts[0].lower(), parts[0].lower())
        value = parts[1].strip().strip('"') if len(parts) > 1 else ""
        if key == "match":
            in_match = True
        elif in_match:
            matches.setdefault(key, []).append(value.lower())
        elif key == "include":
            if depth > 4:
                continue
            for pattern in value.split():
                absolute = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
                for path, body in files[1:]:
                    if fnmatch.fnmatchcase(path, absolute):
                        _apply(body, files, settings, matches, depth + 1)
        else:
            settings.setdefault(key, value)


def key_values(stdout: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


# --- helpers ----------------------------------------------------------------------------

def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _last_lines(text: str, limit: int = 3) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("{")]
    return " / ".join(lines[-limit:])[:500] or "(no message)"


def resticprofile_check(text: str, profile: str | None) -> tuple[str, dict[str, Any] | None]:
    """resticprofile's status file -> (profile name, its ``check`` entry or None when no check
    was recorded). The file is ``{"profiles": {name: {"backup": {...}, "check": {"success":
    bool, "time": ISO, "error": str}}}}``; without ``profile`` the file must hold exactly one."""
    data = load_json(text, "resticprofile status file")
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, dict):
        raise ParseError("resticprofile status file: no 'profiles' object")
    if profile is None:
        if len(profiles) != 1:
            raise ParseError(f"resticprofile status file: {len(profiles)} profiles ({', '.join(sorted(profiles))}); "
                             "set status_profile")
        profile = next(iter(profiles))
    entry = profiles.get(profile)
    if not isinstance(entry, dict):
        raise ParseError(f"resticprofile status file: no profile {profile!r}")
    check = entry.get("check")
    if check is None:
        return profile, None
    if not isinstance(check, dict) or not isinstance(check.get("success"), bool):
        raise ParseError(f"resticprofile status file: the check entry of {profile!r} has no success flag")
    return profile, {"success": check["success"], "time": utc_time(check.get("time"), "resticprofile status file"),
                     "error": str(check.get("error") or "")}

