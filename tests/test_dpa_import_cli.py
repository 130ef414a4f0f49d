"""`auditpack dpa import` end to end, as a user runs it: real files through the real reader,
the draft written and loadable, a summary printed; bad input is one line and exit 4 with
nothing written; an existing output is never overwritten without --force."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditpack.profiles import load_profile
from helpers import run_cli

pytest.importorskip("auditpack.dpaimport.reader", reason="the DPA reader (issue 12, other half) is not installed")

DPA_EN = """DATA PROCESSING AGREEMENT

1. Definitions

1.1 "Personal Data Breach" means a breach of security leading to the loss of personal data.

2. Obligations of the Processor

2.1 The Processor shall process Personal Data only on documented instructions of the Controller.

2.2 The Processor shall store Personal Data only in data centres within the European Economic Area.

3. Security

3.1 The Processor shall encrypt Personal Data at rest with AES-256 and in transit with TLS 1.2 or higher.

3.2 The Processor shall take daily backups and test a restore every quarter.

4. Personal Data Breaches

4.1 The Processor shall notify the Controller of a Personal Data Breach within 24 hours.

5. Audits

5.1 The Controller may audit the Processor once a year, on 30 days' notice.

6. Termination

6.1 Within 30 days after termination the Processor shall delete all Personal Data.

Annex 1 - Sub-processors

Name\tService\tLocation
Hetzner Online GmbH\tHosting\tGermany
Scaleway SAS\tBackups\tFrance
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_import_writes_a_loadable_draft_a_review_page_and_a_summary(tmp_path: Path) -> None:
    source = _write(tmp_path, "Acme DPA.txt", DPA_EN)
    out, review = tmp_path / "profiles" / "acme.toml", tmp_path / "review.html"
    proc = run_cli("dpa", "import", str(source), "--out", str(out), "--id", "acme", "--review", str(review))
    assert proc.returncode == 0, proc.stderr
    profile = load_profile(str(out))
    assert profile.profile.draft is True and profile.id == "acme"
    assert profile.parameters["breach_deadline_hours"] == 24 and profile.parameters["residency"] == "eea"
    measures = {m for c in profile.clauses for m in c.measures}
    assert {"encryption_at_rest", "encryption_in_transit", "backups", "backup_testing", "breach_notification",
            "audit_rights", "deletion_on_termination", "eea_residency"} <= {str(m) for m in measures}
    assert [s.name for s in profile.subprocessors] == ["Hetzner Online GmbH", "Scaleway SAS"]
    assert [s.countries for s in profile.subprocessors] == [("DE",), ("FR",)]
    html = review.read_text("utf-8")
    # every clause highlighted in the source (the register clause may share its first row's range)
    assert html.count('<mark class="clause"') >= len(profile.clauses) - 1
    assert all(f'id="c{n}"' in html for n in range(1, len(profile.clauses) + 1))
    assert "Content-Security-Policy" in html
    # the summary: clauses per measure, parameters, register, what could not be placed
    for expected in ("Clauses per measure:", "breach_deadline_hours = 24", "Register (", "Hetzner Online GmbH",
                     "Could not place:", "set draft = false"):
        assert expected in proc.stdout, expected


def test_an_existing_output_is_not_overwritten_without_force(tmp_path: Path) -> None:
    source = _write(tmp_path, "dpa.txt", DPA_EN)
    out = tmp_path / "dpa.toml"
    out.write_text("mine", "utf-8")
    proc = run_cli("dpa", "import", str(source), "--out", str(out))
    assert proc.returncode == 2 and "already exists" in proc.stderr and out.read_text("utf-8") == "mine"
    forced = run_cli("dpa", "import", str(source), "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert load_profile(str(out)).profile.draft is True


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.txt", b"", "empty"),
    ("contract.rtf", b"{\\rtf1 hello}", "unknown"),
    ("letter.txt", b"Dear customer,\n\nThank you for your order. We will deliver next week.\n",
     "no DPA-like clause"),
    ("binary.txt", bytes(range(256)) * 20, ""),
    ("broken.docx", b"PK\x03\x04 not really a zip", ""),
    ("broken.pdf", b"%PDF-1.4 garbage", ""),
])
def test_bad_input_is_one_line_exit_4_and_nothing_written(tmp_path: Path, name: str, content: bytes,
                                                          reason: str) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    out, review = tmp_path / "out.toml", tmp_path / "review.html"
    proc = run_cli("dpa", "import", str(source), "--out", str(out), "--review", str(review))
    assert proc.returncode == 4, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(source) in lines[0] and reason in lines[0]
    assert "Traceback" not in proc.stderr and not out.exists() and not review.exists()
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    proc = run_cli("dpa", "import", str(tmp_path / "nope.pdf"), "--out", str(tmp_path / "x.toml"))
    assert proc.returncode == 4 and len(proc.stderr.strip().splitlines()) == 1 and "nope.pdf" in proc.stderr
