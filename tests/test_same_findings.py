"""bench/same_findings.py, the before/after comparison of two packs' findings: what is random
in a run is normalised, and any other difference is reported (a comparison that could not
fail would prove nothing)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "same_findings.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("same_findings", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _document(run_id: str, vpc: str, port: int, when: str, status: str = "fail") -> dict[str, Any]:
    finding = {"check": "logging_vpc_flow_logs_enabled", "status": status, "message": f"VPC {vpc} has no flow log.",
               "resource": {"id": f"arn:aws:ec2:eu-central-1:123456789012:vpc/{vpc}", "scope": f"app.demo.test:{port}"},
               "evidence": [f"evidence/aws/123456789012/aws.vpc_flow_logs/{vpc}-{run_id[-12:]}.json"],
               "details": {"newest": when}}
    other = {"check": "backups_x", "status": "pass", "message": "ok", "resource": {"id": "b"}}
    return {"schema": "auditpack.findings/v1",
            "run": {"id": run_id, "started_at": when, "finished_at": when, "complete": True, "counts": {"fail": 1},
                    "collectors": [{"id": "aws", "status": "ok", "seconds": 1.5}]},
            "findings": [finding, other] if vpc < "vpc-5" else [other, finding]}


def _write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2, sort_keys=True))
    return path


def test_runs_that_differ_only_in_random_parts_are_the_same(tmp_path: Path) -> None:
    script = _script()
    before = _write(tmp_path / "a.json", _document("20261203T150000Z-aaaaaaaaaaaa", "vpc-0123456789abcdef0", 38629,
                                                   "2026-12-03T15:00:00Z"))
    after = _write(tmp_path / "b.json", _document("20261203T160000Z-bbbbbbbbbbbb", "vpc-56cacc077fe5d2451", 37761,
                                                  "2026-12-03T16:00:01.5Z"))
    result = script.compare(before, after)
    assert result["same_after_normalising"] and not result["identical_bytes"] and not result["same_order"]
    assert result["normalised"]["moto_id"] and result["normalised"]["run.id"] == 2


def test_a_changed_verdict_or_count_is_a_difference(tmp_path: Path) -> None:
    script = _script()
    base = _document("20261203T150000Z-aaaaaaaaaaaa", "vpc-0123456789abcdef0", 38629, "2026-12-03T15:00:00Z")
    before = _write(tmp_path / "a.json", base)
    changed = _write(tmp_path / "b.json", _document("20261203T150000Z-aaaaaaaaaaaa", "vpc-0123456789abcdef0", 38629,
                                                    "2026-12-03T15:00:00Z", status="pass"))
    result = script.compare(before, changed)
    assert not result["same_after_normalising"] and '"status": "pass"' in result["first_difference"]["after"]
    recount = _write(tmp_path / "c.json", {**base, "run": {**base["run"], "counts": {"fail": 2}}})
    assert "run" in script.compare(before, recount)["first_difference"]
    fewer = _write(tmp_path / "d.json", {**base, "findings": base["findings"][:1]})
    assert not script.compare(before, fewer)["same_after_normalising"]
