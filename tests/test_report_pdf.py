"""report.pdf: the real renderer (WeasyPrint) read back with pdftotext.

The first page is the executive summary and nothing else (page 2 starts with the
contents), the table of contents has page numbers, every page has its number and the run
in the running header, a clause table is there, outside strings stay text, the bytes are
the same twice, the manifest hashes the PDF, and without WeasyPrint ``--pdf`` is one line
and exit 2.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sample_pack import build_sample_pack

from auditpack.pack import verify_pack
from auditpack.reports.pdf import render_pdf
from helpers import run_cli

PDFTOTEXT = shutil.which("pdftotext")
PDF_TIMEOUT = 900  # WeasyPrint on a loaded two-core CI machine: generous, never a timing assertion
pytestmark = [
    pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext is not installed (Debian package `poppler-utils`)"),
    pytest.mark.slow,
]


def _text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    assert PDFTOTEXT is not None
    pages = (["-f", str(first)] if first else []) + (["-l", str(last)] if last else [])
    return subprocess.run([PDFTOTEXT, "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_sample_pack(tmp_path_factory.mktemp("pdf") / "pack", hostile=True)
    render_pdf(root)
    return root


def test_the_pdf_has_the_summary_a_clause_table_page_numbers_and_a_contents_page(printed: Path) -> None:
    pdf = printed / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    first = _text(pdf, 1, 1)
    assert "AUDIT PACK · EXECUTIVE SUMMARY" in first and "DPA clauses by verdict" in first
    assert "Most important non-conformities" in first and "Incomplete: some evidence could not be collected" in first
    second = _text(pdf, 2, 2)
    assert re.search(r"^\s*Contents\s*$", second, re.M), "the summary fits page 1: page 2 starts the contents"
    everything = _text(pdf)
    pages = everything.count("\f")
    assert pages >= 10
    assert re.search(rf"Page 1 of {pages}\b", first) and re.search(rf"Page 2 of {pages}\b", second)
    assert "Run 20261121T120000Z-5a3c9e" in second  # the running header
    # the table of contents gives a page number per section, and they are where it says
    toc = {m.group(1): int(m.group(2)) for m in re.finditer(r"(Coverage gaps|Findings by check)[ .]+(\d+)", second)}
    assert set(toc) == {"Coverage gaps", "Findings by check"}
    assert "5. Coverage gaps" in _text(pdf, toc["Coverage gaps"], toc["Coverage gaps"])
    assert "6. Findings by check" in _text(pdf, toc["Findings by check"], toc["Findings by check"])
    # a clause table, with its header and a clause of the Dutch seed profile
    assert re.search(r"Clause\s+Quote \(nl\)\s+Measures\s+Verdict\s+Findings", everything)
    assert "Internationale gegevensoverdrachten, bullet 2" in everything


def test_short_sections_follow_the_one_before_and_long_ones_start_a_page(printed: Path) -> None:
    """No page is left mostly blank before a short section (issue 14: page count at scale)."""
    pages = _text(printed / "report.pdf").split("\f")

    def body_before(heading: str) -> str:
        page = next(p for p in pages if re.search(rf"^\s*{re.escape(heading)}\s*$", p, re.M))
        before = page.split(heading, 1)[0]
        return "\n".join(line for line in before.splitlines()[1:] if line.strip())  # minus the running header

    assert body_before("3. ISO/IEC 27001:2022 Annex A") == ""  # a long section starts a page
    assert body_before("1. Summary") != ""  # on the contents' page
    assert body_before("6. Findings by check") != ""  # right after the coverage gaps
    assert body_before("8. Accepted exceptions") != ""  # right after section 7 on the same page


def test_outside_strings_are_text_in_the_pdf(printed: Path) -> None:
    first = _text(printed / "report.pdf", 1, 1)
    assert "<script>alert('x')</script>" in first  # shown as typed, not interpreted


def test_the_pdf_is_byte_identical_when_rendered_again(printed: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(printed, copy)
    render_pdf(copy)
    data = (copy / "report.pdf").read_bytes()
    assert data == (printed / "report.pdf").read_bytes()
    assert b"/CreationDate" not in data and b"/ModDate" not in data


def test_report_pdf_is_listed_and_hashed_in_the_manifest(tmp_path: Path) -> None:
    root = build_sample_pack(tmp_path / "pack")
    proc = run_cli("report", str(root), "--pdf", timeout=PDF_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    files = json.loads((root / "manifest.json").read_text("utf-8"))["files"]
    assert files["report.pdf"] == hashlib.sha256((root / "report.pdf").read_bytes()).hexdigest()
    assert verify_pack(root).ok
    first = (root / "report.pdf").read_bytes()
    # offline re-rendering: with --pdf the same bytes again; without, report.pdf is kept as it is
    assert run_cli("report", str(root), "--pdf", timeout=PDF_TIMEOUT).returncode == 0
    assert (root / "report.pdf").read_bytes() == first and verify_pack(root).ok
    again = run_cli("report", str(root), timeout=PDF_TIMEOUT)
    assert again.returncode == 0 and "report.pdf kept" in again.stdout
    assert (root / "report.pdf").read_bytes() == first and verify_pack(root).ok


def test_run_with_pdf_writes_it_into_the_pack(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[organisation]\nname = 'Empty Co'\n[run]\nmanual_evidence_only = true\n", encoding="utf-8")
    proc = run_cli("run", "--config", str(cfg), "--out", str(tmp_path / "pack"), "--pdf", timeout=PDF_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert "report.pdf" in json.loads((tmp_path / "pack" / "manifest.json").read_text("utf-8"))["files"]
    assert "AUDIT PACK · EXECUTIVE SUMMARY" in _text(tmp_path / "pack" / "report.pdf", 1, 1)


def test_without_weasyprint_pdf_is_one_line_and_exit_2(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "weasyprint").mkdir(parents=True)
    (site / "weasyprint" / "__init__.py").write_text("raise ImportError('No module named weasyprint')\n")
    root = build_sample_pack(tmp_path / "pack")
    cfg = tmp_path / "c.toml"
    cfg.write_text("[organisation]\nname = 'Empty Co'\n[run]\nmanual_evidence_only = true\n", encoding="utf-8")
    for args in (("report", str(root), "--pdf"),
                 ("run", "--config", str(cfg), "--out", str(tmp_path / "new"), "--pdf")):
        proc = run_cli(*args, site=site)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "pip install 'auditpack[pdf]'" in lines[0], proc.stderr
        assert not (root / "report.pdf").exists() and not (tmp_path / "new").exists()
