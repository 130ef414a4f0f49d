"""A throwaway OpenSSH server on loopback, and borg/restic repositories with backdated archives.

Used by the tests, the SSH benchmark and ``auditpack demo``: everything the SSH collector
reads comes from a real ``sshd`` and real ``borg``/``restic`` binaries, never from fakes.

    with LocalSshd() as server:
        repo = server.make_borg_repo("app", "repokey", [now - timedelta(hours=3)], "s3cret")
        # config: host=server.host, port=server.port, user=server.user,
        #         key_file=server.key_file, known_hosts=server.known_hosts

The server logs in the *current* user (no ``useradd``): as root it allows
``PermitRootLogin prohibit-password``. Every file lives in one temporary folder that is
removed on exit; the ``sshd`` process is stopped on exit, also after an exception.
Sessions get ``BORG_BASE_DIR`` and ``XDG_CACHE_HOME`` inside that folder (``SetEnv``), so
borg's key, security and cache folders of the user are never touched.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from . import lifeline

__all__ = [
    "LocalSshd",
    "borg_env",
    "demo_backup_server",
    "free_port",
    "hold_borg_lock",
    "make_borg_repo",
    "make_restic_repo",
    "sshd_available",
    "sshd_binary",
]

BORG_ENCRYPTIONS = ("repokey", "repokey-blake2", "keyfile", "keyfile-blake2", "none",
                    "authenticated", "authenticated-blake2")


def sshd_binary() -> str | None:
    """The absolute path of OpenSSH's ``sshd`` (it refuses to re-exec from a relative path)."""
    for candidate in (shutil.which("sshd"), "/usr/sbin/sshd", "/usr/local/sbin/sshd"):
        if candidate and os.path.isabs(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def sshd_available(*tools: str) -> tuple[bool, str]:
    """Whether a local sshd can run here (plus the given tools, e.g. "borg", "restic").

    Returns ``(False, reason)`` with a sentence a skip message can show.
    """
    if sshd_binary() is None:
        return False, "OpenSSH sshd is not installed (Debian: apt-get install openssh-server)"
    if shutil.which("ssh-keygen") is None:
        return False, "ssh-keygen is not installed (Debian: apt-get install openssh-client)"
    if os.geteuid() == 0 and not os.path.isdir("/run/sshd"):
        try:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        except OSError as exc:
            return False, f"sshd needs its privilege separation directory /run/sshd: {exc}"
    for tool in tools:
        if shutil.which(tool) is None:
            package = "borgbackup" if tool == "borg" else tool
            return False, f"{tool} is not installed (Debian: apt-get install {package})"
    return True, ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process we started in its own session (SIGTERM, then SIGKILL) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _keygen(path: Path, comment: str, key_type: str = "ed25519", passphrase: str = "") -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", key_type, "-N", passphrase, "-C", comment, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return path.with_suffix(".pub").read_text().strip()


class LocalSshd:
    """A real ``sshd`` on ``127.0.0.1:<free port>`` for the current user, in a temp folder.

    Attributes once started: ``host``, ``port``, ``user``, ``key_file`` (the client's private
    ed25519 key, no passphrase unless ``key_passphrase`` is given), ``known_hosts`` (with a
    ``[127.0.0.1]:port`` entry of the generated host key), ``host_public_key``, ``workdir``,
    ``sshd_config`` (the server's own config file: pass it as the host's ``sshd_config``
    to audit this server's settings) and ``env`` (the environment to run borg/restic locally
    against this server's repositories: its ``BORG_BASE_DIR``).
    """

    def __init__(self, *, extra_config: Sequence[str] = (), key_type: str = "ed25519",
                 key_passphrase: str | None = None, directory: str | os.PathLike[str] | None = None,
                 start_timeout: float = 15.0) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.user = getpass.getuser()
        self.extra_config = tuple(extra_config)
        self.key_type = key_type
        self.key_passphrase = key_passphrase
        self.start_timeout = start_timeout
        self._parent = directory
        self._proc: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._owns_dir = False
        self.workdir = Path()
        self.key_file = ""
        self.known_hosts = ""
        self.sshd_config = ""
        self.host_public_key = ""
        self.env: dict[str, str] = {}

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> LocalSshd:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        ok, why = sshd_available()
        if not ok:
            raise RuntimeError(why)
        self.workdir = Path(tempfile.mkdtemp(prefix="auditpack-sshd-", dir=self._parent))
        self._owns_dir = True
        try:
            self._prepare()
            for _attempt in range(5):  # another process may take the free port first
                self.port = free_port()
                if self._launch():
                    break
            else:
                raise RuntimeError(f"sshd did not start: {self.log_text()[-2000:]}")
            self.known_hosts = str(self.workdir / "known_hosts")
            Path(self.known_hosts).write_text(f"[{self.host}]:{self.port} {self.host_public_key}\n")
        except BaseException:
            self.stop()
            raise

    def _prepare(self) -> None:
        work = self.workdir
        os.chmod(work, 0o755)
        (work / "borg-base").mkdir()
        (work / "cache").mkdir()
        (work / "data").mkdir()
        host_key = work / "ssh_host_ed25519_key"
        pub = _keygen(host_key, "auditpack-test-host")
        self.host_public_key = " ".join(pub.split()[:2])
        client_key = work / f"client_{self.key_type}"
        authorized = _keygen(client_key, "auditpack-test-client", self.key_type, self.key_passphrase or "")
        (work / "authorized_keys").write_text(authorized + "\n")
        os.chmod(work / "authorized_keys", 0o600)
        self.key_file = str(client_key)
        self.env = {"BORG_BASE_DIR": str(work / "borg-base"), "XDG_CACHE_HOME": str(work / "cache")}

    def _write_config(self) -> Path:
        work = self.workdir
        root = os.geteuid() == 0
        lines = [
            f"Port {self.port}",
            f"ListenAddress {self.host}",
            f"HostKey {work / 'ssh_host_ed25519_key'}",
            f"PidFile {work / 'sshd.pid'}",
            f"AuthorizedKeysFile {work / 'authorized_keys'}",
            f"AllowUsers {self.user}",
            "StrictModes no",
            "UsePAM no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            f"PermitRootLogin {'prohibit-password' if root else 'no'}",
            "AllowTcpForwarding yes",
            "PrintMotd no",
            "MaxStartups 64:30:128",
            "MaxSessions 32",
            "LogLevel INFO",
            f"SetEnv BORG_BASE_DIR={self.env['BORG_BASE_DIR']} XDG_CACHE_HOME={self.env['XDG_CACHE_HOME']}",
            *self.extra_config,
        ]
        config = work / "sshd_config"
        config.write_text("\n".join(lines) + "\n")
        self.sshd_config = str(config)
        return config

    def _launch(self) -> bool:
        sshd = sshd_binary()
        assert sshd is not None
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        config = self._write_config()
        log = open(self.workdir / "sshd.log", "ab")  # noqa: SIM115 - closed when the process ends
        try:
            self._proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdin=subprocess.DEVNULL,
                                          stdout=log, stderr=log, start_new_session=True,
                                          preexec_fn=lifeline.parent_death_signal())  # noqa: PLW1509
        finally:
            log.close()
        self._watchdog = lifeline.start_watchdog(self._proc.pid)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                self._proc = None
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    sock.settimeout(2)
                    if sock.recv(4).startswith(b"SSH-"):
                        return True
            except OSError:
                time.sleep(0.05)
        self._stop_process()
        return False

    def log_text(self) -> str:
        try:
            return (self.workdir / "sshd.log").read_text(errors="replace")
        except OSError:
            return ""

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _stop_group(proc)
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:  # it ends by itself once the group is gone
            try:
                watchdog.wait(5)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()

    def stop(self) -> None:
        self._stop_process()
        if self._owns_dir and self.workdir != Path():
            shutil.rmtree(self.workdir, ignore_errors=True)
            self._owns_dir = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- configuration for the collector -----------------------------------------------
    def host_config(self, name: str, **extra: Any) -> dict[str, Any]:
        """An ``[[ssh.hosts]]`` entry reaching this server (``extra`` adds or overrides keys,
        e.g. ``backups=[...]``, ``country=``, ``provider=``)."""
        return {"name": name, "host": self.host, "port": self.port, "user": self.user, "key_file": self.key_file,
                "known_hosts": self.known_hosts, "sshd_config": self.sshd_config, **extra}

    def host_toml(self, name: str, backups: Sequence[Mapping[str, Any]] = (), **extra: Any) -> str:
        """The same entry as TOML text, ready to append to a configuration file."""
        lines = ["[[ssh.hosts]]"]
        lines += [f"{key} = {_toml_value(value)}" for key, value in self.host_config(name, **extra).items()]
        for backup in backups:
            lines += ["", "[[ssh.hosts.backups]]"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in backup.items()]
        return "\n".join(lines) + "\n"

    # -- repositories on this server ---------------------------------------------------
    def path(self, name: str) -> str:
        """A path inside this server's data folder (where repositories go)."""
        return str(self.workdir / "data" / name)

    def make_borg_repo(self, name: str, encryption: str, archive_times: Iterable[datetime],
                       passphrase: str | None = None) -> str:
        return make_borg_repo(self.path(name), encryption, archive_times, passphrase,
                              base_dir=self.env["BORG_BASE_DIR"])

    def make_restic_repo(self, name: str, password: str, snapshot_times: Iterable[datetime]) -> str:
        return make_restic_repo(self.path(name), password, snapshot_times, cache_dir=self.env["XDG_CACHE_HOME"])

    def make_directory(self, name: str, files: Mapping[str, datetime]) -> str:
        """A plain directory backup: ``files`` maps relative names to modification times."""
        root = Path(self.path(name))
        root.mkdir(parents=True, exist_ok=True)
        for rel, mtime in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"backup file {rel}\n")
            os.utime(target, (mtime.timestamp(), mtime.timestamp()))
        return str(root)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


