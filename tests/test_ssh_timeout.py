"""Issue 17: a remote command the collector gives up on is ended on the host too.

A real OpenSSH sshd on loopback; the "host" is this machine, so its process table shows
whether the command is still running after the collector's timeout."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from auditpack.collectors.ssh.commands import Command
from auditpack.collectors.ssh.config import SshHost
from auditpack.collectors.ssh.session import CommandTimeout, connect
from auditpack.emulators.sshd import LocalSshd, sshd_available

OK, WHY = sshd_available()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not OK, reason=WHY)]


def running(marker: str) -> list[str]:
    """Command lines of this machine's processes that contain ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            line = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in line:
            found.append(line)
    return found


def gone(marker: str, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not running(marker):
            return True
        time.sleep(0.1)
    return False


def test_a_timed_out_pipeline_is_ended_on_the_host_and_the_next_command_still_runs() -> None:
    seconds = f"{random.randint(500, 900)}.{random.randint(1000, 9999)}"  # a unique sleep to look for
    slow = Command("slow", "a slow pipeline", 'sleep "$1" | cat; echo finished', (seconds,))
    quick = Command("quick", "echo", 'echo "$1"', ("still usable",))
    with LocalSshd() as server:
        host = SshHost.model_validate(server.host_config("loop", command_timeout=60, connect_timeout=5))
        with connect(host, {}) as session:
            with pytest.raises(CommandTimeout, match="within 1 s"):
                session.run(slow, timeout=1)
            # both sides of the pipeline end on the host, without the connection closing
            assert gone(f"sleep {seconds}"), running(f"sleep {seconds}")
            answer = session.run(quick)
            assert answer.exit_status == 0 and answer.text == "still usable\n"


def test_the_deadline_does_not_change_what_a_command_answers() -> None:
    command = Command("args", "prints its arguments and exit status", 'printf "%s|" "$@"; exit 3',
                      ("a b", "$HOME", "'q'"))
    with LocalSshd() as server:
        host = SshHost.model_validate(server.host_config("loop", connect_timeout=5))
        with connect(host, {}) as session:
            result = session.run(command)
    assert result.exit_status == 3 and result.text == "a b|$HOME|'q'|"
