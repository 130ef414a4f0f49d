"""Chain of custody of a pack: sign it (in-toto/DSSE), time-stamp it (RFC 3161), check both.

Writing: :func:`attest` signs the finished manifest and every file as an in-toto statement in
``manifest.intoto.jsonl``; :func:`timestamp` adds a TSA token over that envelope. Reading:
:func:`check_pack` says, for ``auditpack verify``, what was checked and what could not be:
the file hashes, the signature and its signer key, the time-stamp and its authority. An
unsigned pack verifies its hashes and says plainly that it is unsigned; it never reads as signed.
Packs signed before the envelope existed (``manifest.sig``, Ed25519 over manifest.json) still verify.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import attestation
from .attestation import ENVELOPE, EnvelopeError
from .config import Config
from .model import sha256_hex
from .pack import MANIFEST, SIGNATURE, TIMESTAMP_TOKEN, Verification, file_hashes, verify_pack
from .packmodel import RunInfo
from .signing import verifier
from .timestamp import TimestampError, request_token, verify_token

TOKEN = TIMESTAMP_TOKEN


@dataclass(frozen=True)
class PackSigner:
    """How a run signs its pack: the Ed25519 key, and optionally a time-stamping authority."""

    key: Ed25519PrivateKey
    tsa_url: str | None = None
    tsa_timeout_seconds: float = 10.0
    config_sha256: str | None = None

    @property
    def key_id(self) -> str:
        return attestation.key_id(self.key.public_key())


def signer_for_run(signer: PackSigner | None, config: Config, problems: list[str]) -> PackSigner | None:
    """The run's signer with the configuration's time-stamping authority and the SHA-256 of
    the configuration file (the attestation's predicate names what the run was told to do)."""
    settings = config.core.signing
    if signer is None:
        if settings.tsa_url:
            problems.append("[signing] tsa_url is set but the run is not signed (no --sign-key): "
                            "no trusted time-stamp")
        return None
    source = Path(config.source)
    digest = sha256_hex(source.read_bytes()) if source.is_file() else None
    return replace(signer, tsa_url=settings.tsa_url, tsa_timeout_seconds=settings.tsa_timeout_seconds,
                   config_sha256=digest)


def _files_with_manifest(root: Path) -> dict[str, str]:
    files = file_hashes(root)
    files[MANIFEST] = sha256_hex((root / MANIFEST).read_bytes())
    return files


def attest(root: Path, run: RunInfo, signer: PackSigner) -> None:
    """Sign the pack at ``root`` (its manifest is written): ``manifest.intoto.jsonl``."""
    context = root / "context.json"
    predicate = attestation.predicate(run, sha256_hex(context.read_bytes()) if context.is_file() else None,
                                      signer.config_sha256)
    statement = attestation.statement(_files_with_manifest(root), predicate)
    (root / ENVELOPE).write_bytes(attestation.sign_envelope(statement, signer.key))


def timestamp(root: Path, signer: PackSigner) -> str | None:
    """Ask the TSA for a token over the envelope; the problem as one line, or None when stored."""
    if not signer.tsa_url:
        return None
    try:
        token = request_token(signer.tsa_url, (root / ENVELOPE).read_bytes(), signer.tsa_timeout_seconds)
    except TimestampError as exc:
        return f"no trusted time-stamp: {exc}"
    (root / TOKEN).write_bytes(token)
    return None


@dataclass
class CustodyReport:
    files: Verification
    signature: str = "unsigned"  # unsigned | valid | invalid | unchecked | unreadable
    signature_format: str = ""  # "in-toto statement in a DSSE envelope (Ed25519)" | "legacy manifest.sig (Ed25519)"
    signers: list[str] = field(default_factory=list)  # key ids named in the envelope
    timestamp: str = "absent"  # absent | valid | invalid | unchecked
    timestamp_time: str = ""
    timestamp_authority: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.files.ok and not self.problems and self.signature not in ("invalid", "unreadable") \
            and self.timestamp != "invalid"


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def check_pack(root: Path, public_key: Ed25519PublicKey | None = None,
               tsa_cert_pem: bytes | None = None) -> CustodyReport:
    """Everything ``auditpack verify`` checks, with what it could not check."""
    files = verify_pack(root, verifier(public_key) if public_key is not None else None)
    report = CustodyReport(files)
    envelope = root / ENVELOPE
    if envelope.exists():
        report.signature_format = "in-toto statement in a DSSE envelope (Ed25519)"
        _check_envelope(root, envelope, public_key, report)
    elif (root / SIGNATURE).exists():
        report.signature_format = "legacy manifest.sig (Ed25519 over manifest.json)"
        report.signature = {"valid": "valid", "invalid": "invalid"}.get(files.signature, "unchecked")
        unusable = files.signature == "unreadable" or public_key is not None and files.signature not in (
            "valid", "invalid")
        if unusable:
            report.signature = "unreadable"
            report.problems.append(f"{SIGNATURE} cannot be read as a signature")
    elif public_key is not None:
        report.problems.append("the pack is not signed, but a public key was given: a removed signature "
                               "cannot be told from a pack that never had one")
    _check_timestamp(root, tsa_cert_pem, report)
    return report


def _check_envelope(root: Path, envelope: Path, public_key: Ed25519PublicKey | None, report: CustodyReport) -> None:
    if not _is_file(envelope):
        report.signature = "unreadable"
        report.problems.append(f"{ENVELOPE} is not a regular file")
        return
    try:
        check = attestation.read_envelope(envelope.read_bytes(), public_key)
    except (EnvelopeError, OSError) as exc:
        report.signature = "unreadable"
        report.problems.append(f"{ENVELOPE}: {exc}")
        return
    report.signers = check.signed_by
    if check.valid is None:
        report.signature = "unchecked"
    else:
        report.signature = "valid" if check.valid else "invalid"
    actual = _files_with_manifest(root) if (root / MANIFEST).is_file() else file_hashes(root)
    subjects = check.subjects
    for name in sorted(set(subjects) | set(actual)):
        if name not in actual:
            report.problems.append(f"signed file missing: {name}")
        elif name not in subjects:
            report.problems.append(f"file not covered by the signature: {name}")
        elif subjects[name] != actual[name]:
            report.problems.append(f"file changed after signing: {name}")


def _check_timestamp(root: Path, tsa_cert_pem: bytes | None, report: CustodyReport) -> None:
    token = root / TOKEN
    if not token.exists():
        if tsa_cert_pem is not None:
            report.problems.append(f"no trusted time-stamp ({TOKEN}), but a TSA certificate was given")
        return
    if tsa_cert_pem is None:
        report.timestamp = "unchecked"
        return
    try:
        if not (_is_file(token) and _is_file(root / ENVELOPE)):
            raise TimestampError(f"{TOKEN} or {ENVELOPE} is not a regular file")
        result = verify_token(token.read_bytes(), (root / ENVELOPE).read_bytes(), tsa_cert_pem)
    except (TimestampError, OSError) as exc:
        report.timestamp = "invalid"
        report.problems.append(f"time-stamp: {exc}")
        return
    report.timestamp = "valid"
    report.timestamp_time = result.time.isoformat().replace("+00:00", "Z")
    report.timestamp_authority = result.authority


def describe(report: CustodyReport, public_key_given: bool, tsa_cert_given: bool) -> list[str]:
    """One screen for ``auditpack verify``: what was checked, and what could not be."""
    files = report.files
    lines = []
    mismatches = len(files.changed) + len(files.missing) + len(files.added)
    lines.append("files:      " + ("every file matches manifest.json (SHA-256)" if files.ok and not mismatches
                                   else f"{mismatches} file(s) do not match manifest.json"))
    if report.signature == "unsigned":
        lines.append("signature:  unsigned: nobody vouches for this pack beyond its hash list")
    elif report.signature == "unchecked":
        lines.append(f"signature:  present ({report.signature_format}), not checked (no --public-key)")
    else:
        who = f", key {', '.join(report.signers)}" if report.signers else ""
        lines.append(f"signature:  {report.signature.upper() if report.signature != 'valid' else 'valid'}: "
                     f"{report.signature_format}{who}")
    if report.timestamp == "absent":
        lines.append("time-stamp: none (no trusted time; the run's own clock only)")
    elif report.timestamp == "unchecked":
        lines.append("time-stamp: present, not checked (no --tsa-cert)")
    elif report.timestamp == "valid":
        lines.append(f"time-stamp: valid: {report.timestamp_time} by {report.timestamp_authority}")
    else:
        lines.append("time-stamp: INVALID")
    if not public_key_given and report.signature != "unsigned":
        lines.append("            pass --public-key to check who signed it")
    if not tsa_cert_given and report.timestamp == "unchecked":
        lines.append("            pass --tsa-cert to check the time-stamp")
    return lines
