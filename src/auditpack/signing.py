"""Ed25519 keys for signing packs (PEM files) and the legacy ``manifest.sig`` check.

``run --sign-key KEY`` signs the pack as an in-toto statement in a DSSE envelope
(:mod:`auditpack.custody`); ``verify --public-key PUB`` checks it. Packs signed before the
envelope existed carry ``manifest.sig`` (Ed25519 over manifest.json) and still verify.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import ConfigError

if TYPE_CHECKING:
    from .custody import PackSigner


def _read(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read the {what}: {exc.strerror or exc}") from None


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    data = _read(path, "signing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(path), "", f"not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(str(path), "", f"not an Ed25519 key ({type(key).__name__})")
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(path), "", f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(str(path), "", f"not an Ed25519 public key ({type(key).__name__})")
    return key


def signer(private_key_path: str | os.PathLike[str]) -> PackSigner:
    """The pack signer for the Ed25519 key in the PEM file. The key is read now, so a bad key
    stops the run before anything is collected."""
    from .custody import PackSigner

    return PackSigner(load_private_key(private_key_path))


def checker(public_key_path: str | os.PathLike[str]) -> Callable[[bytes, bytes], bool]:
    """A function ``(data, signature) -> bool``: True only for a valid signature of ``data``."""
    return verifier(load_public_key(public_key_path))


def verifier(key: Ed25519PublicKey) -> Callable[[bytes, bytes], bool]:
    """``(data, signature) -> bool`` for a loaded public key (legacy ``manifest.sig``)."""

    def check(data: bytes, signature: bytes) -> bool:
        try:
            key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    return check


def generate_keypair(private_path: str | os.PathLike[str], public_path: str | os.PathLike[str]) -> None:
    """Write a new Ed25519 key pair as PEM: the private key (PKCS#8, unencrypted, mode 0600)
    and the public key (SubjectPublicKeyInfo). Refuses to overwrite an existing file."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(private_path, flags, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private)
    fd = os.open(public_path, flags, 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(public)
