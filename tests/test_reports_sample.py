"""The sample pack (tests/sample_pack.py) the report tests share is what it claims to be."""

from __future__ import annotations

from pathlib import Path

from sample_pack import build_sample_pack

from auditpack.model import Status


def test_the_sample_pack_covers_every_collector_and_every_status(tmp_path: Path) -> None:
    import json

    root = build_sample_pack(tmp_path / "pack")
    doc = json.loads((root / "findings.json").read_text("utf-8"))
    assert {f["status"] for f in doc["findings"]} == {s.value for s in Status}
    assert {c["id"] for c in doc["run"]["collectors"]} == {"aws", "hetzner", "ssh", "tls"}
    assert (root / "manual" / "0001-iso27001-certificate.pdf").is_file()
    for name in ("report.html", "report.md", "findings.csv", "manifest.json"):
        assert (root / name).is_file()

