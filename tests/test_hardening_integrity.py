"""Issue 11, integrity: a real signed pack (the CLI, a plugin collector) and the ways to
make ``verify`` or ``report`` vouch for something that was changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from auditpack.pack import dump_json, file_hashes
from auditpack.signing import generate_keypair
from helpers import install_plugin, run_cli


def _signed_pack(tmp_path: Path, sign: bool = True) -> tuple[Path, Path, Path]:
    site = install_plugin(tmp_path / "site")
    private, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    generate_keypair(private, public)
    cfg = tmp_path / "c.toml"
    cfg.write_text("[history]\nenabled = false\n[acme]\nwidgets = ['w1-enc', 'w2']\n")
    pack = tmp_path / "pack"
    extra = ["--sign-key", str(private)] if sign else []
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), *extra, site=site)
    assert proc.returncode == 1, proc.stderr
    return pack, public, site


SIGNATURES = ("manifest.sig", "manifest.intoto.jsonl")  # legacy, and the DSSE envelope


def _signature(pack: Path) -> Path:
    found = [pack / name for name in SIGNATURES if (pack / name).exists()]
    assert len(found) == 1, found
    return found[0]


def _forge(pack: Path) -> None:
    """Turn a fail into a pass and fix its hash in the manifest (the forger has no key)."""
    findings = pack / "findings.json"
    findings.write_text(findings.read_text().replace('"fail"', '"pass"'))
    manifest = json.loads((pack / "manifest.json").read_text())
    manifest["files"] = file_hashes(pack)
    (pack / "manifest.json").write_text(dump_json(manifest))


def test_removing_the_signature_does_not_pass_verify_with_a_key(tmp_path: Path) -> None:
    pack, public, _ = _signed_pack(tmp_path)
    signature = _signature(pack)
    _forge(pack)
    signature.unlink()
    proc = run_cli("verify", str(pack), "--public-key", str(public))
    assert proc.returncode == 1
    assert "not signed, but a public key was given" in proc.stdout and "verified" not in proc.stdout
    assert "does not verify" in proc.stderr


def test_an_unreadable_signature_fails(tmp_path: Path) -> None:
    pack, public, _ = _signed_pack(tmp_path)
    signature = _signature(pack)
    signature.unlink()
    signature.mkdir()  # a directory where the signature belongs
    proc = run_cli("verify", str(pack), "--public-key", str(public))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "not a regular file" in proc.stdout or "UNREADABLE" in proc.stdout, proc.stdout
    no_key = run_cli("verify", str(pack))
    assert no_key.returncode == 1 and "Traceback" not in no_key.stderr


def test_without_a_key_the_signature_state_is_said_plainly(tmp_path: Path) -> None:
    signed, _, _ = _signed_pack(tmp_path / "a")
    proc = run_cli("verify", str(signed))
    assert proc.returncode == 0 and "not checked (no --public-key)" in proc.stdout
    unsigned, public, _ = _signed_pack(tmp_path / "b", sign=False)
    proc = run_cli("verify", str(unsigned))
    assert proc.returncode == 0 and "unsigned" in proc.stdout
    with_key = run_cli("verify", str(unsigned), "--public-key", str(public))
    assert with_key.returncode == 1 and "not signed, but a public key was given" in with_key.stdout


def test_report_refuses_to_rehash_a_tampered_pack_unless_told(tmp_path: Path) -> None:
    pack, _, site = _signed_pack(tmp_path, sign=False)
    findings = pack / "findings.json"
    findings.write_text(findings.read_text().replace('"fail"', '"pass"'))
    proc = run_cli("report", str(pack), site=site)
    assert proc.returncode == 1 and "does not match its manifest" in proc.stderr
    assert "changed findings.json" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert run_cli("verify", str(pack)).returncode == 1  # still caught: nothing was re-hashed
    forced = run_cli("report", str(pack), "--rehash", site=site)
    assert forced.returncode == 0 and "--rehash" in forced.stderr
    assert run_cli("verify", str(pack)).returncode == 0


def test_report_re_renders_missing_reports_of_an_intact_pack(tmp_path: Path) -> None:
    pack, _, site = _signed_pack(tmp_path, sign=False)
    (pack / "report.html").unlink()
    proc = run_cli("report", str(pack), site=site)
    assert proc.returncode == 0, proc.stderr
    assert (pack / "report.html").is_file()


@pytest.mark.parametrize("what", ["empty folder", "symlinked folder", "symlinked file"])
def test_verify_reports_folders_and_links_a_manifest_cannot_vouch_for(tmp_path: Path, what: str) -> None:
    pack, public, _ = _signed_pack(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "extra.json").write_text("{}")
    if what == "empty folder":
        (pack / "evidence" / "later").mkdir()
        expected = "empty folder: evidence/later"
    elif what == "symlinked folder":
        os.symlink(outside, pack / "evidence" / "more")
        expected = "symlink: evidence/more"
    else:
        os.symlink(outside / "extra.json", pack / "extra.json")
        expected = "symlink: extra.json"
    proc = run_cli("verify", str(pack), "--public-key", str(public))
    assert proc.returncode == 1 and expected in proc.stdout, proc.stdout
    assert "signature:  valid" in proc.stdout
