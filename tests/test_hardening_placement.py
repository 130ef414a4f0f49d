"""Issue 11, nothing lost: concurrent runs into one --out, --replace interrupted between its
renames, leftovers of killed runs, an unwritable --out, a run killed before its history row.
Real processes throughout (the CLI in subprocesses, a real plugin collector)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditpack import fsatomic
from auditpack.pack import clean_leftovers
from helpers import install_plugin, run_cli


def _cfg(path: Path, body: str = "[acme]\nwidgets = ['w1-enc']\n", history: Path | None = None) -> Path:
    head = f"[history]\npath = '{history}'\n" if history else "[history]\nenabled = false\n"
    path.write_text(head + body)
    return path


def _dead_pid() -> int:
    proc = subprocess.run(["true"], check=True)
    del proc
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _popen_run(cfg: Path, out: Path, site: Path, *extra: str,
               env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(site), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "auditpack.cli", "run", "--config", str(cfg), "--out", str(out),
                             *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


HOLD_BEFORE_WRITING = """
import os, time
import auditpack.runner as runner
_write = runner.write
def _held(*args, **kwargs):
    while not os.path.exists(os.environ["HOLD_UNTIL"]):
        time.sleep(0.02)
    return _write(*args, **kwargs)
runner.write = _held
"""


def test_two_runs_into_the_same_out_never_replace_each_other(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    (site / "sitecustomize.py").write_text(HOLD_BEFORE_WRITING)
    marker, go = tmp_path / "marker", tmp_path / "go"
    slow = _cfg(tmp_path / "slow.toml", f"[acme]\nwidgets = ['slow-enc']\nmarker = '{marker}'\n")
    fast = _cfg(tmp_path / "fast.toml", "[acme]\nwidgets = ['fast-enc']\n")
    pack = tmp_path / "pack"
    first = _popen_run(slow, pack, site, env={"HOLD_UNTIL": str(go)})
    deadline = time.monotonic() + 60
    while not marker.exists():  # the slow run has passed its preflight and is collecting
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.02)
    second = run_cli("run", "--config", str(fast), "--out", str(pack), site=site, env={"HOLD_UNTIL": str(site)})
    assert second.returncode == 0 and "pack written to" in second.stdout
    go.touch()
    out, err = first.communicate(timeout=60)
    assert first.returncode == 2, (out, err)
    assert "appeared while this run was writing" in err and len(err.strip().splitlines()[-1]) > 0
    assert "fast-enc" in (pack / "findings.json").read_text()  # the first pack to land stays
    placed = [p for p in tmp_path.iterdir() if p.name.startswith("pack.conflict-")]
    assert len(placed) == 1 and str(placed[0]) in err
    assert "slow-enc" in (placed[0] / "findings.json").read_text()
    assert run_cli("verify", str(placed[0])).returncode == 0
    assert run_cli("verify", str(pack)).returncode == 0


def test_noreplace_and_exchange_hold_with_and_without_renameat2(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for native in (True, False):
        base = tmp_path / ("native" if native else "fallback")
        base.mkdir()
        if not native:
            monkeypatch.setattr(fsatomic, "_renameat2", lambda *a: False)
        a, b, c = base / "a", base / "b", base / "c"
        for folder, name in ((a, "a"), (b, "b")):
            folder.mkdir()
            (folder / "f").write_text(name)
        with pytest.raises(FileExistsError):
            fsatomic.move_noreplace(a, b)
        assert (a / "f").read_text() == "a" and (b / "f").read_text() == "b"
        fsatomic.move_noreplace(a, c)
        assert (c / "f").read_text() == "a" and not a.exists()
        if native:
            assert fsatomic.exchange(b, c)
            assert (b / "f").read_text() == "a" and (c / "f").read_text() == "b"
        else:
            assert not fsatomic.exchange(b, c)


def test_replace_killed_between_its_renames_is_repaired_by_the_next_run(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    cfg = _cfg(tmp_path / "c.toml")
    pack = tmp_path / "pack"
    assert run_cli("run", "--config", str(cfg), "--out", str(pack), site=site).returncode == 0
    dead = _dead_pid()
    # the state a --replace without renameat2 leaves when killed after its first rename
    old = tmp_path / f".pack.old-{dead}-0a0b0c0d"
    pack.rename(old)
    partial = tmp_path / f".pack.partial-{dead}-01020304"
    partial.mkdir()
    (partial / "findings.json").write_text("{}")
    proc = run_cli("verify", str(pack))
    assert proc.returncode != 0  # the target is missing right now
    again = run_cli("run", "--config", str(cfg), "--out", str(pack), "--replace", site=site)
    assert again.returncode == 0, again.stderr
    assert f"restored it from {old}" in again.stderr and f"removed {partial}" in again.stderr
    assert not old.exists() and not partial.exists()
    assert run_cli("verify", str(pack)).returncode == 0


def test_leftovers_of_a_running_process_are_reported_not_removed(tmp_path: Path) -> None:
    target = tmp_path / "pack"
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        busy = tmp_path / f".pack.partial-{sleeper.pid}-00000000"
        busy.mkdir()
        notes = clean_leftovers(target)
        assert busy.exists() and any("running process" in n for n in notes)
    finally:
        sleeper.kill()
        sleeper.wait()
    notes = clean_leftovers(target)
    assert not busy.exists() and any("removed" in n for n in notes)


def test_replace_never_leaves_the_target_missing(tmp_path: Path) -> None:
    """--replace swaps the folders in one step: a reader polling the target never misses it."""
    site = install_plugin(tmp_path / "site")
    pack = tmp_path / "pack"
    cfg = _cfg(tmp_path / "c.toml", "[acme]\nwidgets = ['w1-enc']\nbulk = 300\n")
    assert run_cli("run", "--config", str(cfg), "--out", str(pack), site=site).returncode == 0
    proc = _popen_run(cfg, pack, site, "--replace")
    gaps = 0
    while proc.poll() is None:
        if not (pack / "manifest.json").exists():
            gaps += 1
    proc.communicate()
    assert proc.returncode == 0 and gaps == 0


def _unwritable_cases(tmp_path: Path) -> list[tuple[str, Path, list[str]]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cases: list[tuple[str, Path, list[str]]] = [("parent is a file", blocker / "pack", [])]
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0:
        cases.append(("read-only folder", locked / "pack", []))
    elif setpriv:  # root may write anywhere: run as nobody to see the permission check
        tmp_path.chmod(0o755)
        cases.append(("read-only folder", locked / "pack",
                      [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]))
    return cases


def test_an_unwritable_out_is_refused_before_any_collection(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    site.chmod(0o755)
    marker = tmp_path / "collected"
    cfg = _cfg(tmp_path / "c.toml", f"[acme]\nwidgets = ['w1']\nmarker = '{marker}'\n")
    cfg.chmod(0o644)
    for label, out, prefix in _unwritable_cases(tmp_path):
        env = {**os.environ, "PYTHONPATH": str(site), "HOME": str(tmp_path)}
        proc = subprocess.run([*prefix, sys.executable, "-m", "auditpack.cli", "run", "--config", str(cfg),
                               "--out", str(out)], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 2, (label, proc.stderr)
        assert str(out) in proc.stderr and "Traceback" not in proc.stderr, label
        assert "event=started" not in proc.stderr and not marker.exists(), label
        assert len([line for line in proc.stderr.splitlines() if line.startswith("auditpack:")]) == 1


KILL_AFTER_THE_PACK = """
import os, signal
from auditpack.history import History
def _killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
History.set_outcome = _killed
"""


def test_a_run_killed_after_its_pack_is_already_in_the_history(tmp_path: Path) -> None:
    """The run is recorded (with its findings) before its pack is written, so a kill between
    the pack and the last history write loses no run: only the pack path is not filled in."""
    site = install_plugin(tmp_path / "site")
    killer = tmp_path / "killer"
    killer.mkdir()
    (killer / "sitecustomize.py").write_text(KILL_AFTER_THE_PACK)
    db = tmp_path / "history.sqlite"
    cfg = _cfg(tmp_path / "c.toml", "[acme]\nwidgets = ['w1-enc', 'w2']\n", history=db)
    first = tmp_path / "p1"
    env = {**os.environ, "PYTHONPATH": f"{killer}{os.pathsep}{site}"}
    killed = subprocess.run([sys.executable, "-m", "auditpack.cli", "run", "--config", str(cfg), "--out",
                             str(first)], capture_output=True, text=True, env=env, timeout=120)
    assert killed.returncode == -9 and (first / "manifest.json").is_file()
    run_id = json.loads((first / "manifest.json").read_text())["run"]["id"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE id = ?", (run_id,)).fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] > 0
    nxt = run_cli("run", "--config", str(cfg), "--out", str(tmp_path / "p2"), site=site)
    assert nxt.returncode == 1, nxt.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (2,)
