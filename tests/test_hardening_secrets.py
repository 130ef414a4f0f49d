"""Issue 11, secrets: a token the API echoes back, full of JSON, HTML, CSV and Markdown
metacharacters, reaches no file content, no file name, no terminal output. Real parts: the
CLI in a subprocess, the real hcloud library against the Hetzner emulator."""

from __future__ import annotations

import html
import json
from pathlib import Path

from auditpack.emulators.hetzner import HetznerEmulator, ProjectSeed, firewall, fw_rule, server
from auditpack.pack import safe_evidence_path
from auditpack.secrets import REDACTED, Scrubber, _path_form
from helpers import run_cli

# valid in an HTTP header, hostile everywhere else: quote, backslash, markup, cell and table syntax
SECRET = 'Tk"q\\<i>|,*_`&;x9Z-0123456789'
TOKEN_ENV = "AUDITPACK_TEST_HOSTILE_TOKEN"


def _spellings(secret: str) -> set[str]:
    return {secret, json.dumps(secret)[1:-1], html.escape(secret), secret.replace('"', '""'), _path_form(secret),
            repr(secret)[1:-1]}


def _seed() -> ProjectSeed:
    # the API echoes the token in a server name, a label and a firewall name (a careless script set them)
    return ProjectSeed(servers=[server(101, f"echo-{SECRET}", labels={"note": SECRET}, firewalls=[7])],
                       firewalls=[firewall(7, f"fw-{SECRET}", rules=[fw_rule("22")], servers=[101])])


def test_an_echoed_hostile_secret_reaches_no_file_no_file_name_no_output(tmp_path: Path) -> None:
    with HetznerEmulator(_seed(), token=SECRET) as api:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[history]\nenabled = false\n[[hetzner.projects]]\nname = "prod"\n'
                       f'token_env = "{TOKEN_ENV}"\napi_endpoint = "{api.url}"\n')
        env = {TOKEN_ENV: SECRET}
        pack = tmp_path / "pack"
        run = run_cli("run", "--config", str(cfg), "--out", str(pack), env=env)
        check = run_cli("check", "--config", str(cfg), "--format", "json", "--all", env=env)
        text_check = run_cli("check", "--config", str(cfg), "--all", env=env)
    assert run.returncode == 1, run.stderr  # the open SSH port fails
    files = [p for p in pack.rglob("*") if p.is_file()]
    names = {p.name for p in files} | {"findings.json", "report.html", "report.md", "findings.csv"}
    assert names <= {p.name for p in files}
    for path in files:
        body = path.read_text(errors="replace")
        rel = path.relative_to(pack).as_posix()
        for spelling in _spellings(SECRET):
            assert spelling not in body, (rel, spelling)
            assert spelling not in rel, (rel, spelling)
    assert any("redacted-" in p.relative_to(pack).as_posix() for p in files), "echoed names were hashed"
    assert REDACTED in (pack / "findings.json").read_text()
    assert "\\[redacted\\]" in (pack / "report.md").read_text() or REDACTED in (pack / "report.md").read_text()
    for proc in (run, check, text_check):
        for spelling in _spellings(SECRET):
            assert spelling not in proc.stdout + proc.stderr, spelling
    document, _ = json.JSONDecoder().raw_decode(check.stdout)
    assert any(REDACTED in f["resource"]["name"] for f in document["findings"] if f["resource"]["name"])
    assert run_cli("verify", str(pack)).returncode == 0


def test_path_components_carrying_a_secret_are_hashed() -> None:
    scrubber = Scrubber(["0123456789abcdef-secret"])
    clean = "evidence/hetzner/prod/hetzner.server/web-1-0123456789ab.json"
    assert safe_evidence_path(clean, scrubber) == clean
    whole = "evidence/hetzner/prod/hetzner.server/echo-0123456789abcdef-secret-0123456789ab.json"
    assert safe_evidence_path(whole, scrubber) == "evidence/hetzner/prod/hetzner.server/redacted-0123456789ab.json"
    cut = "evidence/hetzner/prod/hetzner.server/" + "x" * 50 + "0123456789-0123456789ab.json"  # truncated slug
    assert "redacted-" in safe_evidence_path(cut, scrubber)
    scope = "evidence/hetzner/0123456789abcdef-secret/hetzner.server/web-0123456789ab.json"
    assert "secret" not in safe_evidence_path(scope, scrubber)


def test_values_are_scrubbed_before_serialisation() -> None:
    scrubber = Scrubber([SECRET])
    value = {"a": [f"x{SECRET}y", {SECRET: 1}], "b": 3}
    assert scrubber.scrub_value(value) == {"a": [f"x{REDACTED}y", {REDACTED: 1}], "b": 3}
    assert SECRET not in scrubber.scrub(json.dumps({"k": SECRET}))
    assert json.dumps(SECRET)[1:-1] not in scrubber.scrub(json.dumps({"k": SECRET}))
