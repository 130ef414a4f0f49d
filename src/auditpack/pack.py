"""The audit pack on disk: written atomically, verified against its manifest.

A pack is built in a hidden sibling folder and renamed into place at the very end, so an
interrupted or killed run leaves no half pack and never touches an earlier one.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import PackError
from .model import Finding, SomeEvidence, sha256_hex, slug
from .secrets import Scrubber

if TYPE_CHECKING:
    from .custody import PackSigner

FINDINGS_SCHEMA = "auditpack.findings/v1"
MANIFEST_SCHEMA = "auditpack.manifest/v1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"  # packs signed before the in-toto envelope (still verified)
ENVELOPE = "manifest.intoto.jsonl"  # in-toto statement over every file, in a DSSE envelope
TIMESTAMP_TOKEN = "manifest.intoto.tsr"  # RFC 3161 time-stamp response over the envelope
UNHASHED = frozenset({MANIFEST, SIGNATURE, ENVELOPE, TIMESTAMP_TOKEN})


def dump_json(value: Any) -> str:
    """Pretty, deterministic JSON text (sorted keys, trailing newline)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _write(path: Path, text: str, scrubber: Scrubber | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scrubber.scrub(text) if scrubber else text, encoding="utf-8")


def evidence_index(evidence: Sequence[SomeEvidence]) -> list[dict[str, Any]]:
    """Everything about each piece of evidence except the raw payload (for the appendix)."""
    out = []
    for ev in evidence:
        item = ev.to_json()
        item.pop("raw")
        item.pop("record")
        item["path"] = ev.path
        out.append(item)
    out.sort(key=lambda i: (i["path"], i["kind"], i["provenance"]["source"]))
    return out


def findings_document(run: Mapping[str, Any], findings: Sequence[Finding]) -> dict[str, Any]:
    return {"schema": FINDINGS_SCHEMA, "run": dict(run), "findings": [f.to_json() for f in findings]}


def file_hashes(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            rel = path.relative_to(root).as_posix()
            if rel not in UNHASHED:
                out[rel] = sha256_hex(path.read_bytes())
    return out


@dataclass
class PackContent:
    run: dict[str, Any]
    findings: Sequence[Finding]
    evidence: Sequence[SomeEvidence]
    context: dict[str, Any]
    manual_files: Sequence[tuple[Path, str]] = ()  # (source, name inside manual/)


def write_content(root: Path, content: PackContent, scrubber: Scrubber | None) -> None:
    groups: dict[str, list[SomeEvidence]] = {}
    for ev in content.evidence:
        groups.setdefault(ev.path, []).append(ev)
    for rel, items in groups.items():
        body: Any = items[0].to_json() if len(items) == 1 else {"evidence": [ev.to_json() for ev in items]}
        _write(root / rel, dump_json(body), scrubber)
    _write(root / "evidence" / "index.json", dump_json(evidence_index(content.evidence)), scrubber)
    _write(root / "findings.json", dump_json(findings_document(content.run, content.findings)), scrubber)
    _write(root / "context.json", dump_json(content.context), scrubber)
    for source, name in content.manual_files:
        target = root / "manual" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def write_document(root: Path, rel: str, document: Any, scrubber: Scrubber | None) -> None:
    """One more JSON document inside the pack (e.g. ``history/period.json``)."""
    _write(root / rel, dump_json(document), scrubber)


def write_manifest(root: Path, run: Mapping[str, Any], signer: PackSigner | None = None) -> None:
    """Write manifest.json; with a signer, also the in-toto/DSSE envelope over every file.
    Signatures and time-stamps of an earlier manifest are removed: they no longer vouch for it."""
    manifest = {"schema": MANIFEST_SCHEMA, "run": dict(run), "files": file_hashes(root)}
    data = dump_json(manifest).encode()
    (root / MANIFEST).write_bytes(data)
    for name in (SIGNATURE, ENVELOPE, TIMESTAMP_TOKEN):
        (root / name).unlink(missing_ok=True)
    if signer is not None:
        from .custody import attest

        attest(root, run, signer)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_partials(target: Path) -> None:
    for leftover in target.parent.glob(f".{target.name}.partial-*"):
        try:
            pid = int(leftover.name.rsplit("-", 2)[-2])
        except ValueError:
            continue
        if not _pid_alive(pid):
            shutil.rmtree(leftover, ignore_errors=True)


def preflight(target: Path, replace_existing: bool = False) -> None:
    """Refuse an output folder that would be clobbered, before any (long) collection."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        if not replace_existing:
            raise PackError(f"{target} already exists and is not empty: choose a new folder "
                            "(packs are evidence and are never overwritten) or pass --replace")
        if not (target / MANIFEST).is_file():
            raise PackError(f"{target} is not an audit pack (no {MANIFEST}); refusing to replace it")


def write_pack_atomically(target: Path, build: Callable[[Path], None], replace_existing: bool = False) -> Path:
    """Build a pack with ``build(tmpdir)`` and move it to ``target`` only when complete."""
    target = target.resolve()
    preflight(target, replace_existing)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale_partials(target)
    tmp = target.parent / f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        build(tmp)
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            if any(target.iterdir()):
                target.rename(old)
            else:
                target.rmdir()
            tmp.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


@dataclass
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    signature: str = "absent"  # absent | valid | invalid | unchecked
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added or self.problems) and self.signature != "invalid"


def read_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    try:
        manifest: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise PackError(f"{root} has no {MANIFEST}: not an audit pack") from None
    except (OSError, ValueError) as exc:
        raise PackError(f"{path} cannot be read: {exc}") from None
    if manifest.get("schema") != MANIFEST_SCHEMA or not isinstance(manifest.get("files"), dict):
        raise PackError(f"{path} is not an auditpack manifest")
    return manifest


def verify_pack(root: Path, check_signature: Callable[[bytes, bytes], bool] | None = None) -> Verification:
    if not root.is_dir():
        raise PackError(f"{root} is not a folder")
    manifest = read_manifest(root)
    expected: dict[str, str] = manifest["files"]
    actual = file_hashes(root)
    result = Verification()
    result.missing = sorted(set(expected) - set(actual))
    result.added = sorted(set(actual) - set(expected))
    result.changed = sorted(p for p in set(expected) & set(actual) if expected[p] != actual[p])
    sig = root / SIGNATURE
    if sig.exists():
        if check_signature is None:
            result.signature = "unchecked"
        else:
            ok = check_signature((root / MANIFEST).read_bytes(), sig.read_bytes())
            result.signature = "valid" if ok else "invalid"
    return result


def manual_name(path: Path) -> str:
    return f"{sha256_hex(str(path).encode())[:8]}-{slug(path.name, 80)}"
