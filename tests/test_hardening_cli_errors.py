"""Issue 11, no tracebacks: hostile inputs give one line and a documented exit code; a bug
(an exception we did not plan for) exits 70, never 1 ("failing findings" to cron)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from auditpack.signing import generate_keypair
from helpers import install_plugin, run_cli


def _one_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("auditpack:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_a_config_nested_5000_deep_is_one_configuration_line(tmp_path: Path) -> None:
    cfg = tmp_path / "deep.toml"
    cfg.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    proc = run_cli("check", "--config", str(cfg))
    assert proc.returncode == 4 and "nested too deeply" in _one_line(proc) and str(cfg) in proc.stderr


def test_a_config_with_a_bom_says_so(tmp_path: Path) -> None:
    cfg = tmp_path / "bom.toml"
    cfg.write_bytes(b"\xef\xbb\xbf[history]\nenabled = false\n")
    proc = run_cli("check", "--config", str(cfg))
    assert proc.returncode == 4 and "byte-order mark" in _one_line(proc)


@pytest.fixture()
def pack(tmp_path: Path) -> Path:
    site = install_plugin(tmp_path / "site")
    cfg = tmp_path / "c.toml"
    cfg.write_text("[history]\nenabled = false\n[acme]\nwidgets = ['w1-enc']\n")
    out = tmp_path / "pack"
    assert run_cli("run", "--config", str(cfg), "--out", str(out), site=site).returncode == 0
    return out


@pytest.mark.parametrize("body", ["[1,2]", "null", "\"text\"", "{\"schema\": \"auditpack.manifest/v1\", "
                                  "\"files\": {\"a\": 1}}", "[" * 100_000])
def test_a_manifest_of_the_wrong_shape_is_one_line(pack: Path, body: str) -> None:
    (pack / "manifest.json").write_text(body)
    for command in (("verify", str(pack)), ("report", str(pack))):
        proc = run_cli(*command)
        assert proc.returncode == 2 and "manifest" in _one_line(proc), command


def test_a_signature_that_is_a_directory_is_one_line(pack: Path, tmp_path: Path) -> None:
    generate_keypair(tmp_path / "k.pem", tmp_path / "k.pub")
    (pack / "manifest.sig").mkdir()
    proc = run_cli("verify", str(pack), "--public-key", str(tmp_path / "k.pub"))
    assert proc.returncode == 1 and "UNREADABLE" in proc.stdout
    _one_line(proc)


def test_a_corrupt_history_database_is_one_line(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    db.write_bytes(b"this is not an SQLite database at all" * 200)
    proc = run_cli("history", "--database", str(db))
    assert proc.returncode in (3, 4) and "history database" in _one_line(proc)
    site = install_plugin(tmp_path / "site")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[history]\npath = '{db}'\n[acme]\nwidgets = ['w1-enc']\n")
    run = run_cli("run", "--config", str(cfg), "--out", str(tmp_path / "p"), site=site)
    assert run.returncode == 0 and "Traceback" not in run.stderr  # the pack is the evidence; history a warning
    assert "history database" in run.stderr
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(db).execute("SELECT 1 FROM runs")


BUG = """
import auditpack.pack as pack
def _bug(*args, **kwargs):
    raise ZeroDivisionError("an unplanned bug")
pack.verify_pack = _bug
"""


def test_an_unexpected_exception_exits_70_with_one_line_and_a_traceback_only_with_v(pack: Path,
                                                                                   tmp_path: Path) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(BUG)
    env = {**os.environ, "PYTHONPATH": str(hook)}
    plain = subprocess.run([sys.executable, "-m", "auditpack.cli", "verify", str(pack)], capture_output=True,
                           text=True, env=env, timeout=60)
    assert plain.returncode == 70
    assert "internal error: ZeroDivisionError: an unplanned bug" in _one_line(plain)
    verbose = subprocess.run([sys.executable, "-m", "auditpack.cli", "verify", "-v", str(pack)],
                             capture_output=True, text=True, env=env, timeout=60)
    assert verbose.returncode == 70 and "Traceback" in verbose.stderr
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "**70**" in readme
    assert json.loads((pack / "findings.json").read_text())  # untouched
