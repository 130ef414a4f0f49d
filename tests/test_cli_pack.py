"""Signing, signature verification and offline re-rendering through the command line."""

from __future__ import annotations

from pathlib import Path

from auditpack.signing import generate_keypair
from helpers import install_plugin, run_cli


def _run(tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    site = install_plugin(tmp_path / "site")
    cfg = tmp_path / "c.toml"
    cfg.write_text("[history]\nenabled = false\n[acme]\nwidgets = ['w1-enc', 'w<script>alert(1)</script>|`x`']\n")
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), *extra, site=site)
    assert proc.returncode == 1, proc.stderr
    return pack, site


def test_signed_pack_verifies_and_tampering_is_reported(tmp_path: Path) -> None:
    private, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    generate_keypair(private, public)
    pack, _ = _run(tmp_path, "--sign-key", str(private))
    assert (pack / "manifest.intoto.jsonl").is_file() and not (pack / "manifest.sig").exists()
    ok = run_cli("verify", str(pack), "--public-key", str(public))
    assert ok.returncode == 0 and "signature:  valid" in ok.stdout
    # someone edits a finding and recomputes the manifest hashes: the signature catches it
    import json

    from auditpack.pack import dump_json, file_hashes
    findings = pack / "findings.json"
    findings.write_text(findings.read_text().replace('"fail"', '"pass"'))
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["files"] = file_hashes(pack)
    (pack / "manifest.json").write_text(dump_json(manifest))
    forged = run_cli("verify", str(pack), "--public-key", str(public))
    assert forged.returncode == 1 and "file changed after signing: findings.json" in forged.stdout


def test_verify_with_the_wrong_key_fails(tmp_path: Path) -> None:
    private, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    made = run_cli("keygen", "--private", str(private), "--public", str(public))
    assert made.returncode == 0 and private.stat().st_mode & 0o077 == 0
    again = run_cli("keygen", "--private", str(private), "--public", str(public))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    other_private, other_public = tmp_path / "other.pem", tmp_path / "other.pub.pem"
    generate_keypair(other_private, other_public)
    pack, _ = _run(tmp_path, "--sign-key", str(private))
    proc = run_cli("verify", str(pack), "--public-key", str(other_public))
    assert proc.returncode == 1 and "INVALID" in proc.stdout
    unchecked = run_cli("verify", str(pack))
    assert unchecked.returncode == 0 and "not checked" in unchecked.stdout


def test_report_re_renders_byte_identically_offline(tmp_path: Path) -> None:
    pack, site = _run(tmp_path)
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    for name in ("report.html", "report.md", "findings.csv"):
        (pack / name).unlink()
    proc = run_cli("report", str(pack), site=site)
    assert proc.returncode == 0, proc.stderr
    after = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    assert after == before
    assert run_cli("verify", str(pack)).returncode == 0


def test_outside_strings_are_escaped_in_the_reports(tmp_path: Path) -> None:
    pack, _ = _run(tmp_path)
    html = (pack / "report.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    md = (pack / "report.md").read_text()
    assert "<script>" not in md
