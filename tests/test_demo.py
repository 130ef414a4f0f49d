"""`auditpack demo`: the real pipeline against the built-in emulated company."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from auditpack.emulators.sshd import sshd_available
from auditpack.emulators.tsa import openssl_available
from auditpack.signing import generate_keypair
from helpers import run_cli


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    generate_keypair(folder / "key.pem", folder / "key.pub")
    return folder / "key.pem", folder / "key.pub"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory,
         keys: tuple[Path, Path]) -> tuple[Path, subprocess.CompletedProcess[str]]:
    out = tmp_path_factory.mktemp("demo") / "pack"
    proc = run_cli("demo", "--out", str(out), "--sign-key", str(keys[0]), timeout=300)
    return out, proc


def _findings(pack: Path) -> list[dict]:
    return json.loads((pack / "findings.json").read_text())["findings"]


def _has(findings: list[dict], check_prefix: str, status: str, name_part: str) -> bool:
    return any(f["check"].startswith(check_prefix) and f["status"] == status and
               name_part in (f["resource"].get("name") or f["resource"]["id"]) for f in findings)


def test_demo_writes_a_verifiable_pack(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    pack, proc = demo
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "pack written to" in proc.stdout
    assert run_cli("verify", str(pack)).returncode == 0
    for name in ("report.html", "report.md", "findings.csv", "manifest.json", "oscal/assessment-results.json"):
        assert (pack / name).is_file()


@pytest.mark.skipif(not openssl_available(), reason="the openssl command is not installed")
def test_the_signed_demo_pack_is_time_stamped_and_verifies_offline(
        demo: tuple[Path, subprocess.CompletedProcess[str]], keys: tuple[Path, Path], tmp_path: Path) -> None:
    pack, proc = demo
    tsa_ca = pack.parent / f"{pack.name}-tsa-ca.pem"
    assert f"--tsa-cert {tsa_ca}" in proc.stdout
    args = ("--public-key", str(keys[1]), "--tsa-cert", str(tsa_ca))
    ok = run_cli("verify", str(pack), *args)
    assert ok.returncode == 0 and "signature:  valid" in ok.stdout and "time-stamp: valid" in ok.stdout
    for damaged, expect in (("findings.json", "findings.json"), ("manifest.intoto.jsonl", "signature:  INVALID"),
                            ("manifest.intoto.tsr", "time-stamp: INVALID")):
        copy = tmp_path / damaged
        shutil.copytree(pack, copy)
        data = bytearray((copy / damaged).read_bytes())
        # the token: a byte of the signed time-stamp info (the envelope digest it vouches for);
        # the others: a byte in the middle
        envelope_digest = hashlib.sha256((pack / "manifest.intoto.jsonl").read_bytes()).digest()
        at = data.find(envelope_digest) + 3 if damaged.endswith(".tsr") else len(data) // 2
        data[at] ^= 0x01
        if damaged.endswith(".jsonl"):  # a well-formed envelope whose signature is wrong (a flipped byte in the
            # base64 payload may as well make the payload unreadable, depending on the run's content)
            envelope = json.loads((pack / damaged).read_bytes())
            sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
            sig[len(sig) // 2] ^= 0x01
            envelope["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
            data = bytearray((json.dumps(envelope, sort_keys=True, separators=(",", ":")) + "\n").encode())
        (copy / damaged).write_bytes(bytes(data))
        failed = run_cli("verify", str(copy), *args)
        assert failed.returncode == 1 and expect in failed.stdout, (damaged, failed.stdout)


def test_demo_company_has_the_promised_mix_of_good_and_bad(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    pack, _ = demo
    findings = _findings(pack)
    assert _has(findings, "eea_residency_", "fail", "demo-analytics-export")  # us-east-1
    assert _has(findings, "eea_residency_", "fail", "demo-reporting-london")  # GB: Dioss wants the EEA
    assert _has(findings, "eea_residency_", "pass", "demo-customer-data")
    assert _has(findings, "encryption_at_rest_", "fail", "legacy-db-data")  # unencrypted volume
    assert _has(findings, "encryption_in_transit_tls_", "fail", "legacy-api.demo.test")  # TLS 1.0
    assert _has(findings, "encryption_in_transit_tls_", "pass", "app.demo.test")
    # the orders database: encrypted and backed up, but rds.force_ssl = 0 in its parameter group
    assert _has(findings, "encryption_in_transit_rds_database_requires_tls", "fail", "demo-orders-db")
    assert _has(findings, "encryption_at_rest_rds_storage_encrypted", "pass", "demo-orders-db")
    assert _has(findings, "backups_rds_database_recent_backup", "pass", "demo-orders-db")
    assert _has(findings, "subprocessor_list_", "fail", "")  # AWS is not in the Dioss register
    assert any(f["status"] == "fail" and f["resource"]["provider"] == "hetzner" for f in findings)
    assert any(any(c["profile"] == "dioss" for c in f.get("clauses", [])) for f in findings)
    stale = [f for f in findings if f["measure"] == "backups" and f["status"] == "fail"]
    assert stale, "the demo has a stale backup"


def test_demo_reports_skipped_parts_honestly(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    pack, proc = demo
    available, why = sshd_available("borg")
    collectors = {c["id"]: c for c in json.loads((pack / "findings.json").read_text())["run"]["collectors"]}
    if available:
        assert collectors["ssh"]["status"] in ("ok", "partial")
        assert _has(_findings(pack), "backups_", "fail", "")
    else:
        assert collectors["ssh"]["status"] == "skipped"
        assert "skipped SSH backup server" in proc.stdout


def test_demo_stops_everything_it_started(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, proc = demo
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", proc.stdout)]
    assert ports
    for port in ports:
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open after the demo"


#: runs the real CLI with execute() held after collection, so the signal always arrives
#: before the pack could be written, however loaded the machine is (no sleeps, no races)
HELD_AFTER_COLLECTION = """
import sys, threading
import auditpack.runner as runner
real = runner.execute
def held(*args, **kwargs):
    result = real(*args, **kwargs)
    print("TEST-MARKER collected; holding before the pack is written", file=sys.stderr, flush=True)
    threading.Event().wait()
    return result
