"""`auditpack demo --serve DIR` + `auditpack check`: the README's way to try the terminal check
against the emulated company; Ctrl-C stops it and everything it started."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import run_cli

pytestmark = pytest.mark.slow


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_serve_then_check_then_ctrl_c_stops_everything(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    env = {**os.environ, "AUDITPACK_HISTORY": str(tmp_path / "h.sqlite")}
    proc = subprocess.Popen([sys.executable, "-m", "auditpack.cli", "demo", "--serve", str(folder)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        printed = ""
        while "ready. Press Ctrl-C" not in printed:
            line = proc.stdout.readline()
            assert line, f"demo --serve ended early: {printed}\n{proc.stderr.read() if proc.stderr else ''}"
            printed += line
        command = next(line.strip() for line in printed.splitlines() if "auditpack check --config" in line)
        argv = shlex.split(command)
        assert argv[0] == "env" and argv[-3:] == ["check", "--config", str((folder / "auditpack.toml").resolve())]
        # secrets only as environment variables: the configuration holds their names, not their values
        config = (folder / "auditpack.toml").read_text()
        assignments = dict(a.split("=", 1) for a in argv[1:] if "=" in a)
        assert "AUDITPACK_DEMO_HCLOUD_TOKEN" in assignments and "AWS_SECRET_ACCESS_KEY" in assignments
        for name, value in assignments.items():
            if any(word in name for word in ("TOKEN", "SECRET", "PASSPHRASE", "PASSWORD")):
                assert value not in config, name
        assert 'token_env = "AUDITPACK_DEMO_HCLOUD_TOKEN"' in config
        # the files it needs are in the folder, named relative to it
        assert 'ca_bundle = "ca-bundle-' in config and (folder / "auditpack.toml").is_file()
        for name in [p.name for p in folder.iterdir()]:
            assert name in config or name == "auditpack.toml", name

        # the printed command, as a person would paste it (auditpack from this venv)
        check = run_cli(*argv[argv.index("auditpack") + 1:], env=assignments, timeout=300)
        assert check.returncode == 1, check.stderr[-3000:]
        out = check.stdout
        assert out.splitlines()[0].startswith("FAIL ")
        assert "Per measure" in out and "Per DPA: dioss" in out
        assert "exit 1: complete, with failing findings" in out
        assert "manual_evidence_document_current" in out  # the expired penetration test
        supports = __import__("re").search(r"^  Evidence supports\s+(\d+)$", out, __import__("re").M)
        assert supports and int(supports.group(1)) >= 2, out[-2000:]  # the attested clauses, as in the report

        ports = sorted({int(p) for p in __import__("re").findall(r"127\.0\.0\.1:(\d+)", printed)})
        assert ports
        started = _descendants(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    assert "stopping" in err
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in started if _alive(p)], "child processes outlived demo --serve"
    for port in ports:
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after Ctrl-C"


def test_serve_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "mine.txt").write_text("keep")
    proc = run_cli("demo", "--serve", str(tmp_path / "demo"))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("--serve needs a new or empty folder")
    assert (tmp_path / "demo" / "mine.txt").read_text() == "keep"
