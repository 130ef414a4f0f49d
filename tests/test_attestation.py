"""The pack's chain of custody: an in-toto statement in a DSSE envelope (checked with
securesystemslib, a third-party DSSE implementation), an RFC 3161 time-stamp from a real
TSA (``openssl ts`` behind a loopback HTTP server, also checked with ``openssl ts -verify``),
and ``auditpack verify`` saying what it checked and what it could not."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sample_pack import build_sample_pack

from auditpack import attestation
from auditpack.attestation import ENVELOPE
from auditpack.cli import main
from auditpack.custody import PackSigner, attest, check_pack, timestamp
from auditpack.emulators.tsa import LocalTsa, openssl_available
from auditpack.pack import MANIFEST, SIGNATURE, dump_json, file_hashes, read_manifest, write_manifest
from auditpack.signing import generate_keypair, load_private_key, load_public_key
from auditpack.timestamp import TOKEN

needs_openssl = pytest.mark.skipif(not openssl_available(), reason="the openssl command is not installed")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    generate_keypair(folder / "key.pem", folder / "key.pub.pem")
    return folder / "key.pem", folder / "key.pub.pem"


@pytest.fixture(scope="module")
def tsa() -> LocalTsa:
    if not openssl_available():
        pytest.skip("the openssl command is not installed")
    with LocalTsa() as server:
        yield server


def _signed(root: Path, keys: tuple[Path, Path], tsa_url: str | None = None) -> tuple[Path, str | None]:
    build_sample_pack(root)
    signer = PackSigner(load_private_key(keys[0]), tsa_url=tsa_url, config_sha256="ab" * 32)
    write_manifest(root, read_manifest(root).run, signer)
    return root, timestamp(root, signer)


def _verify(root: Path, *args: str) -> int:
    return main(["verify", str(root), *args])


def test_the_envelope_is_standard_dsse_over_an_in_toto_statement(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import SSlibKey

    root, _ = _signed(tmp_path / "pack", keys)
    assert not (root / SIGNATURE).exists()  # new packs are signed the in-toto way only
    line = (root / ENVELOPE).read_bytes()
    envelope = Envelope.from_dict(json.loads(line))
    public = load_public_key(keys[1])
    key = SSlibKey.from_crypto(public, keyid=attestation.key_id(public))
    assert set(envelope.verify([key], 1)) == {attestation.key_id(public)}
    statement = json.loads(base64.b64decode(json.loads(line)["payload"]))
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    expected = file_hashes(root)
    assert subjects.pop(MANIFEST) and subjects == expected
    predicate = statement["predicate"]
    assert predicate["configuration"]["config_sha256"] == "ab" * 32
    assert predicate["completeness"]["complete"] is False  # the sample pack has errored evidence
    assert {s["collector"] for s in predicate["scope"]} >= {"aws", "ssh"}


def test_a_signed_pack_verifies_and_names_its_signer(tmp_path: Path, keys: tuple[Path, Path],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = _signed(tmp_path / "pack", keys)
    assert _verify(root, "--public-key", str(keys[1])) == 0
    out = capsys.readouterr().out
    assert "signature:  valid: in-toto statement in a DSSE envelope" in out
    assert attestation.key_id(load_public_key(keys[1])) in out
    assert _verify(root) == 0
    assert "not checked (no --public-key)" in capsys.readouterr().out


def test_editing_a_file_and_its_manifest_hash_is_caught_by_the_signature(tmp_path: Path, keys: tuple[Path, Path],
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = _signed(tmp_path / "pack", keys)
    findings = json.loads((root / "findings.json").read_text())
    findings["findings"][0]["status"] = "pass"
    (root / "findings.json").write_text(json.dumps(findings))
    manifest = json.loads((root / MANIFEST).read_text())
    manifest["files"] = file_hashes(root)  # the forger fixes the hash list
    (root / MANIFEST).write_text(dump_json(manifest))
    assert _verify(root, "--public-key", str(keys[1])) == 1
    assert "file changed after signing: findings.json" in capsys.readouterr().out


def test_a_removed_signature_fails_when_a_key_is_given(tmp_path: Path, keys: tuple[Path, Path],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = _signed(tmp_path / "pack", keys)
    (root / ENVELOPE).unlink()
    assert _verify(root, "--public-key", str(keys[1])) == 1
    assert "not signed, but a public key was given" in capsys.readouterr().out
    assert _verify(root) == 0
    assert "signature:  unsigned" in capsys.readouterr().out


@pytest.mark.parametrize("damage", ["payload", "signature", "not-json", "directory"])
def test_a_damaged_envelope_never_verifies(tmp_path: Path, keys: tuple[Path, Path], damage: str) -> None:
    root, _ = _signed(tmp_path / "pack", keys)
    path = root / ENVELOPE
    envelope = json.loads(path.read_bytes())
    if damage == "payload":
        statement = json.loads(base64.b64decode(envelope["payload"]))
        statement["predicate"]["completeness"]["complete"] = True
        envelope["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
        path.write_text(json.dumps(envelope))
    elif damage == "signature":
        sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
        sig[0] ^= 1
        envelope["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
        path.write_text(json.dumps(envelope))
    elif damage == "not-json":
        path.write_text("[1, 2]\n")
    else:
        path.unlink()
        path.mkdir()
    report = check_pack(root, load_public_key(keys[1]))
    assert not report.ok and report.signature in ("invalid", "unreadable")
    assert _verify(root, "--public-key", str(keys[1])) == 1


def test_another_key_does_not_verify(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root, _ = _signed(tmp_path / "pack", keys)
    generate_keypair(tmp_path / "o.pem", tmp_path / "o.pub")
    assert check_pack(root, load_public_key(tmp_path / "o.pub")).signature == "invalid"


def test_packs_signed_the_old_way_still_verify(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root = build_sample_pack(tmp_path / "pack")
    key = load_private_key(keys[0])
    (root / SIGNATURE).write_bytes(key.sign((root / MANIFEST).read_bytes()))
    report = check_pack(root, load_public_key(keys[1]))
    assert report.ok and report.signature == "valid" and "legacy" in report.signature_format
    (root / MANIFEST).write_bytes((root / MANIFEST).read_bytes() + b" ")
    assert check_pack(root, load_public_key(keys[1])).signature == "invalid"


@needs_openssl
def test_a_time_stamped_pack_verifies_offline(tmp_path: Path, keys: tuple[Path, Path], tsa: LocalTsa,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root, problem = _signed(tmp_path / "pack", keys, tsa.url)
    assert problem is None and (root / TOKEN).is_file()
    assert _verify(root, "--public-key", str(keys[1]), "--tsa-cert", str(tsa.ca_pem_path)) == 0
    out = capsys.readouterr().out
    assert "time-stamp: valid: 20" in out and "auditpack emulated TSA" in out
    assert _verify(root) == 0
    assert "time-stamp: present, not checked (no --tsa-cert)" in capsys.readouterr().out
    # standard tools agree: OpenSSL checks the same token against the same data
    done = subprocess.run(["openssl", "ts", "-verify", "-in", str(root / TOKEN), "-data", str(root / ENVELOPE),
                           "-CAfile", str(tsa.ca_pem_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "Verification: OK" in done.stdout


@needs_openssl
def test_an_altered_envelope_or_token_or_another_tsa_fails(tmp_path: Path, keys: tuple[Path, Path],
                                                           tsa: LocalTsa) -> None:
    root, _ = _signed(tmp_path / "pack", keys, tsa.url)
    trusted = tsa.ca_pem_path.read_bytes()
    token = bytearray((root / TOKEN).read_bytes())
    token[-5] ^= 0x01  # inside the signature
    (root / TOKEN).write_bytes(bytes(token))
    report = check_pack(root, None, trusted)
    assert report.timestamp == "invalid" and not report.ok
    root2, _ = _signed(tmp_path / "pack2", keys, tsa.url)
    with LocalTsa() as other:
        assert check_pack(root2, None, other.ca_pem_path.read_bytes()).timestamp == "invalid"
    envelope = root2 / ENVELOPE
    envelope.write_bytes(envelope.read_bytes().replace(b'"keyid"', b'"keyid" ', 1))
    report = check_pack(root2, None, trusted)
    assert report.timestamp == "invalid"
    assert any("changed after it was time-stamped" in p for p in report.problems)


@needs_openssl
def test_an_unreachable_tsa_is_reported_and_the_pack_stays_signed(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    with LocalTsa(down=True) as down:
        root, problem = _signed(tmp_path / "pack", keys, down.url)
    assert problem is not None and "could not be reached" in problem and not (root / TOKEN).exists()
    assert check_pack(root, load_public_key(keys[1])).signature == "valid"


def test_a_tsa_certificate_without_a_token_is_a_failure(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root, _ = _signed(tmp_path / "pack", keys)
    cert = serialization  # any PEM will do: the missing token is the failure
    assert cert is not None
    report = check_pack(root, None, b"-----BEGIN CERTIFICATE-----\n")
    assert not report.ok and any("no trusted time-stamp" in p for p in report.problems)


def test_attest_is_deterministic_for_the_same_pack(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root, _ = _signed(tmp_path / "pack", keys)
    first = (root / ENVELOPE).read_bytes()
    attest(root, read_manifest(root).run, PackSigner(load_private_key(keys[0]), config_sha256="ab" * 32))
    assert (root / ENVELOPE).read_bytes() == first  # Ed25519 is deterministic, the statement is sorted


def _cli_run(tmp_path: Path, keys: tuple[Path, Path], tsa_url: str | None) -> tuple[Path, object]:
    from helpers import install_plugin, run_cli

    site = install_plugin(tmp_path / "site")
    cfg = tmp_path / "c.toml"
    signing = f'[signing]\ntsa_url = "{tsa_url}"\ntsa_timeout_seconds = 5\n' if tsa_url else ""
    cfg.write_text("[history]\nenabled = false\n" + signing + "[acme]\nwidgets = ['w1-enc']\n")
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), "--sign-key", str(keys[0]), site=site)
    return pack, proc


@needs_openssl
@pytest.mark.slow
def test_a_run_with_a_tsa_writes_a_time_stamped_signed_pack(tmp_path: Path, keys: tuple[Path, Path],
                                                            tsa: LocalTsa) -> None:
    pack, proc = _cli_run(tmp_path, keys, tsa.url)
    assert proc.returncode == 0, proc.stderr  # type: ignore[attr-defined]
    report = check_pack(pack, load_public_key(keys[1]), tsa.ca_pem_path.read_bytes())
    assert report.ok and report.signature == "valid" and report.timestamp == "valid"
    statement = json.loads(base64.b64decode(json.loads((pack / ENVELOPE).read_bytes())["payload"]))
    import hashlib

    config_digest = hashlib.sha256((tmp_path / "c.toml").read_bytes()).hexdigest()
    assert statement["predicate"]["configuration"]["config_sha256"] == config_digest


@needs_openssl
@pytest.mark.slow
def test_a_run_whose_tsa_is_down_is_incomplete_but_written_and_signed(tmp_path: Path,
                                                                       keys: tuple[Path, Path]) -> None:
    with LocalTsa(down=True) as down:
        pack, proc = _cli_run(tmp_path, keys, down.url)
    assert proc.returncode == 3  # type: ignore[attr-defined]
    assert "no trusted time-stamp" in proc.stderr  # type: ignore[attr-defined]
    report = check_pack(pack, load_public_key(keys[1]))
    assert report.ok and report.signature == "valid" and report.timestamp == "absent"
