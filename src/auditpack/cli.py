"""The ``auditpack`` command line: the commands and exit codes of the README's command table.

Exit codes of ``run`` and ``check``: 0 complete, nothing failing; 1 complete with failing
findings; 2 usage error; 3 incomplete (some evidence could not be collected); 4
configuration error (nothing collected); 70 internal error (a bug: one line, the traceback
only with ``-v``). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from . import __version__
from .dpaimport.command import add_parser as add_dpa_parser
from .engine import ProgressSink
from .errors import AuditpackError, ConfigError, PackError
from .model import Status
from .progress import RichProgress, progress_sink, run_summary
from .runner import EXIT_CONFIG, EXIT_INCOMPLETE, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, RunResult

log = logging.getLogger("auditpack")

STATUS_ORDER = {Status.FAIL: 0, Status.ERROR: 1, Status.MANUAL: 2, Status.PASS: 3, Status.NOT_APPLICABLE: 4}


class _UtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))


def setup_logging(quiet: bool, verbose: bool, stream: TextIO | None = None) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("auditpack")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    if not verbose:
        for noisy in ("botocore", "boto3", "urllib3", "paramiko", "hcloud"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def _progress(args: argparse.Namespace) -> ProgressSink:
    return progress_sink(args.quiet)


def _fail(message: str, code: int) -> int:
    print(f"auditpack: {message}", file=sys.stderr)
    return code


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    from .config import load_config
    from .registry import default_registry

    registry = default_registry()
    config = load_config(args.config, registry)
    return config, registry


def _guard_secrets(args: argparse.Namespace, config: Any, registry: Any) -> None:
    """Scrub the values of the configured secret variables from log lines and terminal output."""
    from .runner import secret_names
    from .secrets import Scrubber, ScrubFilter

    scrubber = Scrubber.from_env(secret_names(config, registry))
    args.scrubber = scrubber
    for handler in logging.getLogger("auditpack").handlers:
        handler.addFilter(ScrubFilter(scrubber))


def _out(args: argparse.Namespace, text: str) -> None:
    scrubber = getattr(args, "scrubber", None)
    print(scrubber.scrub(text) if scrubber else text)


def _execute(args: argparse.Namespace) -> RunResult:
    from .runner import execute

    config, registry = _load(args)
    _guard_secrets(args, config, registry)
    sink = _progress(args)
    shard = getattr(args, "shard", None)
    if isinstance(sink, RichProgress):
        with sink:
            return execute(config, registry, progress=sink, shard=shard)
    return execute(config, registry, progress=sink, shard=shard)


def _history(result: RunResult) -> Any:
    from .history import History, default_path

    settings = result.config.core.history
    return History(default_path(settings.path)) if settings.enabled else None


def _record_history(result: RunResult, pack: Path | None, config_path: str | None) -> None:
    history = _history(result)
    if history is None:
        return
    try:
        history.record(result.run.to_json(), result.exit_code, str(pack) if pack else None, config_path)
    except Exception as exc:  # noqa: BLE001 - history is a convenience; the pack is the evidence
        log.warning("the run could not be recorded in the history database: %s", exc)


def _preflight(args: argparse.Namespace) -> None:
    from .pack import preflight

    for note in preflight(Path(args.out), args.replace):
        log.warning("%s", note)


def _write_and_record(args: argparse.Namespace, result: RunResult, sign: Any = None) -> tuple[Path, int | None]:
    """Write the pack and record the run. When another run took ``--out`` meanwhile, this
    run's pack is kept beside it; the caller exits with usage error (2) after the summary."""
    from .pack import PackConflict
    from .runner import write

    out = Path(args.out)
    try:
        pack = write(result, out, replace=args.replace, sign=sign)
    except PackConflict as exc:
        _record_history(result, exc.placed, args.config)
        print(f"auditpack: {exc}", file=sys.stderr)
        return exc.placed, EXIT_USAGE
    _record_history(result, pack, args.config)
    return pack, None


def _signer(path: str | None) -> Any:
    if not path:
        return None
    from .signing import signer

    return signer(Path(path))


def _finish_run(args: argparse.Namespace, result: RunResult, pack: Path | None) -> int:
    if pack is not None:
        print(f"auditpack: pack written to {pack}")
    print(f"auditpack: {run_summary(result)}")
    if not result.complete:
        print(f"auditpack: incomplete: {result.incomplete_reason()}", file=sys.stderr)
    for problem in result.pack_problems:
        print(f"auditpack: incomplete: {problem}", file=sys.stderr)
    return result.exit_code


