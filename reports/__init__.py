"""Reports: render a pack's findings and evidence into documents. Reports never decide.

``render_pack(root)`` reads ``findings.json``, ``context.json`` and ``evidence/index.json``
from a pack folder, builds the view model (:mod:`auditpack.reports.view`) and writes
``report.html`` (one self-contained file), ``report.md`` (renders on a Git forge) and
``findings.csv``. It is the one code path for ``run`` and for ``auditpack report DIR``
(offline re-rendering): the output depends only on the pack's files, so the same pack
renders byte-identically.

Escaping: every string in the view model may come from the outside world (bucket names,
tags, host output). HTML uses Jinja2 autoescaping; Markdown uses a finalizer that escapes
*every* printed value, so a template cannot forget it (:func:`markdown_escape`).
"""

from __future__ import annotations

import base64
import csv
import gc
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import attrgetter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from auditpack.packmodel import Pack

from .display import for_reading, show_bidi
from .layout import Report, arrange
from .oscal import write_oscal
from .view import FindingRow, ReportView, view_of

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSV_COLUMNS = ("id", "status", "severity", "measure", "check", "provider", "resource_type", "resource_id",
               "resource_name", "location", "scope", "message", "remediation", "controls", "clauses",
               "waiver_owner", "waiver_reason", "waiver_expires", "evidence", "basis")

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&@$])")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-]|[0-9]+[.)])(?=\s|$|[=-]*$)")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n|\u2028|\u2029")


class MdSafe(str):
    """Markdown the renderer itself wrote: the finalizer passes it through unescaped."""


def markdown_escape(value: Any) -> str:
    """Make any text inert in (GitHub-flavoured) Markdown, inside a table cell or a paragraph.

    Every ASCII punctuation character that could start markup is backslash-escaped (CommonMark
    renders ``\\x`` as a literal ``x`` for any ASCII punctuation), so ``<script>``, ``|``,
    backticks, ``*_[]`` and link syntax show as typed; line breaks become spaces so an outside
    string cannot end a table row or start a block.
    """
    if isinstance(value, MdSafe):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return str(value)
    text = _MD_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", for_reading(str(value))))
    # what starts a block only at the start of a line: a heading, a list item, a setext rule
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if not m.group(2)[0].isdigit()
                              else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def _environment(markdown: bool) -> Environment:
    if markdown:
        env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=False, finalize=markdown_escape,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
        env.filters["written"] = MdSafe  # output of our own macros: already escaped value by value
    else:
        env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, finalize=_html_value)
    return env


def _html_value(value: Any) -> Any:
    """Every printed value, before autoescaping: bidi controls shown, long values clipped."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return for_reading(value)
    return value


def render_html(view: ReportView, report: Report | None = None) -> str:
    """One self-contained HTML page: inline CSS and script, a Content-Security-Policy that
    forbids every fetch, and the inline script allowed by its hash only."""
    script = (TEMPLATES / "filter.js").read_text("utf-8")
    style = (TEMPLATES / "report.css").read_text("utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; "
           "base-uri 'none'; form-action 'none'")
    template = _environment(markdown=False).get_template("report.html.j2")
    report = report or arrange(view)
    return template.render(v=view, r=report, s=report.summary, script=Markup(script), style=Markup(style),
                           csp=Markup(csp))


def render_markdown(view: ReportView, report: Report | None = None) -> str:
    template = _environment(markdown=True).get_template("report.md.j2")
    report = report or arrange(view)
    text = template.render(v=view, r=report, s=report.summary, br=MdSafe("<br>"))
    return re.sub(r"\n{3,}", "\n\n", text)


_FORMULA_START = frozenset("=+-@\t\r")


def _cells(values: Iterable[Any]) -> list[str]:
    """CSV cells a spreadsheet will not execute: text that starts like a formula gets a
    leading apostrophe (OWASP CSV injection advice); everything else is verbatim.
    (Bidi controls are shown by :func:`render_csv` over whole rows: a marker starts
    with ``<``, so it never makes nor unmakes a formula, and it holds no CSV quoting
    character.)"""
    texts = ("" if v is None else str(v) for v in values)
    return ["'" + t if t[:1] in _FORMULA_START else t for t in texts]


def _csv_row(f: FindingRow) -> list[str]:
    waiver = f.waiver
    return _cells((
        f.id, f.status, f.severity, f.measure, f.check, f.provider, f.resource_type, f.resource_id,
        f.resource_name, f.location, f.scope, f.message, f.remediation, "; ".join(f.controls),
        "; ".join(f.clauses), waiver.owner if waiver else "", waiver.reason if waiver else "",
        waiver.expires if waiver else "", "; ".join(f.evidence), f.basis))


_CSV_CHUNK = 5_000  # rows


def _csv_chunks(view: ReportView) -> Iterator[str]:
    """findings.csv in pieces of whole rows: at 150,000 findings the text is about 100 MB, and
    building it at once (then its copy, its bidi pass, its encoding) made the render touch
    hundreds of megabytes of fresh memory for nothing."""
    rows = sorted(view.findings, key=attrgetter("id"))
    for start in range(0, max(len(rows), 1), _CSV_CHUNK):
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if start == 0:
            writer.writerow(CSV_COLUMNS)
        writer.writerows(map(_csv_row, rows[start:start + _CSV_CHUNK]))
        text = buf.getvalue()
        # one pass per piece instead of one per cell (3,000,000 at 150,000 findings); none for
        # ASCII text (str.isascii reads a flag), which cannot hold a bidi control. A piece
        # holds whole rows, and a marker replaces one character, so pieces never split one.
        yield text if text.isascii() else show_bidi(text)


def render_csv(view: ReportView) -> str:
    return "".join(_csv_chunks(view))


def write_csv(view: ReportView, path: Path) -> None:
    """findings.csv written piece by piece (the same bytes as :func:`render_csv`)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        for chunk in _csv_chunks(view):
            out.write(chunk)


RENDERED = frozenset({"report.html", "report.md", "findings.csv"})  # what render_pack writes, besides oscal/


def rendered(name: str) -> bool:
    """Whether the pack file ``name`` is an output of :func:`render_pack` (re-rendered, not evidence)."""
    return name in RENDERED or name.startswith("oscal/")


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Rendering builds millions of objects (a row per finding, its tuples and strings) that all
    live until the files are written and form no reference cycles: the cyclic garbage collector
    would walk them over and over for nothing (a fifth of the render time at 150,000 findings).
    Paused for the render only; what it would have freed is freed when it resumes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def render_pack(root: Path) -> None:
    """Write report.html, report.md, findings.csv and the OSCAL documents (``oscal/``) into the
    pack folder ``root``."""
    with _cycle_collector_paused():
        pack = Pack.load(root)
        view = view_of(pack)
        report = arrange(view)
        (root / "report.html").write_text(render_html(view, report), encoding="utf-8", newline="\n")
        (root / "report.md").write_text(render_markdown(view, report), encoding="utf-8", newline="\n")
        write_csv(view, root / "findings.csv")
        write_oscal(root, view, pack.context.evidence_max_age_hours)
        del pack, view, report  # freed while the collector is paused: it would otherwise walk them all once


__all__ = ["RENDERED", "MdSafe", "markdown_escape", "render_csv", "render_html", "render_markdown", "render_pack",
           "rendered"]
