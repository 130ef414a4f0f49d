"""The pack's attestation: an in-toto Statement v1 in a DSSE envelope, signed with Ed25519.

``manifest.intoto.jsonl`` holds one envelope (one JSON line). Its statement names every file
of the pack with its SHA-256 as a subject (``manifest.json`` included) and carries the run's
metadata as predicate. Anyone can check it offline with the public key, and standard tools
(in-toto, securesystemslib, sigstore's DSSE verifiers) read the same format.

Spec: https://github.com/secure-systems-lab/dsse (PAE) and
https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .pack import ENVELOPE
from .packmodel import RunInfo

__all__ = ["ENVELOPE", "EnvelopeCheck", "EnvelopeError", "key_id", "pae", "predicate", "read_envelope",
           "sign_envelope", "statement"]

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://github.com/auditpack/auditpack/attestation/run/v1"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def key_id(public_key: Ed25519PublicKey) -> str:
    """The signer's fingerprint: SHA-256 of the raw 32-byte Ed25519 public key, hex."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def statement(files: Mapping[str, str], predicate: Mapping[str, Any]) -> dict[str, Any]:
    """An in-toto Statement v1: ``files`` maps pack-relative paths to SHA-256 hex digests."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}} for name, digest in sorted(files.items())],
        "predicateType": PREDICATE_TYPE,
        "predicate": dict(predicate),
    }


def predicate(run: RunInfo, context_sha256: str | None, config_sha256: str | None) -> dict[str, Any]:
    """What the signer vouches for besides the files: tool, run, configuration, scope, completeness."""
    return {
        "tool": {"name": "auditpack", "version": run.tool_version},
        "run": {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at,
                "organisation": run.organisation},
        "configuration": {"config_sha256": config_sha256, "context_sha256": context_sha256},
        "scope": [{"collector": c.id, "status": c.status, "scopes": list(c.scopes)} for c in run.collectors],
        "completeness": {"complete": run.complete, "counts": dict(run.counts)},
    }


def sign_envelope(document: Mapping[str, Any], key: Ed25519PrivateKey) -> bytes:
    """The DSSE envelope over ``document`` as one JSON line (the .jsonl bundle format)."""
    payload = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    signature = key.sign(pae(PAYLOAD_TYPE, payload))
    envelope = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode(),
                "signatures": [{"keyid": key_id(key.public_key()), "sig": base64.b64encode(signature).decode()}]}
    return (json.dumps(envelope, sort_keys=True, separators=(",", ":")) + "\n").encode()


class EnvelopeError(ValueError):
    """The envelope cannot be read as a DSSE in-toto envelope (the reason is one line)."""


@dataclass
class EnvelopeCheck:
    statement: dict[str, Any]
    signed_by: list[str] = field(default_factory=list)  # key ids of the signatures present
    valid: bool | None = None  # None: no key given, not checked

    @property
    def subjects(self) -> dict[str, str]:
        return {s["name"]: s["digest"]["sha256"] for s in self.statement.get("subject", ())}


def read_envelope(data: bytes, public_key: Ed25519PublicKey | None = None) -> EnvelopeCheck:
    """Parse the envelope and, given a key, check that one of its signatures is that key's
    signature over the payload. The statement is returned either way so the file hashes can
    be compared; callers must not trust it unless ``valid`` is True."""
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) != 1:
        raise EnvelopeError(f"expected one envelope line, found {len(lines)}")
    try:
        envelope = json.loads(lines[0])
        payload = base64.b64decode(envelope["payload"], validate=True)
        signatures = [(s.get("keyid", ""), base64.b64decode(s["sig"], validate=True)) for s in envelope["signatures"]]
        if envelope["payloadType"] != PAYLOAD_TYPE:
            raise EnvelopeError(f"payload type {envelope['payloadType']!r} is not {PAYLOAD_TYPE}")
        document = json.loads(payload)
    except EnvelopeError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EnvelopeError(f"not a DSSE envelope: {exc}") from None
    if not isinstance(document, dict) or document.get("_type") != STATEMENT_TYPE \
            or not isinstance(document.get("subject"), list):
        raise EnvelopeError("the payload is not an in-toto Statement v1")
    try:
        for subject in document["subject"]:
            if not (isinstance(subject["name"], str) and isinstance(subject["digest"]["sha256"], str)):
                raise TypeError
    except (KeyError, TypeError):
        raise EnvelopeError("a statement subject has no name or no sha256 digest") from None
    check = EnvelopeCheck(document, [str(k) for k, _ in signatures])
    if public_key is not None:
        message = pae(PAYLOAD_TYPE, payload)
        check.valid = False
        for _, signature in signatures:
            try:
                public_key.verify(signature, message)
            except InvalidSignature:
                continue
            check.valid = True
            break
    return check
