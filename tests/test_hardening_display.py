"""Issue 11, display: bidi controls in outside strings are shown, not obeyed, in HTML,
Markdown and CSV; a 100 KB unbroken name is clipped in the reports and whole in CSV/JSON.
Real parts: the CLI against the Hetzner emulator with the real hcloud library."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditpack.emulators.hetzner import HetznerEmulator, ProjectSeed, server
from helpers import run_cli

TOKEN = "hz-display-token-0123456789"
RLO_NAME = "invoice\u202eexe.pdf\u2066x\u2069"
LONG_NAME = "n" * 100_000


@pytest.fixture(scope="module")
def hostile_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("display")
    seed = ProjectSeed(servers=[server(101, RLO_NAME), server(102, LONG_NAME)])
    with HetznerEmulator(seed, token=TOKEN) as api:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[history]\nenabled = false\n[[hetzner.projects]]\nname = "prod"\n'
                       f'token_env = "HZ_DISPLAY"\napi_endpoint = "{api.url}"\n')
        pack = tmp_path / "pack"
        proc = run_cli("run", "--config", str(cfg), "--out", str(pack), env={"HZ_DISPLAY": TOKEN})
    assert proc.returncode in (0, 1), proc.stderr
    return pack


def test_bidi_controls_are_visible_and_long_names_clipped_in_reports(hostile_pack: Path) -> None:
    pack = hostile_pack
    html = (pack / "report.html").read_text()
    md = (pack / "report.md").read_text()
    table = (pack / "findings.csv").read_text()
    for text in (html, md, table):
        assert "\u202e" not in text and "\u2066" not in text and "\u2069" not in text
    assert "invoice&lt;U+202E&gt;exe.pdf&lt;U+2066&gt;x&lt;U+2069&gt;" in html
    assert "invoice\\<U+202E\\>exe.pdf" in md
    assert "invoice<U+202E>exe.pdf<U+2066>x<U+2069>" in table
    # the long name: clipped where people read, whole where programs read
    assert LONG_NAME not in html and LONG_NAME not in md
    assert "more characters: the full value is in findings.csv" in html
    rows = list(csv.DictReader(io.StringIO(table)))
    assert any(r["resource_name"] == LONG_NAME for r in rows)
    findings = json.loads((pack / "findings.json").read_text())["findings"]
    assert any(f["resource"]["name"] == LONG_NAME for f in findings)
    assert any(f["resource"]["name"] == RLO_NAME for f in findings)  # JSON keeps the true value
    longest_run = max(len(run) for run in html.replace("<", " ").replace(">", " ").split())
    assert longest_run < 2_000
    css = (Path(__file__).resolve().parents[1] / "reports" / "templates" / "report.css").read_text()
    assert "overflow-wrap: anywhere" in css.split("th, td {", 1)[1].split("}", 1)[0]
    assert run_cli("verify", str(pack)).returncode == 0


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`)")
def test_a_100_kb_name_does_not_widen_the_page_in_a_real_browser(hostile_pack: Path, tmp_path: Path) -> None:
    """Measured, not inferred from the CSS: the page is no wider than the window."""
    html = (hostile_pack / "report.html").read_text("utf-8")
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html)  # in the copy only
    probe = """<script>window.addEventListener('load', () => {
      const d = document.documentElement;
      const widest = Math.max(...[...document.querySelectorAll('table')].map(t => t.scrollWidth));
      document.body.setAttribute('data-measured', JSON.stringify({over: d.scrollWidth - d.clientWidth,
                                                                  widest: widest, client: d.clientWidth}));
    });</script>"""
    page = tmp_path / "measure.html"
    page.write_text(html.replace("</body>", probe + "</body>"), "utf-8")
    assert CHROMIUM is not None
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
                          f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=3000", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    match = re.search(r'data-measured="([^"]+)"', dom.stdout)
    assert match, dom.stderr[-2000:]
    import html as html_lib

    measured = json.loads(html_lib.unescape(match.group(1)))
    assert measured["over"] <= 0, measured  # no horizontal scrolling of the page
    assert measured["widest"] <= measured["client"], measured  # no table wider than the window
