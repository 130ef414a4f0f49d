"""The audit pack on disk: written atomically, verified against its manifest.

A pack is built in a hidden sibling folder and renamed into place at the very end, so an
interrupted or killed run leaves no half pack and never touches an earlier one.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError

from . import fsatomic
from .errors import PackError
from .model import Finding, SomeEvidence, sha256_hex, slug
from .packmodel import MANIFEST_SCHEMA, Context, FindingsDocument, IndexEntry, Manifest, RunInfo
from .secrets import Scrubber

if TYPE_CHECKING:
    from .custody import PackSigner

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"  # packs signed before the in-toto envelope (still verified)
ENVELOPE = "manifest.intoto.jsonl"  # in-toto statement over every file, in a DSSE envelope
TIMESTAMP_TOKEN = "manifest.intoto.tsr"  # RFC 3161 time-stamp response over the envelope
UNHASHED = frozenset({MANIFEST, SIGNATURE, ENVELOPE, TIMESTAMP_TOKEN})


_PRETTY = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def dump_json(value: Any) -> str:
    """Pretty, deterministic JSON text (sorted keys, trailing newline).

    orjson writes the text of ``json.dumps(indent=2, sort_keys=True, ensure_ascii=False)``
    (test-enforced) about twelve times faster: the standard library's encoder falls back to
    pure Python whenever it indents, which was 8 s for the findings of 150,000 resources.
    Two differences, both valid JSON: floats below 1e-4 are written without an exponent
    (the same number), and NaN or Infinity, which JSON cannot hold, become ``null``. What
    orjson refuses (keys that are not strings, integers beyond 64 bits) goes the standard
    library's way."""
    try:
        return orjson.dumps(value, option=_PRETTY).decode("utf-8") + "\n"
    except orjson.JSONEncodeError:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _write(path: Path, value: Any, scrubber: Scrubber | None) -> None:
    """Write ``value`` as JSON, its secrets scrubbed before serialisation and once more after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dump_json(scrubber.scrub_value(value) if scrubber else value)
    path.write_text(scrubber.scrub(text) if scrubber else text, encoding="utf-8")


_EVIDENCE_FILE = re.compile(r"^(?P<name>.*)-(?P<digest>[0-9a-f]{12})\.json$")


def safe_evidence_path(path: str, scrubber: Scrubber | None) -> str:
    """``path`` with every component that carries a secret replaced by a hash (file names
    are built from outside data: resource names, scopes; an API may echo a secret there)."""
    if not scrubber:
        return path
    parts = path.split("/")
    for i, part in enumerate(parts):
        match = _EVIDENCE_FILE.match(part) if i == len(parts) - 1 else None
        name = match["name"] if match else part
        if scrubber.taints_path(name):
            parts[i] = f"redacted-{match['digest']}.json" if match else f"redacted-{sha256_hex(part.encode())[:12]}"
    return "/".join(parts)


def evidence_index(evidence: Sequence[SomeEvidence], paths: Mapping[str, str] | None = None) -> list[IndexEntry]:
    """Everything about each piece of evidence except the raw payload (for the appendix):
    ``evidence/index.json``, read back by :class:`~auditpack.packmodel.Pack`."""
    out = []
    for ev in evidence:
        item = ev.to_json()
        item.pop("raw")
        item.pop("record")
        item["path"] = (paths or {}).get(ev.path, ev.path)
        if ev.basis is not None:  # how its facts are known: OSCAL never calls a declaration a test
            item["basis"] = str(ev.basis)
        out.append(IndexEntry.model_validate(item))
    out.sort(key=lambda i: (i.path, i.kind, i.provenance.source or ""))
    return out


def safe_findings_document(run: RunInfo, findings: Sequence[Finding], scrubber: Scrubber | None) -> dict[str, Any]:
    """The findings document with secrets scrubbed from its values and from the evidence
    paths it names (what ``findings.json`` and ``check --format json`` show)."""
    document = FindingsDocument(run, tuple(findings)).to_json()
    for item in document["findings"]:
        item["evidence"] = [safe_evidence_path(p, scrubber) for p in item.get("evidence", ())]
    return scrubber.scrub_value(document) if scrubber else document


def file_hashes(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(root).as_posix()
            if rel not in UNHASHED:
                out[rel] = sha256_hex(path.read_bytes())
    return out


@dataclass
class PackContent:
    run: RunInfo
    findings: Sequence[Finding]
    evidence: Sequence[SomeEvidence]
    context: Context
    manual_files: Sequence[tuple[Path, str]] = ()  # (source, name inside manual/)
    #: evidence path -> a file that already holds exactly this evidence (a part of a sharded
    #: run, verified against its manifest): copied byte for byte instead of serialised again
    evidence_copies: Mapping[str, Path] = field(default_factory=dict)


def write_content(root: Path, content: PackContent, scrubber: Scrubber | None) -> None:
    paths = {ev.path: safe_evidence_path(ev.path, scrubber) for ev in content.evidence}
    groups: dict[str, list[SomeEvidence]] = {}
    for ev in content.evidence:
        groups.setdefault(paths[ev.path], []).append(ev)
    for rel, items in groups.items():
        source = content.evidence_copies.get(rel) if scrubber is None else None
        if source is not None:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, root / rel)
            continue
        body: Any = items[0].to_json() if len(items) == 1 else {"evidence": [ev.to_json() for ev in items]}
        _write(root / rel, body, scrubber)
    _write(root / "evidence" / "index.json", [i.to_json() for i in evidence_index(content.evidence, paths)], scrubber)
    _write(root / "findings.json", safe_findings_document(content.run, content.findings, scrubber), scrubber)
    _write(root / "context.json", content.context.to_json(), scrubber)
    for source, name in content.manual_files:
        target = root / "manual" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def write_document(root: Path, rel: str, document: Any, scrubber: Scrubber | None) -> None:
    """One more JSON document inside the pack (e.g. ``history/period.json``)."""
    _write(root / rel, document, scrubber)


def write_manifest(root: Path, run: RunInfo | Mapping[str, Any], signer: PackSigner | None = None) -> None:
    """Write manifest.json; with a signer, also the in-toto/DSSE envelope over every file.
    Signatures and time-stamps of an earlier manifest are removed: they no longer vouch for it.
    ``run`` as the run knows it, or as read from a pack's JSON (it goes through the same model)."""
    run = run if isinstance(run, RunInfo) else RunInfo.model_validate(run)
    data = dump_json(Manifest(run=run, files=file_hashes(root)).to_json()).encode()
    (root / MANIFEST).write_bytes(data)
    for name in (SIGNATURE, ENVELOPE, TIMESTAMP_TOKEN):
        (root / name).unlink(missing_ok=True)
    if signer is not None:
        from .custody import attest

        attest(root, run, signer)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(leftover: Path) -> int | None:
    try:
        return int(leftover.name.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return None


def clean_leftovers(target: Path) -> list[str]:
    """Tidy what a killed earlier run left beside ``target`` and say what was done: a
    half-built ``.X.partial-*`` is removed; a ``.X.old-*`` (the previous pack, moved aside
    by a ``--replace`` killed between its two renames) is put back when ``target`` is
    missing, else removed. Folders of a still running process are left alone."""
    notes: list[str] = []
    if not target.parent.is_dir():
        return notes
    for kind in ("partial", "old"):
        for leftover in sorted(target.parent.glob(f".{target.name}.{kind}-*")):
            pid = _owner_pid(leftover)
            if pid is None or pid == os.getpid() or pid_alive(pid):
                if pid is not None and pid != os.getpid():
                    notes.append(f"{leftover} belongs to a running process ({pid}): left in place")
                continue
            if kind == "old" and not target.exists():
                leftover.rename(target)
                notes.append(f"{target} was missing after an interrupted --replace: restored it from {leftover}")
            else:
                shutil.rmtree(leftover, ignore_errors=True)
                notes.append(f"removed {leftover}, left by an interrupted run")
    return notes


def _writable_ancestor(target: Path) -> None:
    """Fail now, not after the collection, when no pack can be created at ``target``."""
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise PackError(f"cannot write the pack at {target}: {ancestor} is not a folder")
    probe = ancestor / f".{target.name}.probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise PackError(f"cannot write the pack at {target}: {exc.strerror or exc} in {ancestor}") from None


def preflight(target: Path, replace_existing: bool = False) -> list[str]:
    """Refuse an output folder that would be clobbered or cannot be written, before any
    (long) collection. Returns notes about leftovers of interrupted runs it tidied."""
    target = Path(os.path.abspath(target))
    try:
        notes = clean_leftovers(target)
    except OSError as exc:
        raise PackError(f"cannot tidy leftovers beside {target}: {exc}") from None
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise PackError(f"{target} exists and is not a folder")
    if target.exists() and any(target.iterdir()):
        if not replace_existing:
            raise PackError(f"{target} already exists and is not empty: choose a new folder "
                            "(packs are evidence and are never overwritten) or pass --replace")
        if not (target / MANIFEST).is_file():
            raise PackError(f"{target} is not an audit pack (no {MANIFEST}); refusing to replace it")
    _writable_ancestor(target)
    return notes


class PackConflict(PackError):
    """The target folder appeared while this run was writing; ``placed`` is where this
    run's pack was put instead (never over the other one)."""

    def __init__(self, target: Path, placed: Path) -> None:
        self.target = target
        self.placed = placed
        super().__init__(f"{target} appeared while this run was writing (another run into the same --out?); "
                         f"it was left untouched and this run's pack was written to {placed} instead")


def _place(tmp: Path, target: Path, replace_existing: bool, label: str) -> Path:
    if replace_existing and target.exists():
        if not (target / MANIFEST).is_file() and any(target.iterdir()):
            raise PackError(f"{target} is not an audit pack (no {MANIFEST}); refusing to replace it")
        if fsatomic.exchange(tmp, target):
            shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous pack
            return target
        old = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        target.rename(old)  # killed here: the next run puts ``old`` back (clean_leftovers)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        return target
    if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
        target.rmdir()  # an empty folder made for us (preflight allows it)
    try:
        fsatomic.move_noreplace(tmp, target)
        return target
    except FileExistsError:
        pass
    placed = target.parent / f"{target.name}.conflict-{label}"
    fsatomic.move_noreplace(tmp, placed)
    raise PackConflict(target, placed)


def write_pack_atomically(target: Path, build: Callable[[Path], None], replace_existing: bool = False,
                          label: str | None = None) -> Path:
    """Build a pack with ``build(tmpdir)`` and move it to ``target`` only when complete,
    atomically and never over a pack another run put there meanwhile (:class:`PackConflict`)."""
    target = target.resolve()
    clean_leftovers(target)  # the full preflight ran before the collection; what appeared since is _place's
    tmp = target.parent / f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as exc:
        raise PackError(f"cannot write the pack at {target}: {exc.strerror or exc}") from None
    try:
        build(tmp)
        return _place(tmp, target, replace_existing, label or secrets.token_hex(4))
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise PackError(f"cannot write the pack at {target}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@dataclass
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    # absent | valid | invalid | unchecked | unreadable (of the legacy manifest.sig)
    signature: str = "absent"
    problems: list[str] = field(default_factory=list)  # empty folders, symlinks, special files

    @property
    def ok(self) -> bool:
        # a missing or unreadable signature is judged by auditpack.custody, which knows every signature format
        return not (self.changed or self.missing or self.added or self.problems) and self.signature != "invalid"


def read_manifest(root: Path) -> Manifest:
    path = root / MANIFEST
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise PackError(f"{root} has no {MANIFEST}: not an audit pack") from None
    except RecursionError:
        raise PackError(f"{path} cannot be read: nested too deeply") from None
    except (OSError, ValueError) as exc:
        raise PackError(f"{path} cannot be read: {exc}") from None
    if (not isinstance(manifest, dict) or manifest.get("schema") != MANIFEST_SCHEMA
            or not isinstance(manifest.get("files"), dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in manifest["files"].items())):
        raise PackError(f"{path} is not an auditpack manifest")
    try:
        return Manifest.model_validate(manifest)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise PackError(f"{path} is not an auditpack manifest: {where}: {first['msg']}") from None


def layout_problems(root: Path) -> list[str]:
    """What a manifest of file hashes cannot vouch for: empty folders, symbolic links (to
    files or folders, inside or outside the pack) and anything that is not a regular file."""
    problems = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs + files):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                problems.append(f"symlink: {rel} -> {os.readlink(path)}")
            elif name in files and not path.is_file():
                problems.append(f"not a regular file: {rel}")
        if not dirs and not files and here != root:
            problems.append(f"empty folder: {here.relative_to(root).as_posix()}")
    return problems


def _signature_state(root: Path, check_signature: Callable[[bytes, bytes], bool] | None) -> str:
    sig = root / SIGNATURE
    if not sig.exists() and not sig.is_symlink():
        return "absent"
    try:
        signature = sig.read_bytes() if not sig.is_symlink() else None
    except OSError:
        signature = None
    if signature is None:
        return "unreadable"
    if check_signature is None:
        return "unchecked"
    return "valid" if check_signature((root / MANIFEST).read_bytes(), signature) else "invalid"


def verify_pack(root: Path, check_signature: Callable[[bytes, bytes], bool] | None = None) -> Verification:
    """Compare a pack with its manifest and report what a file-hash list cannot vouch for
    (empty folders, symlinks); the legacy ``manifest.sig`` is checked when a checker is given."""
    if not root.is_dir():
        raise PackError(f"{root} is not a folder")
    manifest = read_manifest(root)
    expected = manifest.files
    actual = file_hashes(root)
    result = Verification()
    result.missing = sorted(set(expected) - set(actual))
    result.added = sorted(set(actual) - set(expected))
    result.changed = sorted(p for p in set(expected) & set(actual) if expected[p] != actual[p])
    result.problems = layout_problems(root)
    result.signature = _signature_state(root, check_signature)
    return result


def manual_name(path: Path) -> str:
    return f"{sha256_hex(str(path).encode())[:8]}-{slug(path.name, 80)}"
