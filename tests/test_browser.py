"""report.html in a real browser: headless Chromium renders the clause tables, runs only our
own script (its CSP hash), and makes no outside request.

Every request is routed to a local recording proxy (and every host name resolves to nothing),
so nothing leaves the machine and an attempted fetch is observed. Chromium itself talks to
Google services in the background (component updates, account list) even with every
"disable" switch, so the proxy alone cannot tell who asked: Chromium's NetLog can. Each
request there carries its network isolation key; the page's own requests have the page's
origin (``file://``), the browser's have none. The test asserts that the page made no
request and that every connection the proxy saw was a browser-internal one. A control
page with an external image and font proves the harness sees a page's fetch.
It also prints the report to PDF (A4, one page or more per section). The screenshot goes to
tests/_artifacts/report.png.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sample_pack import build_sample_pack

ARTIFACTS = Path(__file__).resolve().parent / "_artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`)")


class RecordingProxy:
    """A TCP listener on loopback that records every connection (and its first bytes)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="recording-proxy", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1.0)
                try:
                    data = conn.recv(512)
                except OSError:
                    data = b""
                self.seen.append(data or b"(connection without data)")
                try:
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture()
def proxy() -> Iterator[RecordingProxy]:
    p = RecordingProxy()
    try:
        yield p
    finally:
        p.close()


def _requests(netlog: Path) -> list[tuple[str, str]]:
    """(url, network isolation key) of every URL request in a Chromium NetLog."""
    text = netlog.read_text("utf-8")
    try:
        data = json.loads(text)
    except ValueError:  # a log cut short: close the events array
        data = json.loads(text.rstrip().rstrip(",") + "]}")
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [(e["params"]["url"], e["params"].get("network_isolation_key", ""))
            for e in data["events"] if e["type"] == start and "url" in e.get("params", {})]


def _page_requests(netlog: Path) -> list[str]:
    return [url for url, key in _requests(netlog) if key.startswith("file://")]


def _host(url_or_request: str) -> str:
    rest = url_or_request.split("://", 1)[-1]
    return rest.split("/", 1)[0].split(":", 1)[0]


def _chromium(url: str, profile: Path, proxy: RecordingProxy, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    args = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
        "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
        "--disable-features=OptimizationHints,MediaRouter,Translate,AutofillServerCommunication",
        f"--user-data-dir={profile}", f"--proxy-server=http://127.0.0.1:{proxy.port}",
        "--proxy-bypass-list=<-loopback>", '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        "--virtual-time-budget=3000", *extra, url,
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=90)


def _proxy_hosts(proxy: RecordingProxy) -> set[str]:
    hosts = set()
    for seen in proxy.seen:
        line = seen.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        if len(line) >= 2:
            hosts.add(_host(line[1]))
    return hosts


def test_the_harness_observes_an_outside_fetch(tmp_path: Path, proxy: RecordingProxy) -> None:
    page = tmp_path / "control.html"
    page.write_text('<!doctype html><img src="http://report-assets.example/logo.png">'
                    '<style>@font-face{font-family:x;src:url(https://fonts.example/x.woff2)}body{font-family:x}</style>'
                    "<p>text</p>", encoding="utf-8")
    netlog = tmp_path / "netlog.json"
    _chromium(page.as_uri(), tmp_path / "profile", proxy, "--dump-dom", f"--log-net-log={netlog}")
    assert "report-assets.example" in _proxy_hosts(proxy)
    assert {_host(u) for u in _page_requests(netlog)} == {"report-assets.example", "fonts.example"}


