"""Ed25519 signatures over a pack's manifest (``manifest.sig``), with PEM key files.

``run --sign-key KEY`` signs ``manifest.json`` with :func:`signer`; ``verify --public-key
PUB`` checks it with :func:`checker`. Since the manifest holds the SHA-256 of every other
file, a valid signature vouches for the whole pack; one changed byte anywhere either breaks
a hash in the manifest or, if the manifest was edited to match, the signature.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import ConfigError


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


def signer(private_key_path: str | os.PathLike[str]) -> Callable[[bytes], bytes]:
    """A function that signs bytes with the Ed25519 key in the PEM file (64-byte signature).
    The key is read now, so a bad key stops the run before anything is collected."""
    key = load_private_key(private_key_path)
    return key.sign


def checker(public_key_path: str | os.PathLike[str]) -> Callable[[bytes, bytes], bool]:
    """A function ``(data, signature) -> bool``: True only for a valid signature of ``data``."""
    key = load_public_key(public_key_path)

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
