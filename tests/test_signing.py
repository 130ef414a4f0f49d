"""Ed25519 keys, and packs signed the old way (``manifest.sig`` over manifest.json) still verify:
a valid one verifies, one changed byte does not. The in-toto envelope: tests/test_attestation.py."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auditpack.errors import ConfigError
from auditpack.pack import MANIFEST, SIGNATURE, verify_pack, write_manifest
from auditpack.signing import checker, generate_keypair, load_private_key, signer

RUN = {"id": "run-1", "started_at": "2026-11-21T12:00:00Z"}


@pytest.fixture()
def keys(tmp_path: Path) -> tuple[Path, Path]:
    private, public = tmp_path / "key.pem", tmp_path / "key.pub.pem"
    generate_keypair(private, public)
    return private, public


def _pack(root: Path, private: Path) -> Path:
    (root / "evidence").mkdir(parents=True)
    (root / "findings.json").write_text('{"findings": []}\n', encoding="utf-8")
    (root / "evidence" / "a.json").write_text('{"raw": "x"}\n', encoding="utf-8")
    write_manifest(root, RUN)
    (root / SIGNATURE).write_bytes(load_private_key(private).sign((root / MANIFEST).read_bytes()))  # legacy
    return root


def test_keypair_files_are_pem_and_the_private_key_is_private(keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        generate_keypair(private, public)


def test_a_signed_pack_verifies(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root = _pack(tmp_path / "pack", keys[0])
    assert len((root / SIGNATURE).read_bytes()) == 64
    result = verify_pack(root, checker(keys[1]))
    assert result.ok and result.signature == "valid"


def test_one_changed_byte_in_a_file_is_caught(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root = _pack(tmp_path / "pack", keys[0])
    path = root / "evidence" / "a.json"
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify_pack(root, checker(keys[1]))
    assert not result.ok and result.changed == ["evidence/a.json"]
    assert result.signature == "valid"  # the manifest itself is intact: the hash mismatch is the finding


def test_a_manifest_edited_to_match_breaks_the_signature(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root = _pack(tmp_path / "pack", keys[0])
    (root / "evidence" / "a.json").write_text('{"raw": "y"}\n', encoding="utf-8")
    signature = (root / SIGNATURE).read_bytes()
    write_manifest(root, RUN)  # a forger recomputes the hashes but cannot sign
    (root / SIGNATURE).write_bytes(signature)
    result = verify_pack(root, checker(keys[1]))
    assert result.changed == [] and result.signature == "invalid" and not result.ok
    manifest = bytearray((root / MANIFEST).read_bytes())
    assert not checker(keys[1])(bytes(manifest) + b" ", signature)


def test_another_key_does_not_verify(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    root = _pack(tmp_path / "pack", keys[0])
    other_private, other_public = tmp_path / "o.pem", tmp_path / "o.pub.pem"
    generate_keypair(other_private, other_public)
    assert verify_pack(root, checker(other_public)).signature == "invalid"
    assert verify_pack(root).signature == "unchecked"


def test_bad_key_files_are_configuration_errors(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_path = tmp_path / "rsa.pem"
    rsa_path.write_bytes(rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    with pytest.raises(ConfigError, match="not an Ed25519 key"):
        signer(rsa_path)
    with pytest.raises(ConfigError, match="cannot read"):
        signer(tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match="PEM public key"):
        checker(keys[0])  # a private key where the public key belongs
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key", encoding="utf-8")
    with pytest.raises(ConfigError, match="PEM private key"):
        signer(garbage)