def test_report_renders_in_chromium_without_outside_requests(tmp_path: Path, proxy: RecordingProxy) -> None:
    root = build_sample_pack(tmp_path / "pack", hostile=True)
    report = root / "report.html"
    netlog = tmp_path / "netlog.json"
    dom = _chromium(report.as_uri(), tmp_path / "profile", proxy, "--dump-dom", f"--log-net-log={netlog}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    # the clause tables rendered, clause by clause
    assert 'id="p1-clauses"' in html and "Internationale gegevensoverdrachten, bullet 2" in html
    assert html.count('<table class="clause-table"') == 3
    assert "Evidence of non-conformity" in html
    # our script ran (allowed by its CSP hash): it un-hides the filter bar
    assert '<div class="filter" id="finding-filter">' in html
    # the hostile resource name stayed text: no element was injected
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    shot.unlink(missing_ok=True)
    netlog2 = tmp_path / "netlog2.json"
    result = _chromium(report.as_uri(), tmp_path / "profile2", proxy, f"--screenshot={shot}",
                       "--window-size=1280,2000", "--hide-scrollbars", f"--log-net-log={netlog2}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # it prints: A4 pages; the cover, the contents and the long sections each start a page
    pdf = tmp_path / "report.pdf"
    netlog3 = tmp_path / "netlog3.json"
    printed = _chromium(report.as_uri(), tmp_path / "profile3", proxy, f"--print-to-pdf={pdf}",
                        "--no-pdf-header-footer", f"--log-net-log={netlog3}")
    assert printed.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([0-9.]+)\s+([0-9.]+)", pdf.read_bytes())
    assert len(boxes) >= 6, "cover, contents, and sections 1, 2, 3 and 6 each on a new page"
    assert all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes), boxes[:3]
    # no request by the page; whatever reached the proxy was Chromium's own background traffic
    assert _page_requests(netlog) == [] and _page_requests(netlog2) == [] and _page_requests(netlog3) == []
    browser_hosts = {_host(url) for url, _ in _requests(netlog) + _requests(netlog2) + _requests(netlog3)}
    assert _proxy_hosts(proxy) <= browser_hosts, (_proxy_hosts(proxy), browser_hosts)


@pytest.mark.slow  # renders 12,000 findings and starts Chromium
def test_a_large_report_opens_with_its_summary_and_collapsed_passing_lists(tmp_path: Path,
                                                                           proxy: RecordingProxy) -> None:
    from auditpack.emulators.synthetic_pack import write_synthetic_pack
    from auditpack.reports import render_pack

    root = write_synthetic_pack(tmp_path / "pack", 12_000)
    render_pack(root)
    netlog = tmp_path / "netlog.json"
    dom = _chromium((root / "report.html").as_uri(), tmp_path / "profile", proxy, "--dump-dom",
                    f"--log-net-log={netlog}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    cover = html.split('<header class="cover" id="cover">', 1)[1].split("</header>", 1)[0]
    assert "executive summary" in cover and "Most important non-conformities" in cover
    assert len(re.findall(r"<li><span class=\"sev sev-\w+\">", cover)) == 10
    assert "Synthetic Estate BV" in cover and "DPA clauses by verdict" in cover
    # passing resources: in a <details> the browser keeps closed (no `open` attribute after the script ran)
    passing = re.findall(r"<details class=\"passing\"[^>]*>", html)
    assert passing and all("open" not in tag for tag in passing)
    assert '<div class="filter" id="finding-filter">' in html  # our script ran on the large page too
    assert _page_requests(netlog) == []


def test_dpa_review_page_renders_its_highlights_without_outside_requests(tmp_path: Path,
                                                                           proxy: RecordingProxy) -> None:
    """`auditpack dpa import --review`: the agreement with every drafted clause highlighted and
    the left-over promises marked, rendered by Chromium, nothing fetched, hostile text inert."""
    from dpa_documents import B, build, english_dpa

    from auditpack.dpaimport.draft import draft_profile
    from auditpack.dpaimport.review import render_review

    blocks = english_dpa() + [B("11.1", "The Processor shall keep <script>alert(1)</script> records.",
                                ("11. Records <img src=//example.com/x.png>",))]
    draft = draft_profile(build(blocks, title="ACME DPA"), "acme")
    page = tmp_path / "review.html"
    page.write_text(render_review(draft), "utf-8")
    netlog = tmp_path / "netlog.json"
    dom = _chromium(page.as_uri(), tmp_path / "profile", proxy, "--dump-dom", f"--log-net-log={netlog}")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    highlighted = re.findall(r'<mark class="clause" id="src-c(\d+)">', html)
    assert highlighted and len(highlighted) >= len(draft.clauses) - 1
    assert all(f'id="c{n}"' in html for n in range(1, len(draft.clauses) + 1))
    assert re.search(r'<mark class="leftover" id="src-l\d+">', html)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<img" not in html
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "dpa-review.png"
    shot.unlink(missing_ok=True)
    netlog2 = tmp_path / "netlog2.json"
    result = _chromium(page.as_uri(), tmp_path / "profile2", proxy, f"--screenshot={shot}",
                       "--window-size=1280,1400", "--hide-scrollbars", f"--log-net-log={netlog2}")
    assert result.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert _page_requests(netlog) == [] and _page_requests(netlog2) == []
