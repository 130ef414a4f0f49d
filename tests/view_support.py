"""Findings and report views made by hand, for the tests of the view model and of what is
rendered from it (report, terminal, layout, manual evidence)."""

from __future__ import annotations

from typing import Any

from auditpack.packmodel import Context, FindingsDocument, IndexEntry
from auditpack.profiles import load_builtin
from auditpack.reports.view import build_view


def _finding(check: str, measure: str, status: str, rid: str, *, clauses: tuple[tuple[str, str], ...] = (),
             controls: tuple[str, ...] = (), waiver: dict[str, str] | None = None, reason: str | None = None,
             severity: str = "medium") -> dict[str, Any]:
    out: dict[str, Any] = {
        "check": check, "measure": measure, "status": status, "severity": severity,
        "resource": {"provider": "aws", "type": "thing", "id": rid, "name": None, "location": "eu-west-1",
                     "scope": "111"},
        "message": f"{rid} is {status}.", "controls": list(controls),
        "clauses": [{"profile": p, "clause": c} for p, c in clauses], "evidence": [f"evidence/{rid}.json"],
    }
    if waiver:
        out["waiver"] = waiver
    if reason:
        out["details"] = {"reason": reason}
    return out


def _view(findings: list[dict[str, Any]], *, index: list[dict[str, Any]] | None = None,
          context: dict[str, Any] | None = None, hashes: dict[str, str] | None = None) -> Any:
    ctx = {"profiles": [load_builtin("dioss").model_dump(mode="json")], "checks": [], "waivers": [],
           "manual_evidence": [], "organisation": {"name": "Org"}, **(context or {})}
    run = {"id": "r1", "started_at": "2026-11-21T12:00:00Z", "finished_at": "2026-11-21T12:00:05Z",
           "complete": False, "tool_version": "0.1.0",
           "collectors": [{"id": "aws", "status": "partial", "scopes": ["111", "222"], "evidence": 2, "errors": 1,
                           "seconds": 1.0}]}
    # hand-made JSON, read through the same pack model as a pack on disk
    return build_view(FindingsDocument.from_json({"run": run, "findings": findings}), Context.model_validate(ctx),
                      [IndexEntry.model_validate(i) for i in index or []], hashes or {})


BULLET7 = ("dioss", "Technische en organisatorische maatregelen, bullet 7")
