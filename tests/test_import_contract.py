"""The import contract, transitively: checks and reports load no SDK and no network stack.

A check module that imports a collector package (or anything that does) drags boto3,
paramiko or ``ssl`` into every process that only judges or renders evidence. The direct
imports are checked in test_meta; this test imports every check module and the reports in
a fresh interpreter and looks at what actually got loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("boto3", "botocore", "paramiko", "hcloud", "requests", "urllib3", "ssl", "socket", "http.client")

LOAD_EVERYTHING_PURE = """
import importlib, json, pkgutil, sys
import auditpack.checks, auditpack.reports
for package in (auditpack.checks, auditpack.reports):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""

#: what pydantic alone loads: its plugin loader reads entry points (importlib.metadata), whose
#: e-mail header parser imports ``socket`` (email.utils, for getfqdn). No socket is ever opened.
LOAD_PYDANTIC = """
import json, sys
from pydantic import BaseModel
class Probe(BaseModel):
    value: int
print(json.dumps(sorted(sys.modules)))
"""


def _modules(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout))


def _forbidden(modules: set[str]) -> set[str]:
    return {name for name in FORBIDDEN if name in modules}


def test_pydantic_alone_loads_only_socket_of_the_forbidden_modules() -> None:
    """The one exemption below is pydantic's, and stays exactly that: if pydantic ever pulls in
    ssl or an HTTP client, this fails instead of the exemption growing silently."""
    assert _forbidden(_modules(LOAD_PYDANTIC)) <= {"socket"}


def test_checks_and_reports_load_no_sdk_and_no_network_stack() -> None:
    loaded = _modules(LOAD_EVERYTHING_PURE)
    assert any(name.startswith("auditpack.checks.") for name in loaded)
    assert "auditpack.reports" in loaded
    unavoidable = _forbidden(_modules(LOAD_PYDANTIC))
    leaked = _forbidden(loaded) - unavoidable
    assert not leaked, f"importing the checks and reports loads {sorted(leaked)}"
    collectors = sorted(name for name in loaded if name.startswith("auditpack.collectors."))
    assert not collectors, f"checks or reports import collector packages: {collectors}"
