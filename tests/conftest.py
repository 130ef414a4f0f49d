"""Shared test helpers.

``expect(findings, check_id, status, ...)`` asserts that a verdict exists and records it;
when the whole suite runs, the session fails unless every registered check was seen to
``pass`` and to ``fail`` somewhere (a check that cannot fail is a defect). ``error`` is
covered for every check at once by tests/test_meta.py (the engine's gate).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

import pytest

from auditpack.model import Finding, Status

SEEN: set[tuple[str, str]] = set()
FIXED_NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)


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
    SEEN.add((check, str(status)))
    return hits


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    full_run = not config.option.keyword and not config.option.markexpr and all(
        str(a).rstrip("/").endswith("tests") for a in (config.args or ["tests"]))
    if not full_run or exitstatus != 0:
        return
    from auditpack.registry import default_registry

    missing = []
    for chk in default_registry().sorted_checks():
        for status in ("pass", "fail"):
            if (chk.id, status) not in SEEN:
                missing.append(f"{chk.id}: no test shows a '{status}'")
    if missing:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("\nChecks without a pass and a fail case (tests/conftest.py expect()):", red=True)
            for line in missing:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = 1
