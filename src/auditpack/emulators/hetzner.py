"""A local emulator of the Hetzner Cloud API (and the Storage Box part of the Hetzner API).

Used by the tests (the real ``hcloud`` library talks to it) and by ``auditpack demo``.
It is read-only by design: it answers GET only, and every other method is refused with
405 and counted in :attr:`HetznerEmulator.violations`, so a test can assert that the
collector never tried to change anything.

    with HetznerEmulator(demo_project(now), token="secret", latency=0.0) as api:
        client = hcloud.Client("secret", api_endpoint=api.url)
        ...
        assert api.requests == 11 and api.violations == 0

What it speaks (the shapes of https://docs.hetzner.cloud, as of the 2026 API):

- ``GET /<collection>`` for servers, volumes, primary_ips, floating_ips, load_balancers,
  certificates, firewalls, images, networks, locations and storage_boxes, with
  ``meta.pagination`` (``page``, ``per_page`` up to 50, default 25, ``previous_page``,
  ``next_page``, ``last_page``, ``total_entries``) and the ``type`` filter of images;
- ``GET /<collection>/<id>`` (so a lazy reload by a client is visible as an extra request);
- ``GET /datacenters`` (and below it): 410 Gone, as since 1 October 2026;
- ``Authorization: Bearer <token>``; anything else is 401 with
  ``{"error": {"code": "unauthorized", ...}}``;
- ``RateLimit-Limit``/``RateLimit-Remaining``/``RateLimit-Reset`` on every response;
  injected 429 (``rate_limit_exceeded``) and 503 (``unavailable``) through :meth:`inject`;
- optional latency per request, and counters: :attr:`requests`, :attr:`violations`,
  :attr:`log` (method and path of every request).

The real Storage Box API lives at ``https://api.hetzner.com/v1``; the emulator serves
``/storage_boxes`` on the same base URL as the Cloud API.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "COLLECTIONS",
    "Fault",
    "HetznerEmulator",
    "ProjectSeed",
    "certificate",
    "demo_project",
    "firewall",
    "floating_ip",
    "image",
    "large_project",
    "load_balancer",
    "location",
    "network",
    "primary_ip",
    "server",
    "storage_box",
    "volume",
]

#: collection path -> key of the list in the response body
COLLECTIONS: dict[str, str] = {
    "servers": "servers",
    "volumes": "volumes",
    "primary_ips": "primary_ips",
    "floating_ips": "floating_ips",
    "load_balancers": "load_balancers",
    "certificates": "certificates",
    "firewalls": "firewalls",
    "images": "images",
    "networks": "networks",
    "locations": "locations",
    "storage_boxes": "storage_boxes",
}
_SINGULAR = {
    "servers": "server", "volumes": "volume", "primary_ips": "primary_ip", "floating_ips": "floating_ip",
    "load_balancers": "load_balancer", "certificates": "certificate", "firewalls": "firewall",
    "images": "image", "networks": "network", "locations": "location", "storage_boxes": "storage_box",
}
RATE_LIMIT = 3600
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 50

# --- API-shaped builders -------------------------------------------------------------------

_LOCATIONS: dict[str, dict[str, Any]] = {
    "fsn1": {"id": 1, "name": "fsn1", "description": "Falkenstein DC Park 1", "country": "DE",
             "city": "Falkenstein", "latitude": 50.47612, "longitude": 12.370071, "network_zone": "eu-central"},
    "nbg1": {"id": 2, "name": "nbg1", "description": "Nuremberg DC Park 1", "country": "DE",
             "city": "Nuremberg", "latitude": 49.452102, "longitude": 11.076665, "network_zone": "eu-central"},
    "hel1": {"id": 3, "name": "hel1", "description": "Helsinki DC Park 1", "country": "FI",
             "city": "Helsinki", "latitude": 60.169855, "longitude": 24.938379, "network_zone": "eu-central"},
    "ash": {"id": 4, "name": "ash", "description": "Ashburn, VA", "country": "US",
            "city": "Ashburn, VA", "latitude": 39.045821, "longitude": -77.487073, "network_zone": "us-east"},
    "hil": {"id": 5, "name": "hil", "description": "Hillsboro, OR", "country": "US",
            "city": "Hillsboro, OR", "latitude": 45.54222, "longitude": -122.951924, "network_zone": "us-west"},
    "sin": {"id": 6, "name": "sin", "description": "Singapore", "country": "SG",
            "city": "Singapore", "latitude": 1.283333, "longitude": 103.833333, "network_zone": "ap-southeast"},
}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def location(code: str, *, country: str | None = "<known>") -> dict[str, Any]:
    """A location object as the API embeds it. ``country=None`` drops the field (a test of
    the fallback); an unknown code gets a made-up id and no country unless given."""
    base = dict(_LOCATIONS.get(code) or {"id": 100 + len(code), "name": code, "description": code,
                                         "city": code, "latitude": 0.0, "longitude": 0.0,
                                         "network_zone": "unknown"})
    if country is None:
        base.pop("country", None)
    elif country != "<known>":
        base["country"] = country
    return base


def server(id: int, name: str, loc: str = "fsn1", *, backup_window: str | None = "22-02",
           labels: Mapping[str, str] | None = None, firewalls: Iterable[int] = (),
           ipv4: str | None = None, ipv6: str | None = None, primary_ipv4_id: int | None = None,
           volumes: Iterable[int] = (), floating_ips: Iterable[int] = (), private_networks: Iterable[int] = (),
           status: str = "running", created: str = "2025-01-10T09:00:00Z") -> dict[str, Any]:
    """A server as ``GET /servers`` lists it (no ``datacenter`` since 2026: ``location``)."""
    public_v4 = None
    if ipv4 is not None:
        public_v4 = {"id": primary_ipv4_id or id + 500_000, "ip": ipv4, "blocked": False,
                     "dns_ptr": f"static.{ipv4}.clients.your-server.de"}
    public_v6 = None
    if ipv6 is not None:
        public_v6 = {"id": id + 600_000, "ip": ipv6, "blocked": False, "dns_ptr": []}
    return {
        "id": id, "name": name, "status": status, "created": created,
        "public_net": {"ipv4": public_v4, "ipv6": public_v6, "floating_ips": list(floating_ips),
                       "firewalls": [{"id": f, "status": "applied"} for f in firewalls]},
        "private_net": [{"network": n, "ip": f"10.0.0.{(id % 250) + 2}", "alias_ips": [], "mac_address": ""}
                        for n in private_networks],
        "server_type": {"id": 22, "name": "cx22", "description": "CX22", "cores": 2, "memory": 4.0,
                        "disk": 40, "storage_type": "local", "cpu_type": "shared", "architecture": "x86"},
        "location": location(loc),
        "image": {"id": 114690387, "type": "system", "name": "debian-12", "os_flavor": "debian",
                  "os_version": "12", "description": "Debian 12"},
        "iso": None, "rescue_enabled": False, "locked": False, "backup_window": backup_window,
        "outgoing_traffic": 0, "ingoing_traffic": 0, "included_traffic": 21990232555520,
        "protection": {"delete": False, "rebuild": False}, "labels": dict(labels or {}),
        "volumes": list(volumes), "load_balancers": [], "primary_disk_size": 40, "placement_group": None,
    }


def volume(id: int, name: str, loc: str = "fsn1", *, server_id: int | None = None, size: int = 10,
           created: str = "2025-01-10T09:05:00Z") -> dict[str, Any]:
    return {"id": id, "name": name, "server": server_id, "location": location(loc), "size": size,
            "linux_device": f"/dev/disk/by-id/scsi-0HC_Volume_{id}", "format": "ext4", "status": "available",
            "created": created, "protection": {"delete": False}, "labels": {}}


def primary_ip(id: int, ip: str, loc: str = "fsn1", *, assignee_id: int | None = None,
               type: str = "ipv4") -> dict[str, Any]:
    """A primary IP (home ``location`` since 2026, no ``datacenter``)."""
    return {"id": id, "name": f"primary_ip-{id}", "ip": ip, "type": type, "assignee_id": assignee_id,
            "assignee_type": "server", "auto_delete": True, "blocked": False, "location": location(loc),
            "dns_ptr": [], "labels": {}, "protection": {"delete": False}, "created": "2025-01-10T09:00:00Z"}


def floating_ip(id: int, ip: str, loc: str = "fsn1", *, server_id: int | None = None,
                type: str = "ipv4") -> dict[str, Any]:
    return {"id": id, "name": f"floating-{id}", "description": None, "ip": ip, "type": type,
            "server": server_id, "dns_ptr": [], "home_location": location(loc), "blocked": False,
            "protection": {"delete": False}, "labels": {}, "created": "2025-01-10T09:00:00Z"}


def lb_service(protocol: str, listen_port: int, destination_port: int | None = None, *,
               redirect_http: bool = False, certificates: Iterable[int] = ()) -> dict[str, Any]:
    svc: dict[str, Any] = {
        "protocol": protocol, "listen_port": listen_port, "destination_port": destination_port or listen_port,
        "proxyprotocol": False,
        "health_check": {"protocol": "tcp", "port": destination_port or listen_port, "interval": 15,
                         "timeout": 10, "retries": 3, "http": None},
        "http": None,
    }
    if protocol in ("http", "https"):
        svc["http"] = {"cookie_name": "HCLBSTICKY", "cookie_lifetime": 300, "certificates": list(certificates),
                       "redirect_http": redirect_http, "sticky_sessions": False}
    return svc


def load_balancer(id: int, name: str, loc: str = "fsn1", *, services: Iterable[dict[str, Any]] = (),
                  targets: Iterable[int] = (), public: bool = True) -> dict[str, Any]:
    return {
        "id": id, "name": name, "location": location(loc),
        "public_net": {"enabled": public, "ipv4": {"ip": "203.0.113.10", "dns_ptr": None},
                       "ipv6": {"ip": "2001:db8::10", "dns_ptr": None}},
        "private_net": [],
        "load_balancer_type": {"id": 1, "name": "lb11", "description": "LB11", "max_connections": 10000,
                               "max_services": 5, "max_targets": 25, "max_assigned_certificates": 10},
        "protection": {"delete": False}, "labels": {}, "created": "2025-01-10T09:00:00Z",
        "services": list(services),
        "targets": [{"type": "server", "server": {"id": t}, "health_status": [], "use_private_ip": False}
                    for t in targets],
        "algorithm": {"type": "round_robin"}, "outgoing_traffic": 0, "ingoing_traffic": 0,
        "included_traffic": 0,
    }


def certificate(id: int, name: str, not_valid_after: datetime | None, *, domains: Sequence[str] = ("example.com",),
                type: str = "managed", issuance: str = "completed") -> dict[str, Any]:
    before = None if not_valid_after is None else _iso(not_valid_after - timedelta(days=90))
    return {"id": id, "name": name, "type": type, "domain_names": list(domains),
            "not_valid_before": before,
            "not_valid_after": None if not_valid_after is None else _iso(not_valid_after),
            "fingerprint": "03:c7:55:9b:2a:d1:04:17:09:f6:d0:7f:18:34:63:d4:3e:5f",
            "certificate": None if type == "managed" else "-----BEGIN CERTIFICATE-----\n...",
            "status": {"issuance": issuance, "renewal": "unavailable", "error": None} if type == "managed" else None,
            "used_by": [], "labels": {}, "created": "2025-01-10T09:00:00Z"}


def fw_rule(port: str | None, sources: Sequence[str] = ("0.0.0.0/0", "::/0"), *, protocol: str = "tcp",
            direction: str = "in", description: str | None = None) -> dict[str, Any]:
    return {"direction": direction, "protocol": protocol, "port": port, "source_ips": list(sources),
            "destination_ips": [], "description": description}


def firewall(id: int, name: str, *, rules: Iterable[dict[str, Any]] = (), servers: Iterable[int] = (),
             selectors: Mapping[str, Iterable[int]] | None = None) -> dict[str, Any]:
    """``selectors`` maps a label selector to the server ids the API resolved it to."""
    applied: list[dict[str, Any]] = [{"type": "server", "server": {"id": s}} for s in servers]
    for selector, reached in (selectors or {}).items():
        applied.append({"type": "label_selector", "label_selector": {"selector": selector},
                        "applied_to_resources": [{"type": "server", "server": {"id": s}} for s in reached]})
    return {"id": id, "name": name, "labels": {}, "created": "2025-01-10T09:00:00Z",
            "rules": list(rules), "applied_to": applied}


def image(id: int, type: str, created: datetime, *, server_id: int | None, server_name: str | None = None,
          description: str | None = None) -> dict[str, Any]:
    return {"id": id, "type": type, "status": "available", "name": None,
            "description": description or f"{type} of {server_name or server_id}",
            "image_size": 1.2, "disk_size": 40, "created": _iso(created),
            "created_from": None if server_id is None else {"id": server_id, "name": server_name or str(server_id)},
            "bound_to": server_id if type == "backup" else None, "os_flavor": "debian", "os_version": "12",
            "rapid_deploy": False, "protection": {"delete": False}, "deprecated": None, "deleted": None,
            "labels": {}, "architecture": "x86"}


def network(id: int, name: str, *, servers: Iterable[int] = (), ip_range: str = "10.0.0.0/16") -> dict[str, Any]:
    return {"id": id, "name": name, "ip_range": ip_range,
            "subnets": [{"type": "cloud", "ip_range": "10.0.0.0/24", "network_zone": "eu-central",
                         "gateway": "10.0.0.1", "vswitch_id": None}],
            "routes": [], "servers": list(servers), "load_balancers": [], "protection": {"delete": False},
            "labels": {}, "created": "2025-01-10T09:00:00Z", "expose_routes_to_vswitch": False}


def storage_box(id: int, name: str, loc: str = "fsn1", *, snapshot_plan: bool = True, ssh: bool = True,
                samba: bool = False, webdav: bool = False, external: bool = False) -> dict[str, Any]:
    plan = {"max_snapshots": 10, "minute": 0, "hour": 3, "day_of_week": None, "day_of_month": None}
    return {"id": id, "username": f"u{id}", "status": "active", "name": name,
            "storage_box_type": {"name": "bx11", "description": "BX11", "snapshot_limit": 10,
                                 "automatic_snapshot_limit": 10, "subaccounts_limit": 100, "size": 1099511627776},
            "location": location(loc), "access_settings": {"reachable_externally": external,
                                                           "samba_enabled": samba, "ssh_enabled": ssh,
                                                           "webdav_enabled": webdav, "zfs_enabled": False},
            "server": f"u{id}.your-storagebox.de", "system": "FSN1-BX355",
            "stats": {"size": 0, "size_data": 0, "size_snapshots": 0}, "labels": {},
            "protection": {"delete": False}, "snapshot_plan": plan if snapshot_plan else None,
            "created": "2025-01-10T09:00:00Z"}


@dataclass
class ProjectSeed:
    """What one emulated project holds: lists of API-shaped objects per collection."""

    servers: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    primary_ips: list[dict[str, Any]] = field(default_factory=list)
    floating_ips: list[dict[str, Any]] = field(default_factory=list)
    load_balancers: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    firewalls: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    networks: list[dict[str, Any]] = field(default_factory=list)
    storage_boxes: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=lambda: [location(c) for c in _LOCATIONS])

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProjectSeed:
        unknown = set(data) - set(COLLECTIONS)
        if unknown:
            raise ValueError(f"unknown collections in the seed: {sorted(unknown)}")
        return cls(**{k: [dict(x) for x in v] for k, v in data.items()})

    def collection(self, name: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = getattr(self, name)
        return items

    def resource_count(self) -> int:
        return sum(len(self.collection(name)) for name in COLLECTIONS if name != "locations")


def demo_project(now: datetime) -> ProjectSeed:
    """The demo company's Hetzner project: mostly good, with the classic mistakes.

    - ``app-1`` (fsn1): backups on, fresh backup image, behind firewall ``web`` (80/443 only);
    - ``db-1`` (fsn1): backups on but the newest backup image is 4 days old; reached by the
      label-selector firewall ``admin`` that opens SSH (22) to the world; volume ``db-data``;
    - ``worker-us`` (ash, US): backups disabled, no firewall, a public IP in ash;
    - load balancer ``lb-web`` (fsn1): an http service on port 80 without redirect and an https
      service with a valid managed certificate;
    - Storage Box ``backup-box`` (fsn1) without a snapshot plan.
    """
    fresh = now - timedelta(hours=5)
    stale = now - timedelta(days=4)
    return ProjectSeed(
        servers=[
            server(101, "app-1", "fsn1", labels={"role": "app"}, firewalls=[11], ipv4="198.51.100.11",
                   ipv6="2001:db8:11::/64", private_networks=[31]),
            server(102, "db-1", "fsn1", labels={"role": "db"}, firewalls=[12], ipv4="198.51.100.12",
                   volumes=[201], private_networks=[31]),
            server(103, "worker-us", "ash", backup_window=None, labels={"role": "worker"}, ipv4="198.51.100.13"),
        ],
        volumes=[volume(201, "db-data", "fsn1", server_id=102, size=100)],
        primary_ips=[primary_ip(500101, "198.51.100.11", "fsn1", assignee_id=101),
                     primary_ip(500102, "198.51.100.12", "fsn1", assignee_id=102),
                     primary_ip(500103, "198.51.100.13", "ash", assignee_id=103)],
        floating_ips=[floating_ip(301, "198.51.100.99", "fsn1", server_id=101)],
        load_balancers=[load_balancer(401, "lb-web", "fsn1", targets=[101], services=[
            lb_service("http", 80, 8080),
            lb_service("https", 443, 8080, certificates=[501]),
        ])],
        certificates=[certificate(501, "www", now + timedelta(days=60), domains=("www.example.com",))],
        firewalls=[
            firewall(11, "web", rules=[fw_rule("80"), fw_rule("443")], servers=[101]),
            firewall(12, "admin", rules=[fw_rule("22", description="ssh from anywhere")],
                     selectors={"role=db": [102]}),
        ],
        images=[
            image(601, "backup", fresh, server_id=101, server_name="app-1"),
            image(602, "backup", stale, server_id=102, server_name="db-1"),
            image(603, "snapshot", stale, server_id=102, server_name="db-1", description="before upgrade"),
        ],
        networks=[network(31, "private", servers=[101, 102])],
        storage_boxes=[storage_box(701, "backup-box", "fsn1", snapshot_plan=False)],
    )


def large_project(servers: int, now: datetime, *, firewalls: int = 10) -> ProjectSeed:
    """``servers`` servers in fsn1, each with a volume, a primary IP and a fresh backup image,
    spread over ``firewalls`` firewalls (every second one applied by label selector)."""
    seed = ProjectSeed()
    per = max(1, math.ceil(servers / max(1, firewalls)))
    for f in range(firewalls):
        members = [1000 + i for i in range(f * per, min(servers, (f + 1) * per))]
        if f % 2:
            seed.firewalls.append(firewall(10 + f, f"fw-{f}", rules=[fw_rule("443")],
                                           selectors={f"group=g{f}": members}))
        else:
            seed.firewalls.append(firewall(10 + f, f"fw-{f}", rules=[fw_rule("443")], servers=members))
    for i in range(servers):
        sid = 1000 + i
        fw = 10 + min(firewalls - 1, i // per) if firewalls else None
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        seed.servers.append(server(sid, f"srv-{i}", "fsn1", labels={"group": f"g{fw - 10}"} if fw else {},
                                   firewalls=[fw] if fw else [], ipv4=ip, primary_ipv4_id=500_000 + sid,
                                   volumes=[200_000 + sid]))
        seed.volumes.append(volume(200_000 + sid, f"vol-{i}", "fsn1", server_id=sid))
        seed.primary_ips.append(primary_ip(500_000 + sid, ip, "fsn1", assignee_id=sid))
        seed.images.append(image(700_000 + sid, "backup", now - timedelta(hours=3), server_id=sid,
                                 server_name=f"srv-{i}"))
    return seed


# --- the HTTP server -----------------------------------------------------------------------

@dataclass
class Fault:
    """An injected failure: the next ``times`` GETs whose path starts with ``path`` get it."""

    status: int
    times: int = 1
    path: str = "/"


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": {}}}


class HetznerEmulator:
    """Context manager: a Hetzner API on 127.0.0.1 with an ephemeral port.

    ``.url`` is the base URL (``http://127.0.0.1:<port>/v1``) for both ``api_endpoint`` and
    the Storage Box endpoint; ``.requests`` counts every request received (any method),
    ``.violations`` the non-GET ones, ``.log`` holds ``(method, path)`` of each.
    """

    def __init__(self, seed: ProjectSeed | Mapping[str, Any], *, token: str = "test-token",
                 latency: float = 0.0, rate_limit: int = RATE_LIMIT) -> None:
        self.seed = seed if isinstance(seed, ProjectSeed) else ProjectSeed.from_json(seed)
        self.token = token
        self.latency = latency
        self.rate_limit = rate_limit
        self.requests = 0
        self.violations = 0
        self.log: list[tuple[str, str]] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._index = {name: {str(item["id"]): item for item in self.seed.collection(name)} for name in COLLECTIONS}

    # -- control ----------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running (use it as a context manager)")
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def inject(self, status: int, *, times: int = 1, path: str = "/") -> None:
        """Answer the next ``times`` GETs below ``path`` (e.g. ``"/servers"``) with
        ``status`` (429: rate limited, 503: unavailable, 500, 502, 504)."""
        with self._lock:
            self._faults.append(Fault(status, times, path))

    def reset_counters(self) -> None:
        with self._lock:
            self.requests = 0
            self.violations = 0
            self.log.clear()

    def paths(self, method: str = "GET") -> list[str]:
        with self._lock:
            return [p for m, p in self.log if m == method]

    def start(self) -> HetznerEmulator:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="hetzner-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = None
        self._thread = None

    def __enter__(self) -> HetznerEmulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- request handling -------------------------------------------------------------------
    def _count(self, method: str, path: str) -> int:
        with self._lock:
            self.requests += 1
            if method != "GET":
                self.violations += 1
            self.log.append((method, path))
            return self.requests

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith("/v1" + fault.path) or path.startswith(fault.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _rate_headers(self, used: int, exhausted: bool = False) -> dict[str, str]:
        remaining = 0 if exhausted else max(0, self.rate_limit - used)
        # the bucket refills one request per second; Reset is when it is full again
        reset = int(time.time()) + (1 if exhausted else self.rate_limit - remaining)
        return {"RateLimit-Limit": str(self.rate_limit), "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(reset)}

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> tuple[int, dict[str, str], Any]:
        """One request: (status, extra headers, JSON body). Pure apart from the counters."""
        used = self._count(method, target)
        if self.latency:
            time.sleep(self.latency)
        rate = self._rate_headers(used)
        if method != "GET":
            return 405, rate, _error("method_not_allowed", "this emulator is read-only")
        if headers.get("Authorization") != f"Bearer {self.token}":
            return 401, rate, _error("unauthorized", "unable to authenticate")
        parts = urlsplit(target)
        path = parts.path
        fault = self._take_fault(path)
        if fault is not None:
            if fault.status == 429:
                return 429, self._rate_headers(used, exhausted=True), _error(
                    "rate_limit_exceeded", f"limit of {self.rate_limit} requests per hour reached")
            code = {500: "server_error", 502: "bad_gateway", 503: "unavailable", 504: "timeout"}.get(
                fault.status, "server_error")
            return fault.status, rate, _error(code, "injected failure")
        segments = [s for s in path.split("/") if s]
        if segments[:1] == ["v1"]:
            segments = segments[1:]
        if segments[:1] == ["datacenters"]:
            return 410, rate, _error("gone", "the datacenters endpoint was removed on 2026-10-01; use locations")
        if not segments or segments[0] not in COLLECTIONS or len(segments) > 2:
            return 404, rate, _error("not_found", "not found")
        name = segments[0]
        if len(segments) == 2:
            item = self._index[name].get(segments[1])
            if item is None:
                return 404, rate, _error("not_found", f"{_SINGULAR[name]} with ID '{segments[1]}' not found")
            return 200, rate, {_SINGULAR[name]: item}
        query = parse_qs(parts.query)
        try:
            page = int(query.get("page", ["1"])[0])
            per_page = int(query.get("per_page", [str(DEFAULT_PER_PAGE)])[0])
        except ValueError:
            return 400, rate, _error("invalid_input", "page and per_page must be integers")
        if page < 1 or per_page < 1 or per_page > MAX_PER_PAGE:
            return 400, rate, _error("invalid_input", f"per_page must be between 1 and {MAX_PER_PAGE}")
        items = self.seed.collection(name)
        if name == "images" and "type" in query:
            wanted = {t for value in query["type"] for t in value.split(",")}
            items = [i for i in items if i.get("type") in wanted]
        total = len(items)
        last = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        meta = {"pagination": {"page": page, "per_page": per_page,
                               "previous_page": page - 1 if page > 1 else None,
                               "next_page": page + 1 if page < last else None,
                               "last_page": last, "total_entries": total}}
        return 200, rate, {COLLECTIONS[name]: chunk, "meta": meta}


class _Handler(BaseHTTPRequestHandler):
    emulator: HetznerEmulator
    protocol_version = "HTTP/1.1"
    server_version = "hetzner-emulator"
    # headers and body leave in two writes: without this, Nagle plus delayed ACKs add ~40 ms
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        auth = {"Authorization": self.headers.get("Authorization", "")}
        status, extra, body = self.emulator.handle(self.command, self.path, auth)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        return
