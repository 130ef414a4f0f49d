"""Shared test helpers (import from `helpers`; conftest re-exports them).

``expect(findings, check_id, status, ...)`` asserts that a verdict exists. Every registered
check must be shown to ``pass`` and to ``fail`` by such a call somewhere (a check that cannot
fail is a defect): tests/test_check_coverage.py reads the calls from the tests' source.
``error`` is covered for every check at once by tests/test_meta.py (the engine's gate).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from auditpack.model import Finding, Status

if TYPE_CHECKING:
    from auditpack.checks import Check

FIXED_NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)


def expect(findings: Iterable[Finding], check: str, status: str | Status, resource_id: str | None = None,
           *, contains: str | None = None) -> list[Finding]:
    """The findings of ``check`` with ``status`` (about ``resource_id``, whose message
    contains ``contains``); fails the test when there is none."""
    pool = list(findings)
    status = Status(status)
    hits = [f for f in pool if f.check == check and f.status is status
            and (resource_id is None or f.resource.id == resource_id or f.resource.name == resource_id)
            and (contains is None or contains in f.message)]
    if not hits:
        mine = [f"{f.status}: {f.resource.id}: {f.message}" for f in pool if f.check == check]
        raise AssertionError(f"no {status} finding of {check} for {resource_id or 'any resource'}"
                             f"{' containing ' + repr(contains) if contains else ''}; its findings: {mine}")
    return hits


# --- a third-party plugin, installed for real -------------------------------------------


PLUGIN_CODE = '''
"""A third-party auditpack plugin used by the tests (installed via a .dist-info folder)."""
import time
from pydantic import BaseModel, ConfigDict
from auditpack.collectors import Collector
from auditpack.checks import check, passed, failed
from auditpack.model import Basis, EvidenceRecord, Measure, Resource, ErrorReason


class WidgetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    widgets: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()
    secret_env: str | None = None
    sleep_after_marker: float = 0
    marker: str | None = None
    bulk: int = 0
    bulk_bytes: int = 0
    leak: bool = False


class Widget(EvidenceRecord, kind="acme.widget"):
    name: str
    encrypted: bool


class WidgetCollector(Collector):
    id = "acme"
    title = "ACME widgets"
    provider = "acme"
    config_section = "acme"
    config_model = WidgetSettings
    produces = (Widget,)
    permissions = {"acme_api": ("widgets:list",)}

    def scopes(self):
        return ["acme-tenant"]

    def secret_env_names(self):
        return [self.settings.secret_env] if self.settings.secret_env else []

    def collect(self, ctx):
        s = self.settings
        secret = ctx.environ.get(s.secret_env, "") if s.secret_env else ""
        for name in s.widgets:
            enc = name.endswith("-enc")
            ctx.collected(Widget(name=name, encrypted=enc),
                          Resource("acme", "widget", f"acme:{name}", name, "DE", "acme-tenant"),
                          raw={"name": name, "encrypted": enc, "debug": f"token={secret}"}, source="GET /widgets")
        for name in s.broken:
            detail = f" (sent token {secret})" if s.leak else ""  # a careless SDK error message
            if s.leak:
                ctx.log.warning("widget %s refused the token %s", name, secret)
            ctx.failed(Widget, Resource("acme", "widget", f"acme:{name}", name, "DE", "acme-tenant"),
                       error="403 Forbidden" + detail, reason=ErrorReason.PERMISSION_DENIED,
                       source="GET /widgets/" + name)
        for i in range(s.bulk):
            ctx.collected(Widget(name=f"bulk{i}-enc", encrypted=True),
                          Resource("acme", "widget", f"acme:bulk{i}", f"bulk{i}", "DE", "acme-tenant"),
                          raw={"padding": "x" * s.bulk_bytes}, source="GET /widgets")
        if s.marker:
            open(s.marker, "w").write("collected")
            time.sleep(s.sleep_after_marker)


@check(title="ACME widgets are encrypted", measure=Measure.ENCRYPTION_AT_REST, needs=(Widget,),
       basis=Basis.OBSERVED, remediation="Turn on widget encryption.")
def encryption_at_rest_acme_widget_encrypted(ctx):
    for ev, widget in ctx.evidence.records(Widget):
        if widget.encrypted:
            yield passed(ev, f"Widget {widget.name} is encrypted.")
        else:
            yield failed(ev, f"Widget {widget.name} is not encrypted.")
'''


def install_plugin(site: Path, code: str = PLUGIN_CODE, module: str = "acme_auditpack",
                   entry_points: str | None = None) -> Path:
    """Write a module plus a .dist-info with entry points into ``site`` (put it on PYTHONPATH)."""
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(code))
    info = site / f"{module.replace('_', '-')}-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points or (
        f"[auditpack.collectors]\nacme = {module}:WidgetCollector\n\n"
        f"[auditpack.checks]\nacme = {module}\n"))
    return site


def run_cli(*args: str, site: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed console entry point in a subprocess, as a user or cron would."""
    full_env = {**os.environ, **(env or {})}
    if site is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), full_env.get("PYTHONPATH", "")]))
    scratch = Path(full_env.get("TMPDIR", "/tmp"))
    full_env.setdefault("AUDITPACK_HISTORY", str(scratch / "auditpack-test-history.sqlite"))
    return subprocess.run([sys.executable, "-m", "auditpack.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def checks_from(plugin: str) -> list[Check]:
    """The registered checks of one built-in check package (``"aws"`` covers checks/aws/*.py)."""
    from auditpack.registry import default_registry

    module = f"auditpack.checks.{plugin}"
    return [c for c in default_registry().sorted_checks() if c.source == module or c.source.startswith(module + ".")]


def fake_aws_environment(region: str) -> pytest.MonkeyPatch:
    """Fake credentials and a home region for moto; no profile or session token of the
    user's leaks in. Undo the returned MonkeyPatch when done."""
    mp = pytest.MonkeyPatch()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": region, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
                       "AWS_EC2_METADATA_DISABLED": "true"}.items():
        mp.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        mp.delenv(key, raising=False)
    return mp
