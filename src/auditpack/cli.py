"""The ``auditpack`` command line (see shared/contract/README.md for the contract).

Exit codes of ``run`` and ``check``: 0 complete, nothing failing; 1 complete with failing
findings; 2 usage error; 3 incomplete (some evidence could not be collected); 4
configuration error (nothing collected). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from . import __version__
from .engine import CollectorRun, ProgressSink
from .errors import AuditpackError, ConfigError, PackError
from .model import Status
from .runner import EXIT_CONFIG, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, RunResult

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


class LogProgress(ProgressSink):
    """Plain, greppable lines for cron, systemd and CI: start, progress at most every
    ``interval`` seconds per collector, and the end of each collector."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}

    def collector_started(self, collector_id: str) -> None:
        log.info("collector=%s event=started", collector_id)
        self._last[collector_id] = time.monotonic()

    def collector_progress(self, collector_id: str, done: int, total: int | None, message: str) -> None:
        now = time.monotonic()
        if now - self._last.get(collector_id, 0.0) >= self.interval:
            self._last[collector_id] = now
            of = f"/{total}" if total else ""
            log.info("collector=%s event=progress done=%d%s %s", collector_id, done, of, message)

    def collector_finished(self, run: CollectorRun) -> None:
        level = logging.INFO if run.status in ("ok", "skipped") else logging.WARNING
        log.log(level, "collector=%s event=finished status=%s evidence=%d errors=%d seconds=%.1f%s",
                run.id, run.status, run.evidence_count, run.error_count, run.seconds,
                f" error={run.error!r}" if run.error else "")


