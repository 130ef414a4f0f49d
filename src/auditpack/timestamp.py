"""Trusted time for a pack: an RFC 3161 time-stamp token over the attestation envelope.

``[signing] tsa_url`` makes a run ask a time-stamping authority (TSA) for a token over the
SHA-256 of ``manifest.intoto.jsonl`` and store the TSA's answer as ``manifest.intoto.tsr``.
The token proves the envelope (and so every file it names) existed at the TSA's time, which
a signature alone cannot: a signer can sign with any clock. ``auditpack verify --tsa-cert``
checks the token offline; ``openssl ts -verify -in manifest.intoto.tsr -data
manifest.intoto.jsonl -CAfile tsa-ca.pem`` checks the same file with standard tools.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from .pack import TIMESTAMP_TOKEN

TOKEN = TIMESTAMP_TOKEN
_HASHES: dict[str, type[hashes.SHA256] | type[hashes.SHA384] | type[hashes.SHA512]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


class TimestampError(Exception):
    """A token could not be obtained or does not verify (the reason is one line)."""


def request_token(url: str, data: bytes, timeout: float = 10.0) -> bytes:
    """Ask the TSA at ``url`` for a token over SHA-256(``data``); return its DER response."""
    nonce = secrets.randbits(63)
    query = tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                            "hashed_message": hashlib.sha256(data).digest()},
        "nonce": nonce,
        "cert_req": True,
    }).dump()
    req = urllib.request.Request(url, data=query, method="POST",
                                 headers={"Content-Type": "application/timestamp-query"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:  # noqa: S310 - the configured TSA
            body: bytes = answer.read(1_000_000)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise TimestampError(f"the time-stamping authority {url} could not be reached: {reason}") from None
    try:
        response = tsp.TimeStampResp.load(body)
        status = response["status"]["status"].native
        token = response["time_stamp_token"]
        info = token["content"]["encap_content_info"]["content"].parsed
        answered_nonce = info["nonce"].native
    except Exception as exc:  # noqa: BLE001 - any parse failure means the answer is not a TSA response
        raise TimestampError(f"the answer of {url} is not an RFC 3161 time-stamp response: {exc}") from None
    if status not in ("granted", "granted_with_mods"):
        raise TimestampError(f"the time-stamping authority {url} refused the request: {status}")
    if answered_nonce != nonce:
        raise TimestampError(f"the time-stamping authority {url} answered another request (nonce mismatch)")
    return body


@dataclass(frozen=True)
class TimestampCheck:
    time: datetime
    authority: str  # the signer certificate's subject
    policy: str


def _signed_attrs(signer_info: cms.SignerInfo) -> dict[str, object]:
    return {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}


def verify_token(token_der: bytes, data: bytes, trusted_pem: bytes) -> TimestampCheck:
    """Check offline that ``token_der`` (a TimeStampResp) is a valid token over SHA-256 of
    ``data``, signed by the TSA certificate in ``trusted_pem`` or by one it issued."""
    try:
        trusted = x509.load_pem_x509_certificate(trusted_pem)
    except ValueError as exc:
        raise TimestampError(f"the TSA certificate is not a PEM certificate: {exc}") from None
    try:
        response = tsp.TimeStampResp.load(token_der)
        signed = response["time_stamp_token"]["content"]
        content = signed["encap_content_info"]["content"]
        info = content.parsed
        imprint = info["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        hashed = imprint["hashed_message"].native
        gen_time = info["gen_time"].native
        policy = info["policy"].dotted
        signer_info = signed["signer_infos"][0]
        attrs = _signed_attrs(signer_info)
        digest_name = signer_info["digest_algorithm"]["algorithm"].native
        signature = signer_info["signature"].native
        signed_bytes = b"\x31" + signer_info["signed_attrs"].dump()[1:]  # DER SET OF, as signed
        sid = signer_info["sid"]
        embedded = [c.chosen for c in (signed["certificates"] or ()) if c.name == "certificate"]
    except Exception as exc:  # noqa: BLE001 - a token that cannot be parsed does not verify
        raise TimestampError(f"{TOKEN} is not a readable RFC 3161 time-stamp response: {exc}") from None
    if algorithm not in _HASHES or digest_name not in _HASHES:
        raise TimestampError(f"unsupported digest in the token: {algorithm}/{digest_name}")
    if hashed != hashlib.new(algorithm, data).digest():
        raise TimestampError("the token is over other data: the attestation envelope was changed after it was "
                             "time-stamped")
    if attrs.get("message_digest") != hashlib.new(digest_name, content.contents).digest():
        raise TimestampError("the token's signed digest does not match its content")
    signer = trusted  # a token without embedded certificates is signed by the given certificate itself
    for cert in embedded:
        if sid.name == "issuer_and_serial_number":
            match = cert.issuer == sid.chosen["issuer"] and cert.serial_number == sid.chosen["serial_number"].native
        else:
            match = cert.key_identifier == sid.chosen.native
        if match:
            signer = x509.load_der_x509_certificate(cert.dump())
    if signer.public_key() != trusted.public_key():
        try:
            signer.verify_directly_issued_by(trusted)
        except (ValueError, TypeError, InvalidSignature):
            raise TimestampError("the token was signed by a TSA the given certificate does not vouch for") from None
    try:
        usage = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or ExtendedKeyUsageOID.TIME_STAMPING not in usage:
        raise TimestampError("the token's signer certificate is not for time stamping (extended key usage)")
    when = gen_time if gen_time.tzinfo else gen_time.replace(tzinfo=UTC)
    if not (signer.not_valid_before_utc <= when <= signer.not_valid_after_utc):
        raise TimestampError("the token's time is outside its signer certificate's validity")
    _check_signature(signer, signature, signed_bytes, _HASHES[digest_name]())
    return TimestampCheck(when, signer.subject.rfc4514_string(), policy)


def _check_signature(cert: x509.Certificate, signature: bytes, data: bytes, digest: hashes.HashAlgorithm) -> None:
    key = cert.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        else:
            raise TimestampError(f"unsupported TSA key type {type(key).__name__}")
    except InvalidSignature:
        raise TimestampError("the token's signature does not verify with the TSA certificate") from None
