"""The checks table: `auditpack checks --format md` lists every check with its measure, basis,
providers and controls, and docs/checks.md is exactly its output."""

from __future__ import annotations

import json
from pathlib import Path

from auditpack.catalogs import load_catalogs
from auditpack.check_table import REGENERATE, check_rows, checks_markdown
from auditpack.checks import check
from auditpack.evidence.aws import EbsVolume
from auditpack.model import Basis, Measure
from auditpack.registry import Registry, default_registry
from helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "checks.md"


def _table(text: str) -> dict[str, list[str]]:
    """Rows of the Markdown table by check id (cells stripped)."""
    out = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            out[cells[0].strip("`")] = cells
    return out


def test_the_committed_docs_are_the_commands_output() -> None:
    proc = run_cli("checks", "--format", "md")
    assert proc.returncode == 0, proc.stderr
    assert DOCS.read_text("utf-8") == proc.stdout, f"docs/checks.md is stale: run `{REGENERATE}`"


def test_every_check_is_listed_with_its_measure_basis_providers_and_controls() -> None:
    rows = _table(DOCS.read_text("utf-8"))
    registry = default_registry()
    assert set(registry.checks) < set(rows)
    catalogs = load_catalogs()
    for chk in registry.sorted_checks():
        _, _, measure, basis, providers, controls = rows[chk.id]
        assert measure == f"`{chk.measure}`"
        assert basis == ", ".join(str(b) for b in chk.bases)
        assert providers, f"{chk.id}: no collector produces what it needs"
        assert controls and all(ref.rsplit(".", 1)[-1] in controls for ref in catalogs.controls_for(chk.id, chk.measure)
                                if ref.startswith("ISO"))
    assert rows["eea_residency_ssh_host_declared_country_allowed"][3] == "declared"
    assert rows["subprocessor_list_location_declared"][3] == "observed, declared"
    assert rows["subprocessor_list_location_declared"][4] == "aws, hetzner, ssh"  # every collector emits provider.use
    assert rows["encryption_at_rest_ebs_volume_encrypted"][3:5] == ["observed", "aws"]
    assert rows["manual_evidence_document_current"][3:5] == ["attested", "manual"]


def test_json_and_text_listings_name_the_basis() -> None:
    doc = json.loads(run_cli("checks", "--format", "json").stdout)
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["eea_residency_ssh_host_declared_country_allowed"]["basis"] == ["declared"]
    assert by_id["backups_ssh_backup_recent"]["providers"] == ["ssh"]
    text = run_cli("checks").stdout
    assert "basis: declared; SSH hosts are declared in an allowed country" in text


def test_a_hostile_plugin_title_stays_inert_in_the_table() -> None:
    @check(title="Widgets | <script>alert(1)</script>\n# heading", measure=Measure.ENCRYPTION_AT_REST,
           needs=(EbsVolume,), basis=Basis.OBSERVED, remediation="x")
    def encryption_at_rest_widget_encrypted(ctx):  # type: ignore[no-untyped-def]
        yield from ()

    registry = Registry()
    registry.add_check(encryption_at_rest_widget_encrypted)
    text = checks_markdown(registry, load_catalogs())
    [row] = [line for line in text.splitlines() if line.startswith("| `encryption_at_rest_widget_encrypted`")]
    assert row.count(" | ") == 5 and "<script>" not in row and "\n" not in row
    assert [r.id for r in check_rows(registry, load_catalogs())] == ["encryption_at_rest_widget_encrypted",
                                                                     "manual_evidence_document_current"]