class RichProgress(ProgressSink):
    """A live progress display on an interactive terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[cid]}"), BarColumn(),
                                 TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> RichProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def collector_started(self, collector_id: str) -> None:
        self.tasks[collector_id] = self.progress.add_task("collecting", total=None, cid=collector_id)

    def collector_progress(self, collector_id: str, done: int, total: int | None, message: str) -> None:
        task = self.tasks.get(collector_id)
        if task is not None:
            self.progress.update(task, completed=done, total=total, description=message[:60] or "collecting")

    def collector_finished(self, run: CollectorRun) -> None:
        task = self.tasks.get(run.id)
        if task is not None:
            self.progress.update(task, total=1, completed=1,
                                 description=f"{run.status}: {run.evidence_count} evidence, {run.error_count} errors")


def _progress(args: argparse.Namespace) -> ProgressSink:
    if not args.quiet and sys.stderr.isatty():
        return RichProgress()
    return LogProgress()


def _fail(message: str, code: int) -> int:
    print(f"auditpack: {message}", file=sys.stderr)
    return code


def _load(args: argparse.Namespace) -> tuple[Any, Any]:
    from .config import load_config
    from .registry import default_registry

    registry = default_registry()
    config = load_config(args.config, registry)
    return config, registry


def _summary(result: RunResult) -> str:
    counts = result.counts
    parts = [f"{counts.get(s.value, 0)} {s.value}" for s in (Status.PASS, Status.FAIL, Status.ERROR, Status.MANUAL,
                                                               Status.NOT_APPLICABLE)]
    waived = sum(1 for f in result.findings if f.status is Status.FAIL and f.waiver)
    state = "complete" if result.complete else "INCOMPLETE"
    extra = f" ({waived} failing finding(s) covered by active waivers)" if waived else ""
    return f"{len(result.findings)} findings: {', '.join(parts)}; evidence {state}{extra}"


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


def _record_history(result: RunResult, pack: Path | None, config_path: str | None) -> None:
    from .history import History, default_path

    settings = result.config.core.history
    if not settings.enabled:
        return
    try:
        History(default_path(settings.path)).record(result.run, result.exit_code,
                                                    str(pack) if pack else None, config_path)
    except Exception as exc:  # noqa: BLE001 - history is a convenience; the pack is the evidence
        log.warning("the run could not be recorded in the history database: %s", exc)


def _signer(path: str | None) -> Any:
    if not path:
        return None
    from .signing import signer

    return signer(Path(path))


def _finish_run(args: argparse.Namespace, result: RunResult, pack: Path | None) -> int:
    if pack is not None:
        print(f"auditpack: pack written to {pack}")
    print(f"auditpack: {_summary(result)}")
    if not result.complete:
        print(f"auditpack: incomplete: {result.incomplete_reason()}", file=sys.stderr)
    for problem in result.pack_problems:
        print(f"auditpack: incomplete: {problem}", file=sys.stderr)
    return result.exit_code


def cmd_run(args: argparse.Namespace) -> int:
    from .pack import preflight
    from .runner import write

    preflight(Path(args.out), args.replace)
    from .custody import signer_for_run

    signer = _signer(args.sign_key)
    result = _execute(args)
    signer = signer_for_run(signer, result.config, result.pack_problems)
    pack = write(result, Path(args.out), replace=args.replace, sign=signer)
    if args.shard is None:  # a partial run is recorded once, by auditpack merge
        _record_history(result, pack, args.config)
    return _finish_run(args, result, pack)


def _print_check_table(args: argparse.Namespace, result: RunResult) -> None:
    findings = sorted(result.findings, key=lambda f: (STATUS_ORDER[f.status], f.measure, f.check, f.resource.id))
    shown = [f for f in findings if args.all or f.status in (Status.FAIL, Status.ERROR)]
    for f in shown:
        label = f.status.value.upper() + (" (waived)" if f.waiver else "")
        where = f.resource.name or f.resource.id
        _out(args, f"{label:<16} {f.check}  [{f.resource.provider}] {where}")
        _out(args, f"{'':<16} {f.message}")
        if f.remediation and f.status in (Status.FAIL, Status.ERROR):
            _out(args, f"{'':<16} hint: {f.remediation}")
    if not shown:
        print("No failing or errored findings." if not args.all else "No findings.")


def cmd_check(args: argparse.Namespace) -> int:
    if args.out:
        from .pack import preflight

        preflight(Path(args.out), args.replace)
    result = _execute(args)
    pack = None
    if args.out:
        from .runner import write

        pack = write(result, Path(args.out), replace=args.replace)
    if args.format == "json":
        from .pack import findings_document

        _out(args, json.dumps(findings_document(result.run, result.findings), indent=2, sort_keys=True))
    else:
        _print_check_table(args, result)
    return _finish_run(args, result, pack)


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
    from .pack import read_manifest, write_manifest
    from .reports import render_pack

    root = Path(args.dir)
    manifest = read_manifest(root)
    before = (root / "manifest.json").read_bytes()
    had_signature = (root / "manifest.sig").exists() or (root / "manifest.intoto.jsonl").exists()
    render_pack(root)
    sign = _signer(args.sign_key)
    if sign is None and had_signature:
        # keep the signature file: if the reports changed, verify will say it no longer matches
        from .pack import dump_json, file_hashes

        new = dump_json({"schema": manifest["schema"], "run": manifest["run"], "files": file_hashes(root)}).encode()
        if new != before:
            (root / "manifest.json").write_bytes(new)
            print("auditpack: the reports changed, so the old signature no longer matches the manifest: "
                  "sign again with --sign-key", file=sys.stderr)
    else:
        write_manifest(root, manifest["run"], sign)
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
    rows = [{"id": cid, "title": cls.title, "section": cls.config_section, "produces": list(cls.produces),
             "permissions": {k: list(v) for k, v in cls.permissions.items()}}
            for cid, cls in sorted(reg.collectors.items())]
    text = [f"{r['id']:<10} [{r['section'] or '-'}] {r['title']}: {len(r['produces'])} evidence kind(s)" for r in rows]
    return _print_registry(args, "collectors", rows, text)


def cmd_list_checks(args: argparse.Namespace) -> int:
    from .catalogs import load_catalogs
    from .registry import default_registry

    cats = load_catalogs()
    rows = [{"id": c.id, "measure": str(c.measure), "title": c.title,
             "controls": list(cats.controls_for(c.id, c.measure)), "source": c.source}
            for c in default_registry().sorted_checks()]
    text = [f"{r['id']}\n    measure: {r['measure']}; {r['title']}\n    controls: {', '.join(r['controls'])}"
            for r in rows]
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
    runs = History(path).recent(args.limit)
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
    p.add_argument("--config", required=True, metavar="FILE")
    p.add_argument("--out", required=True, metavar="DIR", help="a new folder for the pack")
    p.add_argument("--replace", action="store_true", help="replace an existing pack at DIR (atomically)")
    p.add_argument("--sign-key", metavar="KEY", help="Ed25519 private key (PEM) to sign the manifest")
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

    p = sub.add_parser("check", parents=[common], help="the manual pre-audit check: results in the terminal")
    p.add_argument("--config", required=True, metavar="FILE")
    p.add_argument("--out", metavar="DIR", help="also write a pack")
    p.add_argument("--replace", action="store_true")
    p.add_argument("--all", action="store_true", help="show every finding, not only failing and errored ones")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("report", parents=[common], help="re-render a pack's reports from its stored evidence")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--sign-key", metavar="KEY", help="sign the (re-written) manifest")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("verify", parents=[common], help="check every file of a pack against its manifest")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--public-key", metavar="KEY", help="Ed25519 public key (PEM) to check the signature; "
                   "given a key, a missing signature is a failure")
    p.add_argument("--tsa-cert", metavar="CERT", help="the time-stamping authority's certificate or CA (PEM) "
                   "to check the trusted time-stamp offline")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("demo", parents=[common], help="a full run against a built-in emulated company")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--replace", action="store_true")
    p.add_argument("--sign-key", metavar="KEY", help="Ed25519 private key (PEM): sign the demo pack and "
                   "time-stamp it with an emulated TSA (its CA is written beside the pack)")
    p.set_defaults(func=cmd_demo)

    for name, func, helptext in (("collectors", cmd_list_collectors, "list registered collectors"),
                                 ("checks", cmd_list_checks, "list registered checks with measure and controls")):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("--format", choices=("text", "json"), default="text")
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