# --- borg and restic --------------------------------------------------------------------

def borg_env(base_dir: str | None = None, passphrase: str | None = None) -> dict[str, str]:
    """The environment for running borg locally, non-interactively (a subprocess's only)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BORG_")}
    env.update({"BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK": "yes", "BORG_RELOCATED_REPO_ACCESS_IS_OK": "yes",
                "BORG_DISPLAY_PASSPHRASE": "no", "TZ": "UTC", "LC_ALL": "C"})
    if base_dir:
        env["BORG_BASE_DIR"] = base_dir
    if passphrase is not None:
        env["BORG_PASSPHRASE"] = passphrase
    return env


def _run(argv: Sequence[str], env: Mapping[str, str], cwd: str | None = None) -> None:
    proc = subprocess.run(list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True)
    if proc.returncode not in (0,):
        message = proc.stderr.decode(errors="replace")[-800:]
        raise RuntimeError(f"{argv[0]} {argv[1]} failed ({proc.returncode}): {message}")


def _utc_stamp(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("archive times must be timezone-aware")
    return moment.astimezone(UTC)


@contextlib.contextmanager
def _source_tree() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="auditpack-src-") as src:
        Path(src, "customers.csv").write_text("id,name\n1,example\n")
        Path(src, "app.conf").write_text("setting = 1\n")
        yield src


def make_borg_repo(path: str | os.PathLike[str], encryption: str, archive_times: Iterable[datetime],
                   passphrase: str | None = None, *, base_dir: str | None = None) -> str:
    """Create a borg repository at ``path`` with one archive per time (``borg create --timestamp``).

    ``encryption``: one of :data:`BORG_ENCRYPTIONS` ("repokey", "none", "authenticated", ...).
    The passphrase reaches borg through the subprocess's environment only.
    """
    if encryption not in BORG_ENCRYPTIONS:
        raise ValueError(f"unknown borg encryption {encryption!r}")
    repo = str(path)
    env = borg_env(base_dir, passphrase if passphrase is not None else "")
    Path(repo).parent.mkdir(parents=True, exist_ok=True)
    _run(["borg", "init", "--encryption", encryption, "--make-parent-dirs", repo], env)
    with _source_tree() as src:
        for i, moment in enumerate(sorted(_utc_stamp(t) for t in archive_times)):
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
            _run(["borg", "create", "--timestamp", stamp, f"{repo}::backup-{i:04d}-{stamp}", "."], env, cwd=src)
    return repo


def make_restic_repo(path: str | os.PathLike[str], password: str, snapshot_times: Iterable[datetime],
                     *, cache_dir: str | None = None) -> str:
    """Create a restic repository with one snapshot per time (``restic backup --time``)."""
    repo = str(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTIC_")}
    env.update({"RESTIC_PASSWORD": password, "TZ": "UTC", "LC_ALL": "C"})
    if cache_dir:
        env["XDG_CACHE_HOME"] = cache_dir
    _run(["restic", "-r", repo, "init", "--quiet"], env)
    with _source_tree() as src:
        for moment in sorted(_utc_stamp(t) for t in snapshot_times):
            _run(["restic", "-r", repo, "backup", "--quiet", "--no-cache", "--host", "auditpack-test",
                  "--time", moment.strftime("%Y-%m-%d %H:%M:%S"), "."], env, cwd=src)
    return repo


@contextlib.contextmanager
def hold_borg_lock(repo: str, *, base_dir: str | None = None) -> Iterator[None]:
    """Hold the repository's exclusive lock (``borg with-lock``) until the block ends, as a
    running backup does: readers then wait for the lock."""
    env = borg_env(base_dir)
    proc = subprocess.Popen(["borg", "with-lock", repo, "sleep", "3600"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        lock_dir = Path(repo, "lock.exclusive")
        deadline = time.monotonic() + 15
        while not lock_dir.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("borg with-lock did not take the lock")
            time.sleep(0.05)
        yield
    finally:
        _stop_group(proc)
        # a killed holder leaves its lock behind; a running backup would release it
        shutil.rmtree(Path(repo, "lock.exclusive"), ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            Path(repo, "lock.roster").unlink()


def demo_backup_server(stack: contextlib.ExitStack, now: datetime, *, name: str = "backup-1",
                       country: str = "DE", provider: str = "Hetzner Online",
                       passphrase_env: str = "DEMO_BORG_PASSPHRASE") -> tuple[str, dict[str, str], str]:
    """The demo company's backup server: a loopback sshd with a fresh encrypted borg
    repository (daily archives, verified at every run) and a forgotten unencrypted one whose
    last archive is nine days old.

    Stops with ``stack``. Returns (the ``[[ssh.hosts]]`` TOML, the environment the run needs
    (the repository passphrase under ``passphrase_env``), a one-line note).
    """
    import secrets

    server = stack.enter_context(LocalSshd())
    passphrase = secrets.token_urlsafe(24)
    app = server.make_borg_repo("app", "repokey-blake2",
                                [now - timedelta(days=d) for d in range(7, 0, -1)] + [now - timedelta(hours=3)],
                                passphrase)
    legacy = server.make_borg_repo("legacy", "none", [now - timedelta(days=d) for d in (40, 25, 9)])
    toml = server.host_toml(name, [
        {"kind": "borg", "path": app, "name": "app", "passphrase_env": passphrase_env, "verify": True},
        {"kind": "borg", "path": legacy, "name": "legacy-exports"},
    ], country=country, provider=provider, connect_timeout=5, command_timeout=60)
    note = (f"SSH: backup server {name} (OpenSSH on 127.0.0.1:{server.port}) with borg repositories "
            "app and legacy-exports")
    return toml, {passphrase_env: passphrase}, note
