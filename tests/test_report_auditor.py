"""The report as an auditor reads it: evidence paths link to the file in the pack and to its
appendix row; the DPA document is in the pack or the report says where it lives; counts
per measure and per control agree; the summary fits 800 px and page 1 of the printout."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from sample_pack import build_sample_pack
from view_support import _finding, _view

from auditpack.catalogs import load_catalogs
from auditpack.reports.view import evidence_anchor, load_view

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")
        if values.get("id"):
            self.ids.add(values["id"] or "")


def test_evidence_paths_link_to_the_file_and_to_its_appendix_row(tmp_path: Path) -> None:
    root = build_sample_pack(tmp_path / "pack")
    parser = Links()
    parser.feed((root / "report.html").read_text("utf-8"))
    files = [h for h in parser.hrefs if h.startswith(("evidence/", "manual/"))]
    assert files, "no evidence link in the report"
    for href in files:
        assert (root / unquote(href)).is_file(), href  # relative: resolves inside the pack folder
    anchors = [h[1:] for h in parser.hrefs if h.startswith("#ev-")]
    assert anchors and all(a in parser.ids for a in anchors)
    view = load_view(root)
    first = next(f for f in view.findings if f.evidence)
    assert first.evidence_links[0].anchor == evidence_anchor(first.evidence[0])
    # the same links work from the unpacked zip of the folder
    archive = tmp_path / "pack.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in root.rglob("*"):
            zf.write(path, Path("pack") / path.relative_to(root))
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "unzipped")
    for href in files:
        assert (tmp_path / "unzipped" / "pack" / unquote(href)).is_file()


def test_transfer_safeguards_and_art_46_1_agree() -> None:
    """A copy to a third country fails residency; it says nothing about safeguards, so GDPR
    Art. 46(1) must not show a fail while the Transfer safeguards measure has no finding."""
    cats = load_catalogs()
    check = "eea_residency_aws_data_copy_destination_allowed"
    controls = cats.controls_for(check, "eea_residency")  # type: ignore[arg-type]
    assert "GDPR/Art.46(1)" not in controls
    view = _view([_finding(check, "eea_residency", "fail", "copy-1", controls=controls)])
    transfer = next(m for m in view.measures if m.measure == "transfer_safeguards")
    art46 = next(c for c in view.gdpr.controls if c.id == "Art. 46(1)")
    assert transfer.counts.total == art46.counts.total == 0
    # every control row names the measures of the findings behind it
    for control in (*view.gdpr.controls, *view.iso.controls):
        behind = [f for f in view.findings if control.ref in f.controls]
        assert {f.measure_label for f in behind} <= set(control.measures), control.ref


def test_finding_ids_never_break(tmp_path: Path) -> None:
    root = build_sample_pack(tmp_path / "pack")
    css = (root / "report.html").read_text("utf-8")
    assert "tr > td.mono:first-child { white-space: nowrap;" in css


def _measure(report: Path, tmp_path: Path, width: int) -> dict[str, int]:
    """Render a copy of the report at ``width`` px with a measuring script (the CSP removed
    in the copy only) and read the numbers back from the DOM."""
    html = report.read_text("utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)
    probe = """<script>window.addEventListener('load', () => {
      const out = {};
      const t = document.querySelector('#summary table:last-of-type');
      out.dpa = t.scrollWidth - t.parentElement.clientWidth;
      out.page = document.documentElement.scrollWidth - document.documentElement.clientWidth;
      const ids = [...document.querySelectorAll('.resources td:first-child')]
        .filter(td => /^F-[0-9]+$/.test(td.textContent.trim()));
      out.broken = ids.filter(td => { const r = document.createRange(); r.selectNodeContents(td);
                                      return r.getClientRects().length > 1; }).length;
      out.ids = ids.length;
      document.body.setAttribute('data-measured', JSON.stringify(out));
    });</script>"""
    page = tmp_path / f"measure-{width}.html"
    page.write_text(html.replace("</body>", probe + "</body>"), "utf-8")
    assert CHROMIUM is not None
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},900",
                          f"--user-data-dir={tmp_path / f'profile-{width}'}", "--virtual-time-budget=3000",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    match = re.search(r"data-measured=\"([^\"]+)\"", dom.stdout)
    assert match, dom.stderr[-2000:]
    import html as html_lib
    import json

    return dict(json.loads(html_lib.unescape(match.group(1))))


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`)")
def test_summary_fits_800_px_and_page_one_of_the_printout(tmp_path: Path) -> None:
    root = build_sample_pack(tmp_path / "pack")
    for width in (800, 700):  # 700 px: about the printable width of A4
        measured = _measure(root / "report.html", tmp_path, width)
        assert measured["dpa"] <= 0, (width, measured)
        assert measured["page"] <= 0, (width, measured)
        assert measured["ids"] > 0 and measured["broken"] == 0, (width, measured)
    pdf = tmp_path / "report.pdf"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'p'}",
                    f"--print-to-pdf={pdf}", "--no-pdf-header-footer", (root / "report.html").as_uri()],
                   capture_output=True, timeout=120, check=True)
    if shutil.which("pdftotext"):
        first = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                               text=True, check=True).stdout
        assert "EXECUTIVE SUMMARY" in first and len([x for x in first.splitlines() if x.strip()]) > 25  # not blank
        layout = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout
        assert "Manual evidence" in layout  # the last column of the Per DPA table, not clipped


def test_the_dpa_document_is_copied_into_the_pack_or_the_report_says_where_it_lives(tmp_path: Path) -> None:
    import json

    from auditpack.config import load_config
    from auditpack.registry import default_registry
    from auditpack.runner import execute, write

    builtin = (Path(__file__).resolve().parents[1] / "src/auditpack/data/profiles/dioss.toml").read_text("utf-8")
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "customer.toml").write_text(
        builtin.replace('id = "dioss"', 'id = "customer"').replace('source = "shared/seeds/dpa-dioss.txt"',
                                                                   'source = "customer-dpa.txt"'), "utf-8")
    (tmp_path / "profiles" / "customer-dpa.txt").write_text("Overeenkomst Gegevensverwerking\n", "utf-8")
    cfg = tmp_path / "audit.toml"
    cfg.write_text("[history]\nenabled = false\n[run]\nmanual_evidence_only = true\n"
                   "[[dpa]]\nprofile = 'profiles/customer.toml'\n[[dpa]]\nprofile = 'dioss'\n")
    registry = default_registry()
    result = execute(load_config(cfg, registry), registry, environ={})
    pack = write(result, tmp_path / "pack")
    manifest = json.loads((pack / "manifest.json").read_text())
    copies = [name for name in manifest["files"] if name.startswith("manual/dpa-customer-")]
    assert len(copies) == 1 and (pack / copies[0]).read_text() == "Overeenkomst Gegevensverwerking\n"
    view = load_view(pack)
    customer, dioss = view.profiles
    assert customer.source_copy is not None and customer.source_copy.path == copies[0]
    assert customer.source_copy.integrity == "matches"
    assert dioss.source_copy is None
    html = (pack / "report.html").read_text("utf-8")
    assert f'<a class="mono" href="{copies[0]}">' in html
    assert "shared/seeds/dpa-dioss.txt<div class=\"small muted\">Not in this pack" in html