def _pdf_unavailable(args: argparse.Namespace) -> int | None:
    """``--pdf`` without the ``pdf`` extra: one line saying how to install it, before any work."""
    if not getattr(args, "pdf", False):
        return None
    from .reports.pdf import PdfUnavailable, check_available

    try:
        check_available()
    except PdfUnavailable as exc:
        return _fail(str(exc), EXIT_USAGE)
    return None


def cmd_run(args: argparse.Namespace) -> int:
    from .continuity import complete_run

    if (code := _pdf_unavailable(args)) is not None:
        return code
    _preflight(args)
    from .custody import signer_for_run

    signer = _signer(args.sign_key)
    result = _execute(args)
    signer = signer_for_run(signer, result.config, result.pack_problems)
    from .pack import PackConflict

    try:
        outcome = complete_run(result, Path(args.out), config_path=args.config, replace=args.replace,
                               sign=signer, pdf=args.pdf)
    except PackConflict as exc:
        print(f"auditpack: {exc}", file=sys.stderr)
        _finish_run(args, result, exc.placed)
        return EXIT_USAGE
    code = _finish_run(args, result, outcome.pack)
    for problem in outcome.problems:
        print(f"auditpack: incomplete: {problem}", file=sys.stderr)
    return max(code, outcome.exit_code)


def _print_check_table(args: argparse.Namespace, result: RunResult) -> None:
    from auditpack.reports.view import build_view

    from .packmodel import FindingsDocument
    from .runner import report_context
    from .terminal import print_check

    context = report_context(result)
    read_now = {m.path: m.sha256 for m in context.manual_evidence}  # the documents as just read
    view = build_view(FindingsDocument(result.run, tuple(result.findings)), context, [], read_now)
    print_check(result.findings, view, result.exit_code, args.all, lambda line: _out(args, line))


