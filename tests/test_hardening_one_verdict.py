"""Issue 11: one fact never gets both a ``fail`` and an ``error``, enforced by the engine for
every check (here a real third-party plugin run through the CLI)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from auditpack.engine import one_verdict_per_fact
from auditpack.model import Finding, Measure, Resource, Status
from helpers import install_plugin, run_cli

CHECK = "encryption_at_rest_acme_widget_encrypted"


def test_a_fact_read_once_and_failed_once_gets_one_verdict(tmp_path: Path) -> None:
    site = install_plugin(tmp_path / "site")
    cfg = tmp_path / "c.toml"
    # w2 is read (not encrypted: fail) and its second read fails (error); w3 only errors; w1 passes
    cfg.write_text("[history]\nenabled = false\n[acme]\nwidgets = ['w1-enc', 'w2', 'w4-enc']\n"
                   "broken = ['w2', 'w3', 'w4-enc']\n")
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), site=site)
    assert proc.returncode == 3, proc.stderr  # incomplete: some reads failed
    findings = json.loads((pack / "findings.json").read_text())["findings"]
    verdicts: dict[str, set[str]] = defaultdict(set)
    for f in findings:
        if f["check"] == CHECK:
            verdicts[f["resource"]["id"]].add(f["status"])
    assert verdicts == {"acme:w1-enc": {"pass"}, "acme:w2": {"fail"}, "acme:w3": {"error"},
                        "acme:w4-enc": {"error"}}
    w2 = next(f for f in findings if f["check"] == CHECK and f["resource"]["id"] == "acme:w2")
    assert "403 Forbidden" in " ".join(w2["details"]["also_unreadable"])
    assert json.loads((pack / "manifest.json").read_text())["run"]["complete"] is False


def test_one_verdict_per_fact_keeps_other_resources_and_checks_apart() -> None:
    res_a, res_b = Resource("x", "t", "a"), Resource("x", "t", "b")

    def finding(check: str, res: Resource, status: Status, message: str = "m") -> Finding:
        return Finding(check=check, measure=Measure.BACKUPS, status=status, resource=res, message=message)

    out = one_verdict_per_fact([finding("c1", res_a, Status.FAIL), finding("c1", res_a, Status.ERROR, "e"),
                                finding("c1", res_b, Status.PASS), finding("c2", res_b, Status.ERROR),
                                finding("c2", res_a, Status.PASS), finding("c2", res_a, Status.ERROR)])
    assert sorted((f.check, f.resource.id, str(f.status)) for f in out) == [
        ("c1", "a", "fail"), ("c1", "b", "pass"), ("c2", "a", "error"), ("c2", "b", "error")]
