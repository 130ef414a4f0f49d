"""A synthetic audit pack of any size, for the report's scale tests and bench/report.py.

It writes the files a run writes (findings.json, context.json, evidence/index.json and the
evidence files it lists) with the real check catalogue, the real ISO/GDPR mapping and the
three seed DPA profiles, so the report is rendered from what a large estate would produce:
many accounts and regions, most resources passing, a few percent failing (more for some
checks than for others), some evidence that could not be read. Deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

from auditpack.catalogs import load_catalogs
from auditpack.profiles import load_builtin
from auditpack.registry import default_registry

PROFILES = ("dioss", "xis-smstools", "voxio")
REGIONS = ("eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "us-east-1", "eu-south-1")
RESOURCES_PER_EVIDENCE_FILE = 25


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def write_synthetic_pack(root: Path, findings: int, *, seed: int = 14, accounts: int = 20) -> Path:
    """Write a pack of ``findings`` findings into the new folder ``root``; return ``root``."""
    rng = random.Random(seed)
    catalogs = load_catalogs()
    checks = [c for c in default_registry().sorted_checks() if c.needs]
    profiles = [load_builtin(p) for p in PROFILES]
    clauses_of: dict[str, list[dict[str, str]]] = {}
    for p in profiles:
        for clause in p.clauses:
            if not clause.manual:
                for m in clause.measures:
                    clauses_of.setdefault(str(m), []).append({"profile": p.id, "clause": clause.ref})
    controls = {c.id: sorted(set(catalogs.measures.get(c.measure, ())) | set(catalogs.checks.get(c.id, ())))
                for c in checks}
    fail_rate = {c.id: rng.choice((0.0, 0.0, 0.01, 0.02, 0.05, 0.1, 0.3)) for c in checks}
    scopes = [f"{100000000000 + 7919 * i:012d}" for i in range(accounts)]
    root.mkdir(parents=True)
    (root / "evidence").mkdir()
    rows: list[dict[str, Any]] = []
    index: list[dict[str, Any]] = []
    per_check = max(1, findings // len(checks))
    for n in range(findings):
        check = checks[min(n // per_check, len(checks) - 1)]
        kind = check.needs[0].kind
        provider, _, rtype = kind.partition(".")
        scope = scopes[n % len(scopes)]
        region = REGIONS[(n // len(scopes)) % len(REGIONS)]
        name = f"{rtype.replace('_', '-')}-{n:06d}-{rng.choice(('prod', 'staging', 'data', 'logs', 'app'))}"
        roll = rng.random()
        status = ("fail" if roll < fail_rate[check.id] else "error" if roll > 0.995 else "pass")
        path = f"evidence/{provider}/{scope}/{region}/{rtype}-{n // RESOURCES_PER_EVIDENCE_FILE:05d}.json"
        row: dict[str, Any] = {
            "check": check.id, "measure": str(check.measure), "status": status, "severity": str(check.severity),
            "resource": {"provider": provider, "type": rtype, "id": f"arn:{provider}:{rtype}:{region}:{scope}:{name}",
                         "name": name, "location": region, "scope": scope},
            "message": (f"{name} does not meet: {check.title.lower()}." if status == "fail" else
                        f"{name} could not be read (AccessDenied)." if status == "error" else
                        f"{name}: {check.title.lower()}."),
            "remediation": check.remediation if status != "pass" else "",
            "controls": controls[check.id],
            "clauses": clauses_of.get(str(check.measure), []),
            "evidence": [path],
            "basis": str(check.basis),
        }
        if status == "error":
            row["details"] = {"reason": "permission_denied"}
        rows.append(row)
        if n % RESOURCES_PER_EVIDENCE_FILE == 0:
            body = _dump({"kind": kind, "scope": scope, "region": region, "first": n}).encode()
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
            index.append({"path": path, "kind": kind, "status": "error" if status == "error" else "collected",
                          "raw_sha256": hashlib.sha256(body).hexdigest(),
                          "resource": {"id": f"{scope}/{region}", "scope": scope, "location": region},
                          "provenance": {"collector": provider, "scope": scope,
                                         "collected_at": "2026-12-01T06:00:00Z", "source": f"{rtype}.list"},
                          **({"reason": "permission_denied", "error": "AccessDenied"} if status == "error" else {})})
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("pass", "fail", "error", "manual",
                                                                     "not_applicable")}
    run = {"id": f"20261201T060000Z-synthetic-{findings}", "started_at": "2026-12-01T06:00:00Z",
           "finished_at": "2026-12-01T06:40:00Z", "complete": counts["error"] == 0, "tool_version": "0.1.0",
           "organisation": "Synthetic Estate BV",
           "collectors": [{"id": "aws", "status": "partial" if counts["error"] else "ok", "error": None,
                           "scopes": scopes, "evidence": len(index), "errors": counts["error"], "seconds": 2400.0}],
           "counts": counts}
    context = {
        "schema": "auditpack.context/v1", "organisation": {"name": "Synthetic Estate BV", "contact": "dpo@example.eu"},
        "run": run, "policy": {}, "profiles": [p.model_dump(mode="json") for p in profiles],
        "checks": [{"id": c.id, "title": c.title, "measure": str(c.measure), "severity": str(c.severity),
                    "remediation": c.remediation, "needs": list(c.needed_kinds)} for c in checks],
        "waivers": [], "manual_evidence": [],
    }
    (root / "findings.json").write_text(_dump({"schema": "auditpack.findings/v1", "run": run, "findings": rows}),
                                        encoding="utf-8")
    (root / "context.json").write_text(_dump(context), encoding="utf-8")
    (root / "evidence" / "index.json").write_text(_dump(index), encoding="utf-8")
    return root


__all__ = ["write_synthetic_pack"]
