"""The evidence pipeline end to end, through the real command line in a subprocess:
configuration errors, the pack and its manifest, plugins, interruption, history."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from helpers import install_plugin, run_cli

LOCAL_SCHEMA = Path(__file__).with_name("findings.schema.json")
# a copy of shared/contract/findings.schema.json (tests never read ../shared)
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "contract-findings.schema.json"


#: optional finding fields the repository's copy adds to the contract (compatible extensions,
#: proposed for the contract): each is a property of a finding and never required
FINDING_EXTENSIONS = ("basis",)


def _without_extensions(schema: dict) -> dict:
    copy = json.loads(json.dumps(schema))
    props = copy["properties"]["findings"]["items"]["properties"]
    for name in FINDING_EXTENSIONS:
        props.pop(name, None)
    return copy


def contract_schema() -> dict | None:
    return json.loads(SCHEMA_PATH.read_text()) if SCHEMA_PATH.exists() else None


def findings_schema() -> dict:
    """The repository's copy of the contract's schema: the contract itself plus only the
    optional fields of :data:`FINDING_EXTENSIONS` (so whatever validates against the copy
    validates against the contract too, and old consumers keep working)."""
    local = json.loads(LOCAL_SCHEMA.read_text())
    items = local["properties"]["findings"]["items"]
    assert not set(FINDING_EXTENSIONS) & set(items["required"]), "an extension must stay optional"
    assert set(FINDING_EXTENSIONS) <= set(items["properties"]), "tests/findings.schema.json lacks an extension"
    contract = contract_schema()
    if contract is not None:
        assert _without_extensions(contract) == _without_extensions(local), "tests/findings.schema.json is stale"
    return local


def write_config(path: Path, body: str) -> Path:
    path.write_text("[history]\nenabled = false\n" + body)
    return path


def validate_findings(pack: Path) -> dict:
    doc = json.loads((pack / "findings.json").read_text())
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    jsonschema.validate(doc, findings_schema(), format_checker=checker)
    contract = contract_schema()
    if contract is not None:  # what the contract's consumers read, unchanged
        jsonschema.validate(doc, contract, format_checker=checker)
    return doc


# --- configuration --------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    ("[policy]\nresidencey = 'eea'\n", "[policy]: unknown key 'residencey'"),
    ("[policy]\nresidency = 'eu'\n", "[policy]: residency: Input should be 'eea' or 'eea+adequacy'"),
    ("[polcy]\nresidency = 'eea'\n", "[polcy]: unknown section"),
    ("[[ssh.hosts]]\nname = 'b1'\nhost = 'h'\nuser = 'u'\nprot = 22\n",
     '[[ssh.hosts]] #1 (name = "b1"): unknown key \'prot\''),
    ("[[hetzner.projects]]\nname = 'p'\n", "[[hetzner.projects]] #1 (name = \"p\"): missing required key 'token_env'"),
    ("[aws]\nregions = 'some'\n", "[aws]: regions"),
    ("[policy\n", "not valid TOML"),
    ("[[dpa]]\nprofile = 'dioss'\n[[dpa]]\nprofile = 'nonexistent'\n",
     "[[dpa]] #2: profile 'nonexistent': nonexistent: no built-in profile of that name"),
    ("[run]\nmanual_evidence_only = true\n[[manual_evidence]]\npath = 'nope.pdf'\ntitle = 'ISO certificate'\n",
     "[[manual_evidence]] #1: path: "),
])
def test_bad_configuration_is_one_line_naming_the_key_and_exit_4(tmp_path: Path, body: str, expected: str) -> None:
    cfg = write_config(tmp_path / "bad.toml", body)
    for command in (["run", "--config", str(cfg), "--out", str(tmp_path / "pack")], ["check", "--config", str(cfg)]):
        proc = run_cli(*command)
        assert proc.returncode == 4, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert str(cfg) in lines[0] and expected in lines[0]
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "pack").exists()


def test_missing_config_file_is_exit_4(tmp_path: Path) -> None:
    proc = run_cli("check", "--config", str(tmp_path / "nope.toml"))
    assert proc.returncode == 4 and "cannot read the configuration file" in proc.stderr


def test_usage_error_is_exit_2() -> None:
    proc = run_cli("run", "--config")
    assert proc.returncode == 2


# --- the pack ---------------------------------------------------------------------------------

MANUAL_ONLY = "[run]\nmanual_evidence_only = true\n"


def test_manual_evidence_only_run_writes_a_valid_verifiable_pack(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", "[organisation]\nname = 'Empty Co'\n" + MANUAL_ONLY)
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack))
    assert proc.returncode == 0, proc.stderr
    doc = validate_findings(pack)
    assert doc["run"]["complete"] is True and doc["findings"] == []
    assert {c["id"]: c["status"] for c in doc["run"]["collectors"]}["aws"] == "skipped"
    for name in ("findings.json", "report.html", "report.md", "manifest.json", "evidence"):
        assert (pack / name).exists(), name
    manifest = json.loads((pack / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"findings.json", "report.html", "report.md", "evidence/index.json"}
    assert run_cli("verify", str(pack)).returncode == 0


def test_verify_names_changed_missing_and_added_files(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", MANUAL_ONLY)
    pack = tmp_path / "pack"
    assert run_cli("run", "--config", str(cfg), "--out", str(pack)).returncode == 0
    data = bytearray((pack / "report.md").read_bytes())
    data[5] ^= 0x01  # one changed byte
    (pack / "report.md").write_bytes(bytes(data))
    (pack / "findings.csv").unlink()
    (pack / "evidence" / "planted.json").write_text("{}")
    proc = run_cli("verify", str(pack))
    assert proc.returncode == 1
    assert "changed: report.md" in proc.stdout
    assert "missing: findings.csv" in proc.stdout
    assert "added: evidence/planted.json" in proc.stdout


def test_existing_pack_is_never_overwritten_without_replace(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "c.toml", MANUAL_ONLY)
    pack = tmp_path / "pack"
    assert run_cli("run", "--config", str(cfg), "--out", str(pack)).returncode == 0
    before = (pack / "manifest.json").read_bytes()
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack))
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert (pack / "manifest.json").read_bytes() == before
    assert run_cli("run", "--config", str(cfg), "--out", str(pack), "--replace").returncode == 0
    assert (pack / "manifest.json").read_bytes() != before
    assert run_cli("verify", str(pack)).returncode == 0


# --- plugins ----------------------------------------------------------------------------------

def test_third_party_plugin_is_listed_and_run(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    listing = run_cli("collectors", site=site)
    assert "acme" in listing.stdout and "ACME widgets" in listing.stdout
    checks = run_cli("checks", "--format", "json", site=site)
    ids = {c["id"]: c for c in json.loads(checks.stdout)["checks"]}
    assert "ISO27001:2022/A.8.24" in ids["encryption_at_rest_acme_widget_encrypted"]["controls"]
    cfg = write_config(tmp_path / "c.toml", "[acme]\nwidgets = ['w1-enc', 'w2']\n")
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), site=site)
    assert proc.returncode == 1, proc.stderr  # complete, with a failing finding
    doc = validate_findings(pack)
    verdicts = {(f["resource"]["name"], f["status"], f["basis"]) for f in doc["findings"]}
    assert verdicts == {("w1-enc", "pass", "observed"), ("w2", "fail", "observed")}
    failing = next(f for f in doc["findings"] if f["status"] == "fail")
    assert failing["evidence"] and all((pack / p).is_file() for p in failing["evidence"])
    evidence = json.loads((pack / failing["evidence"][0]).read_text())
    assert evidence["provenance"]["collector"] == "acme" and evidence["raw"]["name"] == "w2"


def test_errored_evidence_gives_error_findings_and_exit_3(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    cfg = write_config(tmp_path / "c.toml", "[acme]\nwidgets = ['w1-enc']\nbroken = ['w3']\n")
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), site=site)
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines()[-1].startswith("auditpack: incomplete:")
    doc = validate_findings(pack)
    assert doc["run"]["complete"] is False
    errors = [f for f in doc["findings"] if f["status"] == "error"]
    assert [f["resource"]["name"] for f in errors] == ["w3"] and "403 Forbidden" in errors[0]["message"]
    assert {c["id"]: c["status"] for c in doc["run"]["collectors"]}["acme"] == "partial"


def test_broken_plugin_is_reported_and_skipped(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site", code="raise ImportError('missing dependency foo')\n", module="bad_plugin",
                          entry_points="[auditpack.collectors]\nbad = bad_plugin:Nope\n")
    listing = run_cli("collectors", site=site)
    assert listing.returncode == 0 and "BROKEN" in listing.stdout and "missing dependency foo" in listing.stdout
    cfg = write_config(tmp_path / "c.toml", MANUAL_ONLY)
    proc = run_cli("run", "--config", str(cfg), "--out", str(tmp_path / "pack"), site=site)
    assert proc.returncode == 3, proc.stderr  # it ran, but says evidence may be missing
    doc = validate_findings(tmp_path / "pack")
    assert {c["id"]: c["status"] for c in doc["run"]["collectors"]}["plugin:bad"] == "error"


def test_a_plugin_check_without_a_basis_is_reported_broken_naming_the_check(tmp_path: Path) -> None:
    from helpers import PLUGIN_CODE

    code = PLUGIN_CODE.replace("basis=Basis.OBSERVED, ", "")
    assert code != PLUGIN_CODE
    site = install_plugin(tmp_path / "site", code=code)
    listing = run_cli("checks", site=site)
    assert listing.returncode == 0, listing.stderr
    broken = [line for line in listing.stdout.splitlines() if line.startswith("BROKEN")]
    assert len(broken) == 2 and all("encryption_at_rest_acme_widget_encrypted" in b for b in broken)
    assert all("declares no basis" in b and "Basis.DECLARED" in b for b in broken)
    cfg = write_config(tmp_path / "c.toml", "[acme]\nwidgets = ['w1-enc']\n")
    proc = run_cli("run", "--config", str(cfg), "--out", str(tmp_path / "pack"), site=site)
    assert proc.returncode == 3, proc.stderr  # nothing of the plugin is guessed to be observed


def test_secrets_never_reach_the_pack(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    secret = "s3cr3t-t0ken-value-42"
    cfg = write_config(tmp_path / "c.toml", "[acme]\nwidgets = ['w1-enc']\nsecret_env = 'ACME_TOKEN'\n")
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), site=site, env={"ACME_TOKEN": secret})
    assert proc.returncode == 0, proc.stderr
    for path in pack.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
    assert secret not in proc.stdout + proc.stderr
    assert run_cli("verify", str(pack)).returncode == 0


def test_secrets_never_reach_the_terminal_or_the_logs(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    secret = "s3cr3t-t0ken-value-43"
    cfg = write_config(tmp_path / "c.toml", "[acme]\nwidgets = ['w1']\nbroken = ['w2']\nsecret_env = 'ACME_TOKEN'\n"
                                            "leak = true\n")
    for fmt in ("text", "json"):
        proc = run_cli("check", "--config", str(cfg), "--format", fmt, site=site, env={"ACME_TOKEN": secret})
        assert proc.returncode == 3
        assert "403 Forbidden (sent token [redacted])" in proc.stdout
        assert "refused the token [redacted]" in proc.stderr
        assert secret not in proc.stdout + proc.stderr
    pack = tmp_path / "pack"
    run_cli("run", "--config", str(cfg), "--out", str(pack), site=site, env={"ACME_TOKEN": secret})
    assert all(secret not in p.read_text(errors="replace") for p in pack.rglob("*") if p.is_file())


# --- interruption -----------------------------------------------------------------------------

def _start_run(cfg: Path, pack: Path, site: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "AUDITPACK_HISTORY": str(cfg.parent / "h.sqlite")}
    return subprocess.Popen([sys.executable, "-m", "auditpack.cli", "run", "--config", str(cfg), "--out", str(pack),
                             "--replace"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never reached the marker"
        time.sleep(0.02)


@pytest.mark.parametrize("when", ["collecting", "writing"])
def test_killed_run_leaves_the_earlier_pack_intact(tmp_path: Path, when: str) -> None:
    site = install_plugin(tmp_path / "site")
    pack = tmp_path / "pack"
    first = write_config(tmp_path / "first.toml", "[acme]\nwidgets = ['w1-enc']\n")
    assert run_cli("run", "--config", str(first), "--out", str(pack), site=site).returncode == 0
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    marker = tmp_path / "marker"
    if when == "collecting":
        body = f"[acme]\nwidgets = ['w2']\nmarker = '{marker}'\nsleep_after_marker = 60\n"
    else:  # thousands of evidence files: the kill lands while the pack is being built
        body = f"[acme]\nwidgets = ['w2']\nmarker = '{marker}'\nbulk = 4000\nbulk_bytes = 4000\n"
    second = write_config(tmp_path / "second.toml", body)
    proc = _start_run(second, pack, site)
    try:
        _wait_for(marker, proc)
        if when == "writing":
            time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
    after = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    if when == "collecting":
        assert after == before
    elif after != before:  # the kill landed after the final rename: then it is the whole new pack
        assert len(json.loads(after[Path("findings.json")])["findings"]) == 4001
    assert run_cli("verify", str(pack)).returncode == 0  # a mix of two packs would not verify
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack.")]
    # a killed run may leave its hidden build folder; the next run cleans it up
    assert run_cli("run", "--config", str(first), "--out", str(pack), "--replace", site=site).returncode == 0
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".pack.")], leftovers


def test_sigterm_during_collection_writes_nothing(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    marker = tmp_path / "marker"
    cfg = write_config(tmp_path / "c.toml", f"[acme]\nwidgets = ['w2']\nmarker = '{marker}'\nsleep_after_marker = 60\n")
    pack = tmp_path / "pack"
    proc = _start_run(cfg, pack, site)
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err
    assert not pack.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pack.")]


# --- history and the terminal check -------------------------------------------------------------

def test_runs_are_recorded_in_the_history_database(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    db = tmp_path / "history.sqlite"
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[history]\npath = '{db}'\n[acme]\nwidgets = ['w1-enc', 'w2']\n")
    assert run_cli("run", "--config", str(cfg), "--out", str(tmp_path / "p1"), site=site).returncode == 1
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT complete, exit_code, pass, fail, pack_path FROM runs").fetchall()
    assert rows == [(1, 1, 1, 1, str((tmp_path / "p1").resolve()))]
    # the configured path, without --database and with a different $AUDITPACK_HISTORY
    listing = run_cli("history", "--config", str(cfg), site=site,
                      env={"AUDITPACK_HISTORY": str(tmp_path / "other.sqlite")})
    header, row = listing.stdout.splitlines()
    assert header.split() == ["STARTED", "(UTC)", "RUN", "EXIT", "EVIDENCE", "PASS", "FAIL", "ERROR", "MANUAL", "PACK"]
    assert row.split()[2:8] == ["1", "complete", "1", "1", "0", "0"]
    assert run_cli("history", "--database", str(db)).stdout == listing.stdout


def test_history_says_when_the_database_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "history.sqlite"
    proc = run_cli("history", "--database", str(missing))
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"auditpack: no history database at {missing}: no run has been recorded there yet"
    assert not missing.parent.exists()  # looking does not create it
    cfg = write_config(tmp_path / "c.toml", MANUAL_ONLY)
    proc = run_cli("history", "--config", str(cfg))
    assert "does not record runs ([history] enabled = false)" in proc.stdout


def test_check_shows_failing_items_first_with_a_hint(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    cfg = write_config(tmp_path / "c.toml", "[acme]\nwidgets = ['a-enc', 'b']\nbroken = ['c']\n")
    proc = run_cli("check", "--config", str(cfg), site=site)
    assert proc.returncode == 3
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["FAIL", "medium", "Encryption", "at", "rest:",
                                "encryption_at_rest_acme_widget_encrypted"]
    assert lines[1] == "      [acme] b (acme:b)"  # the item's details are indented under it
    assert "      hint: Turn on widget encryption." in lines
    assert any(line.startswith("ERROR") for line in lines)
    assert not any(line.startswith("PASS") for line in lines)
    # then the summary and what the exit code means
    assert "Per measure                   fail  error  manual  pass   n/a  verdict" in lines
    assert lines[-2].startswith("exit 3: INCOMPLETE") and lines[-1].startswith("auditpack: 3 findings")
    assert not list(tmp_path.glob("pack*"))  # no pack unless asked


def test_plain_log_lines_when_not_a_terminal(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    cfg = write_config(tmp_path / "c.toml", "[acme]\nwidgets = ['a-enc']\n")
    proc = run_cli("run", "--config", str(cfg), "--out", str(tmp_path / "p"), site=site)
    assert "collector=acme event=finished status=ok" in proc.stderr
    quiet = run_cli("run", "-q", "--config", str(cfg), "--out", str(tmp_path / "q"), site=site)
    assert "event=" not in quiet.stderr and "pack written" in quiet.stdout
