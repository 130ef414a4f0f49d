"""docs/plugins.md is a working plugin: its three code blocks (evidence records, collector,
checks) and its registration block are installed as a package the way pip installs one, and
``auditpack run`` collects and judges with them.

The plugin talks to a fictional ``acme_sdk``; this test supplies that SDK as a small module
that answers from a JSON file and refuses a wrong token, so the collector's own code (the
documented one, unchanged) runs both its success and its failure path.
"""

from __future__ import annotations

import json
import re
import textwrap
import tomllib
from pathlib import Path

import pytest

from helpers import run_cli

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
TOKEN = "acme-token-0123456789"

ACME_SDK = f'''
"""The fictional SDK of docs/plugins.md: widgets from the JSON file $ACME_SDK_DATA."""
import json, os


class Forbidden(Exception):
    pass


class Client:
    Forbidden = Forbidden

    def __init__(self, token):
        self.token = token

    def list_widgets(self):
        if self.token != {TOKEN!r}:
            raise Forbidden("403: the token is not valid for this tenant")
        with open(os.environ["ACME_SDK_DATA"]) as f:
            return json.load(f)
'''


def _blocks(language: str) -> list[str]:
    return [textwrap.dedent(b) for b in re.findall(rf"^ *```{language}\n(.*?)^ *```", DOC.read_text("utf-8"),
                                                   flags=re.S | re.M)]


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """The documented plugin, installed: a package, its entry points, and the SDK it uses."""
    evidence, collector, checks = _blocks("python")
    site = tmp_path / "site"
    package = site / "acme_auditpack"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "evidence.py").write_text(evidence)
    (package / "collector.py").write_text(collector)
    (package / "checks.py").write_text(checks)
    (site / "acme_sdk.py").write_text(ACME_SDK)
    [registration] = _blocks("toml")
    entry_points = tomllib.loads(registration)["project"]["entry-points"]
    info = site / "acme_auditpack-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-auditpack\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items()) + "\n"
        for group, points in entry_points.items()))
    return site


def _run(tmp_path: Path, site: Path, token: str) -> tuple[int, dict, str]:
    data = tmp_path / "widgets.json"
    data.write_text(json.dumps([{"id": 1, "name": "ledger", "enc": True, "region": "eu-central-1"},
                                {"id": 2, "name": "scratch", "enc": False, "region": "eu-central-1"}]))
    cfg = tmp_path / "auditpack.toml"
    cfg.write_text('[history]\nenabled = false\n\n[acme]\ntenant = "t-1"\ntoken_env = "ACME_TOKEN"\n')
    pack = tmp_path / f"pack-{len(list(tmp_path.glob('pack-*')))}"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), site=site,
                   env={"ACME_TOKEN": token, "ACME_SDK_DATA": str(data)})
    return proc.returncode, json.loads((pack / "findings.json").read_text("utf-8")), proc.stderr


def test_the_documented_plugin_is_listed(site: Path) -> None:
    collectors = run_cli("collectors", site=site)
    checks = run_cli("checks", site=site)
    assert collectors.returncode == 0 and "acme" in collectors.stdout and "BROKEN" not in collectors.stdout
    assert "encryption_at_rest_acme_widget_encrypted" in checks.stdout
    assert "eea_residency_acme_export_bucket_in_eu" in checks.stdout


def test_the_documented_collector_and_check_give_pass_and_fail(tmp_path: Path, site: Path) -> None:
    code, doc, stderr = _run(tmp_path, site, TOKEN)
    assert code == 1, stderr  # complete, with a failing finding
    verdicts = {(f["check"], f["resource"]["name"], f["status"]) for f in doc["findings"]}
    assert verdicts == {("encryption_at_rest_acme_widget_encrypted", "ledger", "pass"),
                        ("encryption_at_rest_acme_widget_encrypted", "scratch", "fail")}
    assert all(f["resource"]["id"].startswith("acme:") and f["resource"]["scope"] == "t-1" for f in doc["findings"])


def test_a_refused_token_is_error_evidence_and_an_incomplete_run(tmp_path: Path, site: Path) -> None:
    code, doc, stderr = _run(tmp_path, site, "wrong-token")
    assert code == 3, stderr
    assert doc["run"]["complete"] is False
    # both documented checks need the widgets: neither may judge what could not be read
    assert {(f["check"], f["status"]) for f in doc["findings"]} == {
        ("encryption_at_rest_acme_widget_encrypted", "error"), ("eea_residency_acme_export_bucket_in_eu", "error")}
    assert all("403" in f["message"] for f in doc["findings"])


JUDGE_EXPORTS = """
import json
from datetime import UTC, datetime
from acme_auditpack.evidence import Widget
from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.config import Policy
from auditpack.engine import evaluate
from auditpack.evidence.aws import S3Bucket
from auditpack.model import Resource
from auditpack.registry import default_registry

now = datetime(2026, 11, 21, tzinfo=UTC)
checks = [c for c in default_registry().sorted_checks() if c.id == "eea_residency_acme_export_bucket_in_eu"]
ctx = CollectContext("test", "test", now)
for name, region in (("ledger", "eu-central-1"), ("scratch", "us-east-1"), ("local", None)):
    ctx.collected(Widget(name=name, encrypted=True), Resource("acme", "widget", "acme:" + name, name, None, "t-1"),
                  raw={}, source="GET /widgets")
    if region:
        bucket = "acme-export-" + name
        ctx.collected(S3Bucket(name=bucket, region=region),
                      Resource("aws", "s3_bucket", "arn:aws:s3:::" + bucket, bucket, region, "111122223333"),
                      raw={}, source="s3:ListBuckets")
findings = evaluate(ctx.close(), checks, Policy(), now, load_catalogs())
print(json.dumps(sorted([f.resource.name, str(f.status)] for f in findings)))
"""


def test_the_documented_check_reads_built_in_evidence_too(tmp_path: Path, site: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", JUDGE_EXPORTS], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # a widget without an export bucket gets no verdict from this check (nothing to judge)
    assert json.loads(proc.stdout) == [["ledger", "pass"], ["scratch", "fail"]]