def cmd_check(args: argparse.Namespace) -> int:
    if args.out:
        _preflight(args)
    result = _execute(args)
    pack, conflict = _write_and_record(args, result) if args.out else (None, None)
    if args.format == "json":
        from .pack import safe_findings_document

        document = safe_findings_document(result.run, result.findings, getattr(args, "scrubber", None))
        _out(args, json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        _print_check_table(args, result)
    code = _finish_run(args, result, pack)
    return code if conflict is None else conflict


def _shard(text: str) -> Any:
    from .shard import Shard

    try:
        return Shard.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_merge(args: argparse.Namespace) -> int:
    from .merge import cmd_merge as merge

    return merge(args)


def cmd_report(args: argparse.Namespace) -> int:
    from .pack import read_manifest, verify_pack, write_manifest
    from .reports import render_pack, rendered

    if (code := _pdf_unavailable(args)) is not None:
        return code
    root = Path(args.dir)
    check = verify_pack(root)
    # the rendered reports are outputs of this command: only its inputs must match
    broken = [f"{label} {name}" for label, names in (("changed", check.changed), ("missing", check.missing),
                                                     ("added", check.added)) for name in names
              if not rendered(name)] + check.problems
    if check.signature == "unreadable":
        broken.append("manifest.sig unreadable")
    if broken and not args.rehash:
        more = f" (+{len(broken) - 3} more)" if len(broken) > 3 else ""
        return _fail(f"{root} does not match its manifest ({'; '.join(broken[:3])}{more}): refusing to re-render "
                     "and re-hash it; see auditpack verify, or pass --rehash to accept its files as they are", 1)
    if broken:
        log.warning("re-hashing a pack that did not match its manifest (--rehash): %s", "; ".join(broken))
    manifest = read_manifest(root)
    before = (root / "manifest.json").read_bytes()
    had_signature = (root / "manifest.sig").exists() or (root / "manifest.intoto.jsonl").exists()
    render_pack(root)
    if args.pdf:
        from .reports.pdf import render_pdf

        render_pdf(root)
    elif (root / "report.pdf").exists():
        print("auditpack: report.pdf kept as it was (pass --pdf to render it again)")
    sign = _signer(args.sign_key)
    if sign is None and had_signature and not broken:
        # keep the signature file: if the reports changed, verify will say it no longer matches
        from .pack import dump_json, file_hashes

        new = dump_json(manifest.model_copy(update={"files": file_hashes(root)}).to_json()).encode()
        if new != before:
            (root / "manifest.json").write_bytes(new)
            print("auditpack: the reports changed, so the old signature no longer matches the manifest: "
                  "sign again with --sign-key", file=sys.stderr)
    else:
        write_manifest(root, manifest.run, sign)
    print(f"auditpack: reports re-rendered in {root}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """One screen: the file hashes, the signature and its signer, the time-stamp and its
    authority; what could not be checked is said, never implied."""
    from .custody import check_pack, describe
    from .signing import load_public_key

    public_key = load_public_key(Path(args.public_key)) if args.public_key else None
    tsa_cert = None
    if args.tsa_cert:
        try:
            tsa_cert = Path(args.tsa_cert).read_bytes()
        except OSError as exc:
            raise ConfigError(args.tsa_cert, "", f"cannot read the TSA certificate: {exc.strerror or exc}") from None
    if args.dir.startswith("s3://"):
        from .locker import verify_locked

        with tempfile.TemporaryDirectory(prefix="auditpack-locker-") as tmp:
            locked = verify_locked(args.dir, download=Path(tmp), endpoint_url=args.endpoint_url)
            report = check_pack(Path(tmp), public_key, tsa_cert)
        for item in locked.overwritten:
            print(f"overwritten: {item} (a later version or a delete marker hides the locked original)")
        for item in locked.retention:
            print(f"retention: {item}")
        if locked.retain_until:
            print(f"retention: every file locked until at least {locked.retain_until}")
        report.files.missing = sorted(set(report.files.missing) | set(locked.missing))
        if locked.overwritten or locked.retention:
            report.problems.append("the evidence locker does not hold this pack write-once (see above)")
    else:
        report = check_pack(Path(args.dir), public_key, tsa_cert)
    files = report.files
    for label, items in (("changed", files.changed), ("missing", files.missing), ("added", files.added)):
        for item in items:
            print(f"{label}: {item}")
    for line in describe(report, public_key is not None, tsa_cert is not None):
        print(line)
    for problem in [*files.problems, *report.problems]:
        print(f"problem: {problem}")
    if report.ok:
        print(f"auditpack: {args.dir}: verified (what was not checked is listed above)")
        return EXIT_OK
    return _fail(f"{args.dir}: the pack does not verify", 1)


def _print_registry(args: argparse.Namespace, key: str, rows: list[dict[str, Any]], text: list[str]) -> int:
    from .registry import default_registry

    broken = default_registry().broken
    if args.format == "json":
        print(json.dumps({key: rows, "broken": [b.__dict__ for b in broken]}, indent=2))
        return EXIT_OK
    for line in text:
        print(line)
    for b in broken:
        print(f"BROKEN     {b.name} ({b.value}): {b.error}")
    return EXIT_OK


def cmd_list_collectors(args: argparse.Namespace) -> int:
    from .registry import default_registry

    reg = default_registry()
    rows = [{"id": cid, "title": cls.title, "section": cls.config_section, "produces": [r.kind for r in cls.produces],
             "permissions": {k: list(v) for k, v in cls.permissions.items()}}
            for cid, cls in sorted(reg.collectors.items())]
    text = [f"{cid:<10} [{cls.config_section or '-'}] {cls.title}: {len(cls.produces)} evidence kind(s)"
            for cid, cls in sorted(reg.collectors.items())]
    return _print_registry(args, "collectors", rows, text)


def cmd_list_checks(args: argparse.Namespace) -> int:
    from .catalogs import load_catalogs
    from .registry import default_registry

    cats = load_catalogs()
    reg = default_registry()
    if args.format == "md":
        from .check_table import checks_markdown

        sys.stdout.write(checks_markdown(reg, cats))
        return EXIT_OK
    from .check_table import providers_of

    rows = [{"id": c.id, "measure": str(c.measure), "title": c.title,
             "controls": list(cats.controls_for(c.id, c.measure)), "source": c.source,
             "basis": [str(b) for b in c.bases], "providers": list(providers_of(c, reg))}
            for c in reg.sorted_checks()]
    text = [f"{r['id']}\n    measure: {r['measure']}; basis: {', '.join(r['basis'])}; {r['title']}\n"
            f"    controls: {', '.join(r['controls'])}" for r in rows]
    return _print_registry(args, "checks", rows, text)


def cmd_keygen(args: argparse.Namespace) -> int:
    from .signing import generate_keypair

    private, public = Path(args.private), Path(args.public)
    for path in (private, public):
        if path.exists():
            return _fail(f"{path} already exists; refusing to overwrite a key", EXIT_USAGE)
    try:
        for path, mode in ((private, 0o700), (public, 0o755)):
            path.parent.mkdir(mode=mode, parents=True, exist_ok=True)
        generate_keypair(private, public)
    except OSError as exc:
        return _fail(f"cannot write the key pair: {exc.filename or private}: {exc.strerror or exc}", EXIT_USAGE)
    print(f"auditpack: signing key written to {private} (keep it secret), public key to {public} (give it "
          "to the auditor: auditpack verify DIR --public-key ...)")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    import sqlite3

    from .history import History, default_path

    configured = args.database
    if configured is None and args.config:
        config, _ = _load(args)
        if not config.core.history.enabled:
            print(f"auditpack: {args.config} does not record runs ([history] enabled = false)")
            return EXIT_OK
        configured = config.core.history.path
    path = default_path(configured)
    if not path.is_file():
        print(f"auditpack: no history database at {path}: no run has been recorded there yet")
        return EXIT_OK
    try:
        runs = History(path).recent(args.limit)
    except sqlite3.Error as exc:
        return _fail(f"the history database {path} cannot be read: {exc}", EXIT_CONFIG)
    if not runs:
        print(f"auditpack: the history database {path} holds no runs yet")
        return EXIT_OK
    row = "{:<20}  {:<24}  {:>4}  {:<10}  {:>5}  {:>5}  {:>5}  {:>6}  {}"
    print(row.format("STARTED (UTC)", "RUN", "EXIT", "EVIDENCE", "PASS", "FAIL", "ERROR", "MANUAL", "PACK"))
    for r in runs:
        c = r.counts
        print(row.format(r.started_at, r.id, r.exit_code, "complete" if r.complete else "INCOMPLETE",
                         c["pass"], c["fail"], c["error"], c["manual"], r.pack_path or "-"))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditpack", description=(
        "Collect evidence that the measures promised in your DPAs hold, and write an audit pack."))
    parser.add_argument("--version", action="version", version=f"auditpack {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="only warnings and the summary")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="collect, check and write the audit pack into DIR")
    p.add_argument("--config", required=True, metavar="FILE", help="the configuration (see config.example.toml)")
    p.add_argument("--out", required=True, metavar="DIR", help="a new folder for the pack")
    p.add_argument("--replace", action="store_true", help="replace an existing pack at DIR (atomically)")
    p.add_argument("--sign-key", metavar="KEY", help="Ed25519 private key (PEM) to sign the manifest")
    p.add_argument("--pdf", action="store_true", help="also write report.pdf (needs the `pdf` extra: WeasyPrint)")
    p.add_argument("--shard", metavar="K/N", type=_shard, help="collect shard K (0..N-1) of N only: a partial pack "
                   "for auditpack merge")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("merge", parents=[common], help="verify the partial packs of a sharded run and write one pack")
    p.add_argument("packs", nargs="+", metavar="PACK", help="every partial pack of the run (--shard 0/N … N-1/N)")
    p.add_argument("--out", required=True, metavar="DIR", help="a new folder for the merged pack")
    p.add_argument("--replace", action="store_true", help="replace an existing pack at DIR (atomically)")
    p.add_argument("--public-key", metavar="KEY", help="check the parts' signatures (required when they are signed)")
    p.add_argument("--sign-key", metavar="KEY", help="Ed25519 private key (PEM) to sign the merged manifest")
    p.set_defaults(func=cmd_merge)

    p = sub.add_parser("check", parents=[common], help="the manual pre-audit check: results in the terminal",
                       description="Collect and check now, and print what needs attention: failing and errored "
                                   "findings by severity and measure, each with its hint, then the per-measure and "
                                   "per-DPA summary and what the exit code means (0 complete, nothing failing; 1 "
                                   "failing findings; 3 incomplete; 4 configuration error).")
    p.add_argument("--config", required=True, metavar="FILE", help="the configuration (see config.example.toml)")
    p.add_argument("--out", metavar="DIR", help="also write an audit pack into DIR (a new folder)")
    p.add_argument("--replace", action="store_true", help="with --out: replace an existing pack at DIR (atomically)")
    p.add_argument("--all", action="store_true", help="show every finding, not only failing and errored ones")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for a person (default); json: the findings document of findings.json on stdout")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("report", parents=[common], help="re-render a pack's reports from its stored evidence")
    p.add_argument("dir", metavar="DIR", help="the pack folder")
    p.add_argument("--sign-key", metavar="KEY", help="sign the (re-written) manifest")
    p.add_argument("--pdf", action="store_true", help="also render report.pdf again (needs the `pdf` extra)")
    p.add_argument("--rehash", action="store_true",
                   help="re-render and re-hash even when the pack does not match its manifest")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("verify", parents=[common], help="check every file of a pack against its manifest")
    p.add_argument("dir", metavar="DIR", help="a pack folder, or s3://bucket/prefix/RUN in the evidence locker")
    p.add_argument("--public-key", metavar="KEY", help="Ed25519 public key (PEM) to check the signature; "
                   "given a key, a missing signature is a failure")
    p.add_argument("--tsa-cert", metavar="CERT", help="the time-stamping authority's certificate or CA (PEM) "
                   "to check the trusted time-stamp offline")
    p.add_argument("--endpoint-url", metavar="URL", help="for s3:// packs: an S3-compatible endpoint")
    p.set_defaults(func=cmd_verify)

    from .drift import add_parser as add_diff

    add_diff(sub, common)

    p = sub.add_parser("demo", parents=[common], help="a full run against a built-in emulated company",
                       description="Start an emulated company (AWS in moto, a Hetzner API emulator, TLS endpoints, "
                                   "an SSH backup server where sshd and borg are installed) and either write an "
                                   "audit pack of it (--out) or keep it running for auditpack check (--serve).")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--out", metavar="DIR", help="run the full pipeline and write the pack into DIR")
    mode.add_argument("--serve", metavar="DIR", help="keep the company running, write its configuration (and the "
                      "files it needs) into DIR, print the auditpack check command; Ctrl-C stops everything")
    p.add_argument("--replace", action="store_true", help="with --out: replace an existing pack at DIR")
    p.add_argument("--sign-key", metavar="KEY", help="with --out: Ed25519 private key (PEM): sign the demo pack and "
                   "time-stamp it with an emulated TSA (its CA is written beside the pack)")
    p.set_defaults(func=cmd_demo)

    for name, func, helptext in (("collectors", cmd_list_collectors, "list registered collectors"),
                                 ("checks", cmd_list_checks, "list registered checks: measure, basis, controls")):
        p = sub.add_parser(name, parents=[common], help=helptext)
        formats = ("text", "json", "md") if name == "checks" else ("text", "json")
        more = " or md (the table of docs/checks.md)" if name == "checks" else ""
        p.add_argument("--format", choices=formats, default="text", help=f"text (default), json{more}")
        p.set_defaults(func=func)

    p = sub.add_parser("keygen", parents=[common], help="create an Ed25519 key pair for signing packs")
    p.add_argument("--private", required=True, metavar="FILE", help="where to write the private key (PEM, 0600)")
    p.add_argument("--public", required=True, metavar="FILE", help="where to write the public key (PEM)")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("history", parents=[common], help="list recorded runs, newest first")
    p.add_argument("--limit", type=int, default=20, help="how many runs to list (default 20)")
    p.add_argument("--config", metavar="FILE", help="read the database path from this configuration's [history] path")
    p.add_argument("--database", metavar="FILE", help="the history database (default: --config's [history] path, "
                   "else $AUDITPACK_HISTORY, else the user's data dir)")
    p.set_defaults(func=cmd_history)

    from .export import add_parser as add_export

    add_export(sub, common)

    add_dpa_parser(sub, common)  # auditpack dpa import (dpaimport/command.py)
    return parser


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(getattr(args, "quiet", False), getattr(args, "verbose", False))
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code: int = args.func(args)
        return code
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_CONFIG)
    except PackError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except AuditpackError as exc:
        return _fail(str(exc), EXIT_INCOMPLETE)
    except KeyboardInterrupt:
        return _fail("interrupted: no pack was written and earlier packs are untouched", 130)
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - a bug must not read as "failing findings" (exit 1)
        if getattr(args, "verbose", False):
            traceback.print_exc()
        where = "" if getattr(args, "verbose", False) else " (run again with -v for the traceback)"
        return _fail(f"internal error: {type(exc).__name__}: {str(exc)[:300]}{where}", EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
