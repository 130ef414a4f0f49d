"""Reports: render a pack's findings and evidence into documents. Reports never decide.

``render_pack(root)`` reads ``findings.json``, ``context.json`` and ``evidence/index.json``
from a pack folder and writes ``report.md``, ``report.html`` and ``findings.csv``. It is
the one code path for ``run`` and for ``auditpack report DIR`` (offline re-rendering).
"""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path


def _md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]<>()#+-.!|" else ch for ch in str(text)).replace("\n", " ")


def render_pack(root: Path) -> None:
    doc = json.loads((root / "findings.json").read_text("utf-8"))
    findings = doc["findings"]
    lines = ["# Audit pack", "", f"Run {_md(doc['run']['id'])}, complete: {doc['run']['complete']}", "",
             "| status | check | resource | message |", "| --- | --- | --- | --- |"]
    for f in findings:
        lines.append(f"| {f['status']} | {_md(f['check'])} | {_md(f['resource']['id'])} | {_md(f['message'])} |")
    (root / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = "".join(
        f"<tr><td>{html.escape(f['status'])}</td><td>{html.escape(f['check'])}</td>"
        f"<td>{html.escape(f['resource']['id'])}</td><td>{html.escape(f['message'])}</td></tr>" for f in findings)
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Audit pack</title></head><body>"
            f"<h1>Audit pack</h1><table>{rows}</table></body></html>\n")
    (root / "report.html").write_text(page, encoding="utf-8")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["check", "measure", "status", "resource_id", "message"])
    for f in findings:
        writer.writerow([f["check"], f["measure"], f["status"], f["resource"]["id"], f["message"]])
    (root / "findings.csv").write_text(buf.getvalue(), encoding="utf-8")
