"""pytest configuration: re-exports tests/helpers.py and enforces, on a full run, that every
registered check is shown to produce a `pass` and a `fail` (see helpers.expect)."""

from __future__ import annotations

import pytest

from helpers import (  # noqa: F401 - re-exported for `from conftest import ...`
    FIXED_NOW,
    PLUGIN_CODE,
    SEEN,
    expect,
    install_plugin,
    run_cli,
)


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


