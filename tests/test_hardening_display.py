"""Issue 11, display: bidi controls in outside strings are shown, not obeyed, in HTML,
Markdown and CSV; a 100 KB unbroken name is clipped in the reports and whole in CSV/JSON.
Real parts: the CLI against the Hetzner emulator with the real hcloud library."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from auditpack.emulators.hetzner import HetznerEmulator, ProjectSeed, server
from helpers import run_cli

TOKEN = "hz-display-token-0123456789"
RLO_NAME = "invoice\u202eexe.pdf\u2066x\u2069"
LONG_NAME = "n" * 100_000


def test_bidi_controls_are_visible_and_long_names_clipped_in_reports(tmp_path: Path) -> None:
    seed = ProjectSeed(servers=[server(101, RLO_NAME), server(102, LONG_NAME)])
    with HetznerEmulator(seed, token=TOKEN) as api:
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'[history]\nenabled = false\n[[hetzner.projects]]\nname = "prod"\n'
                       f'token_env = "HZ_DISPLAY"\napi_endpoint = "{api.url}"\n')
        pack = tmp_path / "pack"
        proc = run_cli("run", "--config", str(cfg), "--out", str(pack), env={"HZ_DISPLAY": TOKEN})
    assert proc.returncode in (0, 1), proc.stderr
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
