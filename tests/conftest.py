"""pytest configuration: re-exports tests/helpers.py (the shared test support) and holds
the fixtures several test modules use, so no test module imports another's.

That every registered check is shown to give a ``pass`` and a ``fail`` is a test of its own
(tests/test_check_coverage.py), so it holds for any subset of the suite too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers import (  # noqa: F401 - re-exported for `from conftest import ...`
    FIXED_NOW,
    PLUGIN_CODE,
    expect,
    fake_aws_environment,
    install_plugin,
    run_cli,
)


@pytest.fixture(scope="module")
def aws_env() -> Iterator[None]:
    """A fake AWS identity in the process environment (boto3 reads its credential chain from
    there) and no profile or session token of the machine's own."""
    from aws_world import HOME

    mp = fake_aws_environment(HOME)
    yield
    mp.undo()