runner.execute = held
from auditpack.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_ctrl_c_stops_the_demo_and_writes_no_pack(tmp_path: Path) -> None:
    out = tmp_path / "pack"
    env = {**os.environ, "AUDITPACK_HISTORY": str(tmp_path / "h.sqlite")}
    proc = subprocess.Popen([sys.executable, "-c", HELD_AFTER_COLLECTION, "demo", "--out", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = ""
    assert proc.stderr is not None
    while "TEST-MARKER" not in seen:  # collection is done and the pack not yet written
        line = proc.stderr.readline()
        assert line, f"the demo ended before collection was held: {seen[-3000:]}"
        seen += line
    assert "event=started" in seen and "auditpack demo: AWS ready" in seen  # progress during the start-up
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pack.")]


def test_the_demo_pack_carries_valid_oscal(demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    from oscal_schemas import _schema_for, _validate
    from trestle.oscal.assessment_results import AssessmentResults

    pack, _ = demo
    for document in sorted((pack / "oscal").iterdir()):
        result = _validate(_schema_for(document.name), document)
        assert result.returncode == 0, f"{document.name}: {result.stdout}"
    loaded = AssessmentResults.oscal_read(pack / "oscal" / "assessment-results.json")
    findings = loaded.results[0].findings
    assert {f.target.status.state.value for f in findings} <= {"satisfied", "not-satisfied"}
    verdicts = {p.value: f.target.status.state.value for f in findings for p in f.props if p.name == "verdict"}
    assert verdicts.get("nonconformity") == "not-satisfied"  # the demo's failures are never satisfied


def test_demo_shows_attested_support_and_an_expired_document(
        demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    from auditpack.reports.view import Verdict, load_view

    pack, _ = demo
    view = load_view(pack)
    verdicts = {v.code: n for v, n in view.profiles[0].verdicts}
    assert verdicts[Verdict.SUPPORTS] >= 2 and verdicts[Verdict.NONCONFORMITY] > 0 and verdicts[Verdict.MANUAL] > 0
    attested = {c.ref for c in view.profiles[0].clauses if c.verdict.attested}
    assert attested == {"Subverwerkers, bullet 2", "Technische en organisatorische maatregelen, bullet 2"}
    assert _has(_findings(pack), "manual_evidence_document_current", "fail", "Penetration test")
    assert "Evidence supports (attested" in (pack / "report.html").read_text("utf-8")
    oscal = (pack / "oscal" / "assessment-results.json").read_text("utf-8")
    assert '"name": "basis"' in oscal and '"value": "attested"' in oscal  # OSCAL marks it too


def test_demo_findings_state_their_basis_and_the_declared_host_is_never_observed(
        demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    pack, _ = demo
    findings = _findings(pack)
    assert findings and all(f["basis"] in ("observed", "declared", "attested") for f in findings)
    assert {f["basis"] for f in findings if f["check"] == "manual_evidence_document_current"} == {"attested"}
    assert {f["basis"] for f in findings if f["resource"]["provider"] in ("aws", "hetzner", "tls")
            and not f["check"].startswith("subprocessor_list")} == {"observed"}
    country = [f for f in findings if f["check"] == "eea_residency_ssh_host_declared_country_allowed"]
    if not country:
        pytest.skip("the demo ran without its SSH backup server (sshd or borg missing)")
    assert {f["basis"] for f in country} == {"declared"}
    assert {f["basis"] for f in findings if f["check"].startswith("subprocessor_list")
            and f["resource"]["provider"] == "ssh"} == {"declared"}
    html = (pack / "report.html").read_text("utf-8")
    assert "Basis of the findings" in html and "declared in the configuration (not observed)" in html


def test_demo_drafts_a_profile_from_a_dpa_and_the_report_shows_the_draft(
        demo: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    """The demo imports a bundled DPA as `auditpack dpa import` would: one line says so, the run
    answers that draft clause by clause, and the report carries the unreviewed-draft banner."""
    pack, proc = demo
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if "drafted a profile from dpa-lumenfold.md" in x]
    assert len(line) == 1 and "auditpack dpa import" in line[0]
    html = (pack / "report.html").read_text("utf-8")
    assert 'id="draft-banner"' in html and "lumenfold-draft" in html
    assert any(any(c["profile"] == "lumenfold-draft" for c in f.get("clauses", [])) for f in _findings(pack))
