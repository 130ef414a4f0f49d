"""NIST's OSCAL JSON schemas (tests/data/oscal) and the validator the OSCAL tests run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from auditpack.reports.oscal import PLAN, RESULTS

SCHEMAS = Path(__file__).parent / "data" / "oscal"


def _schema_for(name: str) -> Path:
    kind = "assessment-results" if name == RESULTS else "assessment-plan" if name == PLAN else "catalog"
    return SCHEMAS / f"oscal_{kind}_schema.json"


def _validate(schema: Path, document: Path) -> subprocess.CompletedProcess[str]:
    # check-jsonschema handles the schema's ECMA-262 `\p{L}` patterns, which plain jsonschema cannot
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(document)],
                          capture_output=True, text=True, timeout=120)
