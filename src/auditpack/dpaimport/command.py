"""``auditpack dpa import FILE [--out PROFILE.toml] [--id ID] [--review REVIEW.html] [--force]``.

Bad input (unreadable, empty, binary, unknown extension, encrypted or scanned PDF, nothing
DPA-like in it) is one line naming the file and the reason, exit 4, and no file written.
An existing --out or --review is never overwritten without --force.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from ..runner import EXIT_CONFIG, EXIT_OK, EXIT_USAGE
from .model import DocumentError

SUFFIXES = (".txt", ".md", ".docx", ".pdf")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _safe(text: str) -> str:
    """Outside text for the terminal: no control characters or bidi overrides."""
    return _CONTROL.sub("?", text)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    dpa = sub.add_parser("dpa", parents=[common], help="DPA profiles: draft one from the agreement itself")
    dsub = dpa.add_subparsers(dest="dpa_command", required=True, metavar="ACTION")
    p = dsub.add_parser("import", parents=[common],
                        help="draft a DPA profile (draft = true) from a .txt/.md/.docx/.pdf agreement")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--out", metavar="PROFILE.toml", help="where to write the draft (default: ./<ID>.toml)")
    p.add_argument("--id", metavar="ID", help="the profile id (default: from the file name)")
    p.add_argument("--review", metavar="REVIEW.html", help="also write a review page (self-contained HTML)")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out or --review file")
    p.set_defaults(func=cmd_dpa_import)


def _fail(message: str, code: int) -> int:
    print(f"auditpack: {_safe(message)}", file=sys.stderr)
    return code


def _write(path: Path, text: str, force: bool) -> None:
    """Atomically: a reader of ``path`` sees the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if force:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if it appeared meanwhile: never overwrite without --force
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_dpa_import(args: argparse.Namespace) -> int:
    from .draft import draft_profile, profile_id_for
    from .review import render_review

    try:
        from .reader import read_document
    except ImportError as exc:  # the reader's optional dependency (pypdf) is missing
        return _fail(f"{args.file}: cannot read DPA documents here: {exc}", EXIT_CONFIG)

    source = Path(args.file)
    if source.suffix.casefold() not in SUFFIXES:
        return _fail(f"{source}: unknown extension {source.suffix or '(none)'!r} "
                     f"(expected {', '.join(SUFFIXES)})", EXIT_CONFIG)
    ident = args.id or profile_id_for(str(source))
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", ident):
        return _fail(f"--id {ident!r}: lower case letters, digits, '-' and '_' only", EXIT_USAGE)
    out = Path(args.out) if args.out else Path(f"{ident}.toml")
    review = Path(args.review) if args.review else None
    for target in (out, review):
        if target is not None and target.exists() and not args.force:
            return _fail(f"{target}: already exists (refusing to overwrite without --force)", EXIT_USAGE)
    try:
        document = read_document(source)
        draft = draft_profile(document, ident)
    except DocumentError as exc:
        return _fail(f"{source}: {exc.reason}", EXIT_CONFIG)
    except OSError as exc:
        return _fail(f"{source}: cannot read: {exc.strerror or exc}", EXIT_CONFIG)
    try:
        _write(out, draft.toml, args.force)
        if review is not None:
            _write(review, render_review(draft), args.force)
    except FileExistsError as exc:
        return _fail(f"{exc.filename}: already exists (refusing to overwrite without --force)", EXIT_USAGE)
    except OSError as exc:
        return _fail(f"{exc.filename or out}: cannot write: {exc.strerror or exc}", EXIT_CONFIG)
    print(summary(draft, out, review))
    return EXIT_OK


def summary(draft: Any, out: Path, review: Path | None) -> str:
    doc = draft.document
    lines = [f"Drafted DPA profile {draft.profile.id} from {_safe(Path(doc.path).name)} "
             f"(language {doc.language}): {len(draft.clauses)} clauses, draft = true"]
    per: Counter[str] = Counter()
    refs: dict[str, list[str]] = {}
    for c in draft.clauses:
        for t in c.tags:
            per[t.measure.value] += 1
            refs.setdefault(t.measure.value, []).append(c.ref)
    lines.append("Clauses per measure:")
    for measure, n in sorted(per.items()):
        shown = ", ".join(refs[measure][:4]) + (", …" if len(refs[measure]) > 4 else "")
        lines.append(f"  {measure:26} {n:3}  {_safe(shown)}")
    from ..model import Measure
    missing = sorted(m.value for m in Measure if m.value not in per)
    if missing:
        lines.append(f"  not promised (no clause found): {', '.join(missing)}")
    lines.append("Parameters:")
    for p in draft.parameters.values:
        lines.append(f"  {p.key} = {p.value!r}  ({_safe(p.ref)}: '{_safe(p.phrase)}')")
    for note in draft.parameters.notes:
        lines.append(f"  not set: {_safe(note)}")
    if draft.register.entries:
        lines.append(f"Register ({_safe(draft.register.ref or '')}): {len(draft.register.entries)} sub-processors")
        for e in draft.register.entries:
            where = ", ".join(e.countries) + (" EEA" if e.eea else "")
            lines.append(f"  {_safe(e.name)}: {_safe(e.service) or '?'} [{_safe(e.location) or 'no location'}"
                         f"{' -> ' + where.strip() if where.strip() else ''}]")
    else:
        lines.append("Register: none found")
    lines.append(f"Could not place: {len(draft.leftovers)} sentence(s) that look like promises but matched no measure "
                 "(listed at the end of the draft)")
    lines.append(f"Wrote {_safe(str(out))}" + (f" and the review page {_safe(str(review))}" if review else "")
                 + ". Review it against the agreement, then set draft = false.")
    return "\n".join(lines)
