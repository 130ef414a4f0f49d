"""Typed evidence records of the Hetzner collector (no I/O, no hcloud: checks import these).

One kind per listing, so a failed listing is ``error`` for exactly that kind in exactly
that project. Every id is the API's numeric id as a string (the contract's resource id).
``location`` is the Hetzner location code (``fsn1``), ``country`` the ISO country the API
gave for it (None when the API gave none: the checks then fall back to the project's own
location table).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from auditpack.model import EvidenceRecord

__all__ = [
    "HetznerCertificate",
    "HetznerFirewall",
    "HetznerFloatingIp",
    "HetznerImage",
    "HetznerLoadBalancer",
    "HetznerNetwork",
    "HetznerPrimaryIp",
    "HetznerServer",
    "HetznerStorageBox",
    "HetznerVolume",
    "FirewallRule",
    "FirewallSelector",
    "LoadBalancerService",
    "SnapshotPlan",
]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HetznerServer(EvidenceRecord, kind="hetzner.server"):
    id: str
    name: str
    project: str
    status: str | None
    location: str | None
    country: str | None
    backup_window: str | None  # None: backups disabled
    labels: dict[str, str] = {}
    firewall_ids: tuple[str, ...] = ()  # public_net.firewalls (direct and by label selector)
    public_ipv4: str | None = None
    public_ipv6: str | None = None  # the /64 network
    floating_ip_ids: tuple[str, ...] = ()
    volume_ids: tuple[str, ...] = ()
    network_ids: tuple[str, ...] = ()
    created: datetime | None = None

    @property
    def public(self) -> bool:
        return bool(self.public_ipv4 or self.public_ipv6 or self.floating_ip_ids)


class HetznerVolume(EvidenceRecord, kind="hetzner.volume"):
    id: str
    name: str
    project: str
    location: str | None
    country: str | None
    server_id: str | None
    size_gb: int | None
    linux_device: str | None
    format: str | None = None
    status: str | None = None


class HetznerPrimaryIp(EvidenceRecord, kind="hetzner.primary_ip"):
    id: str
    name: str | None
    project: str
    ip: str | None
    type: str | None
    location: str | None
    country: str | None
    assignee_id: str | None
    assignee_type: str | None


class HetznerFloatingIp(EvidenceRecord, kind="hetzner.floating_ip"):
    id: str
    name: str | None
    project: str
    ip: str | None
    type: str | None
    location: str | None  # home_location
    country: str | None
    server_id: str | None


class LoadBalancerService(_Part):
    protocol: str  # tcp | http | https
    listen_port: int | None
    destination_port: int | None
    redirect_http: bool = False
    certificate_ids: tuple[str, ...] = ()


class HetznerLoadBalancer(EvidenceRecord, kind="hetzner.load_balancer"):
    id: str
    name: str
    project: str
    location: str | None
    country: str | None
    public: bool
    services: tuple[LoadBalancerService, ...] = ()
    target_server_ids: tuple[str, ...] = ()


class HetznerCertificate(EvidenceRecord, kind="hetzner.certificate"):
    id: str
    name: str
    project: str
    type: str | None  # uploaded | managed
    domain_names: tuple[str, ...] = ()
    not_valid_before: datetime | None = None
    not_valid_after: datetime | None = None
    issuance_status: str | None = None  # managed certificates: pending | completed | failed


class FirewallRule(_Part):
    direction: str  # in | out
    protocol: str  # tcp | udp | icmp | esp | gre
    port: str | None  # "22", "80-85", "any" or None (icmp/esp/gre)
    source_ips: tuple[str, ...] = ()
    destination_ips: tuple[str, ...] = ()
    description: str | None = None


class FirewallSelector(_Part):
    selector: str
    #: the servers the API resolved the selector to (``applied_to_resources``); None when
    #: the API did not say, in which case checks evaluate the selector against labels
    server_ids: tuple[str, ...] | None = None


class HetznerFirewall(EvidenceRecord, kind="hetzner.firewall"):
    id: str
    name: str
    project: str
    rules: tuple[FirewallRule, ...] = ()
    server_ids: tuple[str, ...] = ()  # applied directly (type "server")
    selectors: tuple[FirewallSelector, ...] = ()  # applied by label selector


class HetznerImage(EvidenceRecord, kind="hetzner.image"):
    """A ``backup`` or ``snapshot`` image (system and app images are not listed)."""

    id: str
    name: str | None
    project: str
    type: str
    status: str | None
    created: datetime | None
    created_from_id: str | None
    created_from_name: str | None
    bound_to: str | None  # backups: the server they belong to
    description: str | None = None


class HetznerNetwork(EvidenceRecord, kind="hetzner.network"):
    id: str
    name: str
    project: str
    ip_range: str | None
    server_ids: tuple[str, ...] = ()
    subnet_zones: tuple[str, ...] = ()


class SnapshotPlan(_Part):
    max_snapshots: int | None = None
    minute: int | None = None
    hour: int | None = None
    day_of_week: int | None = None
    day_of_month: int | None = None


class HetznerStorageBox(EvidenceRecord, kind="hetzner.storage_box"):
    id: str
    name: str
    project: str
    location: str | None
    country: str | None
    status: str | None
    snapshot_plan: SnapshotPlan | None
    ssh_enabled: bool | None = None
    samba_enabled: bool | None = None
    webdav_enabled: bool | None = None
    zfs_enabled: bool | None = None
    reachable_externally: bool | None = None
