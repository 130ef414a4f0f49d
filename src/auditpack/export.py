"""``auditpack export DIR --format oscal``: a pack's OSCAL documents, also for packs written
before they were part of every pack. Written outside the pack (a pack is never changed after
its manifest), with links back into it relative to where they are written."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import PackError

FORMATS = ("oscal",)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("export", parents=[common], help="write a pack's OSCAL Assessment Results into a new folder")
    p.add_argument("dir", metavar="DIR", help="the audit pack")
    p.add_argument("--format", choices=FORMATS, default="oscal",
                   help="oscal: assessment results, assessment plan and catalogs (OSCAL 1.1.2 JSON)")
    p.add_argument("--out", metavar="OUT", help="a new folder for the documents (default: DIR-oscal beside the pack)")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from .pack import verify_pack
    from .packmodel import Pack
    from .reports.oscal import write_oscal
    from .reports.view import view_of

    root = Path(args.dir)
    check = verify_pack(root)  # never export what no longer matches its manifest
    if not check.ok:
        raise PackError(f"{root}: the pack does not match its manifest (run auditpack verify {root}); "
                        "nothing exported")
    out = Path(args.out) if args.out else root.parent / f"{root.name}-oscal"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PackError(f"{out} already exists and is not empty: choose a new folder with --out")
    pack = Pack.load(root)
    written = write_oscal(root, view_of(pack), pack.context.evidence_max_age_hours, out)
    for path in written:
        print(path)
    print(f"auditpack: {len(written)} OSCAL documents written to {out}", file=sys.stderr)
    return 0
