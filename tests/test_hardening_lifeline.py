"""Issue 11: ``auditpack demo`` killed with SIGKILL leaves no emulated server running.

The demo's HTTP emulators (moto, Hetzner, TLS) are threads of its own process; sshd is a
child process and must go with it (parent-death signal plus a watchdog)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditpack.emulators import lifeline
from auditpack.emulators.sshd import sshd_available


def _children(pid: int) -> dict[int, str]:
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out[int(entry.name)] = comm
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_gone(pids: list[int], seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    return [p for p in pids if _alive(p)]


@pytest.mark.slow
@pytest.mark.skipif(not sshd_available("borg")[0], reason="sshd and borg are needed for the demo's backup server")
def test_sigkilled_demo_leaves_no_server_running(tmp_path: Path) -> None:
    env = {**os.environ, "AUDITPACK_HISTORY": str(tmp_path / "h.sqlite")}
    proc = subprocess.Popen([sys.executable, "-m", "auditpack.cli", "demo", "--out", str(tmp_path / "pack")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    seen, deadline = "", time.monotonic() + 180
    while "event=started" not in seen:  # every emulator is up once collection starts
        line = proc.stderr.readline()
        assert line or proc.poll() is None, seen
        seen += line
        assert time.monotonic() < deadline
    children = _children(proc.pid)
    servers = [pid for pid, comm in children.items() if comm == "sshd"]
    assert servers, children
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert _wait_gone(list(children)) == [], {p: children[p] for p in children if _alive(p)}


def test_the_watchdog_ends_the_group_when_its_parent_dies_without_pdeathsig(tmp_path: Path) -> None:
    """Only the watchdog: a middle process starts a server in its own session with no
    parent-death signal, then is SIGKILLed; the watchdog must end the server."""
    script = tmp_path / "middle.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "from auditpack.emulators import lifeline\n"
        "server = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
        "lifeline.start_watchdog(server.pid)\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(300)\n")
    middle = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert middle.stdout is not None
    server = int(middle.stdout.readline())
    assert _alive(server)
    middle.kill()
    middle.wait()
    assert _wait_gone([server], 10) == []


def test_parent_death_signal_is_armed_only_on_the_main_thread() -> None:
    import threading

    if sys.platform.startswith("linux"):
        assert lifeline.parent_death_signal() is not None
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(lifeline.parent_death_signal()))
    worker.start()
    worker.join()
    assert box == [None]
