"""Emulated servers end with the process that started them, also when it is SIGKILLed.

Two mechanisms, because each has a gap: the Linux parent-death signal
(``prctl(PR_SET_PDEATHSIG)`` through ctypes, set in the child before ``exec``) fires when
the *thread* that started the child ends, and not at all on other systems; the watchdog, a
tiny separate process that polls whether its parent is still there, works everywhere but
is itself a process. ``auditpack demo`` uses both for every server process it starts
(threads of the demo's own process, such as moto's server, end with it anyway).

Run as ``python -m auditpack.emulators.lifeline PARENT_PID PROCESS_GROUP``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.2
GRACE_SECONDS = 2.0


def parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks the kernel to SIGTERM the child when its parent ends,
    or None where that is unavailable (not Linux) or unsafe (not the main thread: the
    signal follows the starting thread, not the process)."""
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    parent = os.getpid()
    try:  # looked up here, not in the forked child (no dynamic loading between fork and exec)
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent already died before the signal was armed
            os._exit(1)

    return arm


def start_watchdog(group: int) -> subprocess.Popen[bytes]:
    """Start a watchdog that ends process group ``group`` when this process ends."""
    return subprocess.Popen([sys.executable, "-m", "auditpack.emulators.lifeline", str(os.getpid()), str(group)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def watch(parent: int, group: int) -> int:
    """Wait until ``parent`` is gone (this process is re-parented) or the group ended."""
    while _group_alive(group):
        if os.getppid() != parent:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
            deadline = time.monotonic() + GRACE_SECONDS
            while _group_alive(group) and time.monotonic() < deadline:
                time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            return 0
        time.sleep(POLL_SECONDS)
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised by tests/test_hardening_lifeline.py in a subprocess
    sys.exit(watch(int(sys.argv[1]), int(sys.argv[2])))
