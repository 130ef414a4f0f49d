"""A run that uses an unreviewed draft profile says so: on the report's cover and in that
profile's own section, in HTML and Markdown; a reviewed profile shows no banner."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from helpers import install_plugin, run_cli


def _profile(tmp_path: Path, draft: bool) -> Path:
    text = resources.files("auditpack").joinpath("data", "profiles", "voxio.toml").read_text("utf-8")
    text = text.replace('id = "voxio"', 'id = "voxio-draft"\ndraft = ' + ("true" if draft else "false"))
    out = tmp_path / "voxio-draft.toml"
    out.write_text(text, "utf-8")
    return out


@pytest.mark.parametrize("draft", [True, False])
def test_a_run_with_a_draft_profile_shows_the_banner(tmp_path: Path, draft: bool) -> None:
    site = install_plugin(tmp_path / "site")
    profile = _profile(tmp_path, draft)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[history]\nenabled = false\n[acme]\nwidgets = ['w1-enc']\n"
                   f"[[dpa]]\nprofile = '{profile}'\n"
                   f"[[dpa]]\nprofile = 'dioss'\n")
    pack = tmp_path / "pack"
    proc = run_cli("run", "--config", str(cfg), "--out", str(pack), site=site)
    assert proc.returncode in (0, 1, 3), proc.stderr
    html = (pack / "report.html").read_text("utf-8")
    md = (pack / "report.md").read_text("utf-8")
    cover = html[: html.index('id="dpa"')]
    banners = re.findall(r'<p class="draft-banner"[^>]*>(.*?)</p>', html, re.S)
    if draft:
        assert 'id="draft-banner"' in cover and "voxio-draft" in banners[0]
        assert len(banners) == 2  # the cover and the one draft profile's section (not dioss)
        section = html[html.index("Voxio Internet Services: Verwerkersovereenkomst</h3>"):]
        assert section.index("draft-banner") < section.index("clause-table")
        assert md.count("Unreviewed draft") == 2 and "voxio" in md.split("Unreviewed draft")[1][:60]
    else:
        assert banners == [] and "Unreviewed draft" not in md
