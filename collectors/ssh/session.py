"""One verified SSH connection per host (paramiko), and commands run over it with a deadline.

Host keys are always verified against the configured ``known_hosts`` (hashed ``|1|``
entries and ``[host]:port`` entries included, through paramiko's ``HostKeys``). An unknown
key raises :class:`HostKeyUnknown` with the key's ``SHA256:`` fingerprint so a person can
verify and add it; a different key than the recorded one raises :class:`HostKeyChanged`.
Nothing is ever added to ``known_hosts``.
"""

from __future__ import annotations

import base64
import hashlib
import select
import time
from collections.abc import Mapping
from dataclasses import dataclass

import paramiko

from auditpack.model import ErrorReason

from .commands import Command
from .config import SshHost

MAX_OUTPUT = 64 * 1024 * 1024  # bytes per stream; more is not a plausible answer of the allow-list


class SshError(Exception):
    """A failure to reach, verify or use a host, with the evidence error reason."""

    reason = ErrorReason.CONNECTIVITY

    def __init__(self, message: str, reason: ErrorReason | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class HostKeyUnknown(SshError):
    reason = ErrorReason.HOST_KEY


class HostKeyChanged(SshError):
    reason = ErrorReason.HOST_KEY


class CommandTimeout(SshError):
    reason = ErrorReason.TIMEOUT


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's ``SHA256:<base64 without padding>`` fingerprint of a public key."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


class _RefuseUnknownKeys(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]  # paramiko is untyped
    """Never trust a key that known_hosts does not hold: say which key it was."""

    def __init__(self, known_hosts: str, keys: paramiko.HostKeys) -> None:
        self.known_hosts = known_hosts
        self.keys = keys

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        fp = fingerprint(key)
        recorded = self.keys.lookup(hostname)
        if recorded:
            types = ", ".join(sorted(recorded.keys()))
            raise HostKeyChanged(
                f"the host key of {hostname} does not match known_hosts ({self.known_hosts}): it presented "
                f"{key.get_name()} {fp} but known_hosts holds only {types} key(s) for it: "
                "possible man-in-the-middle attack; verify the host's keys before trusting it")
        raise HostKeyUnknown(
            f"the host key of {hostname} is not in known_hosts ({self.known_hosts}): it presented "
            f"{key.get_name()} {fp}; verify this fingerprint with the host's administrator "
            f"(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host) and add the key to known_hosts")


@dataclass(frozen=True, slots=True)
class Result:
    command: Command
    exit_status: int
    stdout: bytes
    stderr: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def error_text(self) -> str:
        return self.stderr.decode("utf-8", "replace")


def parse_jump(spec: str, default_user: str) -> tuple[str, str, int]:
    """``[user@]host[:port]`` (IPv6 as ``[addr]:port``) -> (user, host, port)."""
    user, _, rest = spec.rpartition("@")
    user = user or default_user
    port = 22
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        if tail.startswith(":"):
            port = int(tail[1:])
    elif rest.count(":") == 1:
        host, _, p = rest.partition(":")
        port = int(p)
    else:
        host = rest
    if not host or not 0 < port < 65536:
        raise SshError(f"proxy_jump {spec!r} is not [user@]host[:port]", ErrorReason.CONFIGURATION)
    return user, host, port


def _load_key(host: SshHost, env: Mapping[str, str]) -> paramiko.PKey | None:
    if host.key_file is None:
        if not host.use_agent:
            raise SshError("no key_file configured and use_agent is false", ErrorReason.CONFIGURATION)
        return None
    passphrase: str | None = None
    if host.key_passphrase_env:
        passphrase = env.get(host.key_passphrase_env)
        if passphrase is None:
            raise SshError(f"the environment variable {host.key_passphrase_env} (key_passphrase_env) is not set",
                           ErrorReason.CONFIGURATION)
    try:
        return paramiko.PKey.from_path(host.key_file, password=passphrase.encode() if passphrase else None)
    except (paramiko.PasswordRequiredException, TypeError):  # TypeError: cryptography's "password was not provided"
        raise SshError(f"the key {host.key_file} is protected by a passphrase: set key_passphrase_env",
                       ErrorReason.CONFIGURATION) from None
    except FileNotFoundError:
        raise SshError(f"the key file {host.key_file} does not exist", ErrorReason.CONFIGURATION) from None
    except PermissionError:
        raise SshError(f"the key file {host.key_file} is not readable", ErrorReason.CONFIGURATION) from None
    except (paramiko.SSHException, ValueError) as exc:
        # wrong passphrase or an unsupported key format: the message names neither secret nor key
        raise SshError(f"the key {host.key_file} could not be loaded ({type(exc).__name__}: {exc}); "
                       "wrong key passphrase or unsupported key type", ErrorReason.CONFIGURATION) from None


def _known_hosts(path: str) -> paramiko.HostKeys:
    try:
        return paramiko.HostKeys(path)
    except FileNotFoundError:
        raise SshError(f"known_hosts file {path} does not exist: the host key cannot be verified",
                       ErrorReason.CONFIGURATION) from None
    except (OSError, paramiko.SSHException) as exc:
        raise SshError(f"known_hosts file {path} cannot be read: {exc}", ErrorReason.CONFIGURATION) from None


def _open(address: str, port: int, user: str, host: SshHost, key: paramiko.PKey | None,
          keys: paramiko.HostKeys, sock: paramiko.Channel | None) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    client.load_host_keys(host.known_hosts)  # read-only use: paramiko saves only when asked to
    client.set_missing_host_key_policy(_RefuseUnknownKeys(host.known_hosts, keys))
    name = known_hosts_name(address, port)
    started = time.monotonic()
    try:
        client.connect(address, port=port, username=user, pkey=key, allow_agent=host.use_agent and key is None,
                       look_for_keys=False, timeout=host.connect_timeout, banner_timeout=host.connect_timeout,
                       auth_timeout=host.connect_timeout, channel_timeout=host.connect_timeout, sock=sock)
        return client
    except SshError:
        client.close()
        raise
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyChanged(
            f"the host key of {name} has CHANGED: it presented {exc.key.get_name()} {fingerprint(exc.key)} but "
            f"known_hosts ({host.known_hosts}) records {fingerprint(exc.expected_key)}: possible man-in-the-middle "
            "attack; do not trust this host until the change is verified") from None
    except paramiko.AuthenticationException as exc:
        client.close()
        raise SshError(f"authentication as {user} on {name} failed: {exc}", ErrorReason.AUTHENTICATION) from None
    except TimeoutError:
        client.close()
        raise SshError(f"connecting to {name} timed out after {host.connect_timeout:g} s",
                       ErrorReason.TIMEOUT) from None
    except paramiko.SSHException as exc:
        client.close()
        slow = time.monotonic() - started >= host.connect_timeout * 0.9
        if slow or "banner" in str(exc).lower() or "timeout" in str(exc).lower():
            raise SshError(f"{name} accepted the connection but did not speak SSH within "
                           f"{host.connect_timeout:g} s: {exc}", ErrorReason.TIMEOUT) from None
        raise SshError(f"SSH with {name} failed: {exc}", ErrorReason.CONNECTIVITY) from None
    except OSError as exc:  # refused, unreachable, DNS
        client.close()
        raise SshError(f"cannot connect to {name}: {exc.strerror or exc}", ErrorReason.CONNECTIVITY) from None


class Session:
    """A connected host: run allow-listed commands, one channel each, over one connection."""

    def __init__(self, host: SshHost, env: Mapping[str, str]) -> None:
        self.host = host
        self.budget_end = time.monotonic() + host.host_timeout
        self.jump: paramiko.SSHClient | None = None
        keys = _known_hosts(host.known_hosts)
        key = _load_key(host, env)
        sock: paramiko.Channel | None = None
        self.via: str | None = None
        if host.proxy_jump:
            juser, jhost, jport = parse_jump(host.proxy_jump, host.user)
            self.jump = _open(jhost, jport, juser, host, key, keys, None)
            self.via = f"{juser}@{jhost}:{jport}"
            transport = self.jump.get_transport()
            assert transport is not None
            try:
                sock = transport.open_channel("direct-tcpip", (host.host, host.port), ("127.0.0.1", 0),
                                              timeout=host.connect_timeout)
            except (paramiko.SSHException, OSError) as exc:
                self.jump.close()
                raise SshError(f"the jump host {self.via} could not reach {host.host}:{host.port}: {exc}",
                               ErrorReason.CONNECTIVITY) from None
        try:
            self.client = _open(host.host, host.port, host.user, host, key, keys, sock)
        except BaseException:
            if self.jump is not None:
                self.jump.close()
            raise
        transport = self.client.get_transport()
        assert transport is not None
        self.transport = transport
        server_key = transport.get_remote_server_key()
        self.host_key_type = server_key.get_name()
        self.host_key_fingerprint = fingerprint(server_key)
        self.server_version = str(transport.remote_version)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()
        if self.jump is not None:
            self.jump.close()

    def run(self, command: Command, stdin: bytes | None = None, timeout: float | None = None) -> Result:
        """Run ``command``; write ``stdin`` (a passphrase) and close stdin at once.

        Raises :class:`CommandTimeout` after ``timeout`` seconds (default: the host's
        ``command_timeout``) and :class:`SshError` when the connection is gone.
        """
        limit = self.host.command_timeout if timeout is None else timeout
        started = time.monotonic()
        budget = self.budget_end - started
        if budget <= 0:
            raise CommandTimeout(f"{command.display} was not run: the host_timeout of {self.host.host_timeout:g} s "
                                 "for this host is spent")
        if budget < limit:
            limit = budget
        deadline = started + limit
        try:
            chan = self.transport.open_session(timeout=min(limit, self.host.connect_timeout))
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise SshError(f"cannot open a channel on {self.host.name}: {exc}", ErrorReason.CONNECTIVITY) from None
        out = bytearray()
        err = bytearray()
        try:
            chan.settimeout(max(0.1, deadline - time.monotonic()))
            # the host's own deadline a second later: the collector's timeout always wins the race
            chan.exec_command(command.bounded_line(limit + 1))
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()  # EOF on stdin: nothing ever waits for a prompt
            while True:
                while chan.recv_ready():
                    out += chan.recv(65536)
                while chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                if len(out) > MAX_OUTPUT or len(err) > MAX_OUTPUT:
                    raise SshError(f"{command.display}: output larger than {MAX_OUTPUT} bytes",
                                   ErrorReason.INVALID_RESPONSE)
                if chan.exit_status_ready() and chan.eof_received and not chan.recv_ready() \
                        and not chan.recv_stderr_ready():
                    break
                if chan.closed and not chan.recv_ready() and not chan.recv_stderr_ready():
                    if not chan.exit_status_ready():
                        raise SshError(f"{command.display}: the connection closed before the command ended",
                                       ErrorReason.CONNECTIVITY)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CommandTimeout(f"{command.display} did not finish within {limit:g} s "
                                         "(command_timeout / host_timeout)")
                readable, _, _ = select.select([chan], [], [], min(remaining, 0.5))
                if not readable:
                    chan.status_event.wait(min(0.01, max(0.0, remaining)))
                elif not chan.recv_ready() and not chan.recv_stderr_ready():
                    chan.status_event.wait(min(0.05, max(0.0, remaining)))
            return Result(command, chan.recv_exit_status(), bytes(out), bytes(err), time.monotonic() - started)
        except TimeoutError:
            raise CommandTimeout(f"{command.display} did not finish within {limit:g} s "
                                 "(command_timeout / host_timeout)") from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise SshError(f"{command.display}: connection failed: {exc}", ErrorReason.CONNECTIVITY) from None
        finally:
            chan.close()


def connect(host: SshHost, env: Mapping[str, str]) -> Session:
    return Session(host, env)
