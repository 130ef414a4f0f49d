"""Hetzner collector: Cloud projects and Storage Boxes, read-only, with the official hcloud.

Each configured project is its own scope. Per project it lists, 50 per page, servers,
volumes, primary and floating IPs, load balancers, certificates, firewalls, backup and
snapshot images, networks and Storage Boxes, and emits one evidence per resource (raw =
the object as the API listed it) plus one ``provider.use``. A listing that fails is one
``error`` evidence of that kind for the project; the other listings and projects go on.
Nothing is ever changed: GET only (the emulator in the tests counts anything else).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditpack.collectors import CollectContext, Collector, fan_out
from auditpack.config import ConfigProblem
from auditpack.evidence.hetzner import (
    FirewallRule,
    FirewallSelector,
    HetznerCertificate,
    HetznerFirewall,
    HetznerFloatingIp,
    HetznerImage,
    HetznerLoadBalancer,
    HetznerNetwork,
    HetznerPrimaryIp,
    HetznerServer,
    HetznerStorageBox,
    HetznerVolume,
    LoadBalancerService,
    SnapshotPlan,
)
from auditpack.evidence.provider import ProviderUse
from auditpack.model import ErrorReason, EvidenceRecord, Resource

from .config import HetznerProject, HetznerSettings
from .config import preflight as settings_preflight

if TYPE_CHECKING:
    from .api import Listing

__all__ = ["HetznerCollector"]

DEFAULT_CLOUD_ENDPOINT = "https://api.hetzner.cloud/v1"
DEFAULT_HETZNER_ENDPOINT = "https://api.hetzner.com/v1"
PROVIDER_NAME = "Hetzner Online GmbH"

Parsed = tuple[EvidenceRecord, Resource]
Parser = Callable[[dict[str, Any], str], Parsed]


# --- small readers of the API's JSON (defensive: a missing field is None, never a guess) ---

def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return None if value is None else str(value)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ids(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(i for i in (_id(v) for v in values) if i is not None)


def _location(obj: Mapping[str, Any], key: str = "location") -> tuple[str | None, str | None]:
    """(code, country) of an object's location. Since 2026 servers and primary IPs carry
    ``location``; older answers had it under ``datacenter.location`` (read as a fallback)."""
    loc = obj.get(key)
    if not isinstance(loc, dict):
        dc = obj.get("datacenter")
        loc = dc.get("location") if isinstance(dc, dict) else None
    if not isinstance(loc, dict):
        return None, None
    name, country = loc.get("name"), loc.get("country")
    return (str(name) if name else None), (str(country).upper() if country else None)


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    labels = obj.get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _resource(kind_type: str, obj: Mapping[str, Any], project: str, loc: str | None = None) -> Resource:
    rid = _id(obj.get("id")) or "?"
    name = obj.get("name") or obj.get("ip") or obj.get("description") or rid
    return Resource(provider="hetzner", type=kind_type, id=rid, name=str(name), location=loc, scope=project)


def _server(obj: dict[str, Any], project: str) -> Parsed:
    loc, country = _location(obj)
    net = obj.get("public_net") or {}
    v4, v6 = net.get("ipv4"), net.get("ipv6")
    record = HetznerServer(
        id=_id(obj.get("id")) or "?", name=str(obj.get("name")), project=project, status=obj.get("status"),
        location=loc, country=country, backup_window=obj.get("backup_window"), labels=_labels(obj),
        firewall_ids=_ids(net.get("firewalls")),
        public_ipv4=v4.get("ip") if isinstance(v4, dict) else None,
        public_ipv6=v6.get("ip") if isinstance(v6, dict) else None,
        floating_ip_ids=_ids(net.get("floating_ips")), volume_ids=_ids(obj.get("volumes")),
        network_ids=tuple(i for i in (_id(p.get("network")) for p in obj.get("private_net") or []
                                      if isinstance(p, dict)) if i),
        created=obj.get("created"),
    )
    return record, _resource("server", obj, project, loc)


def _volume(obj: dict[str, Any], project: str) -> Parsed:
    loc, country = _location(obj)
    record = HetznerVolume(id=_id(obj.get("id")) or "?", name=str(obj.get("name")), project=project, location=loc,
                           country=country, server_id=_id(obj.get("server")), size_gb=obj.get("size"),
                           linux_device=obj.get("linux_device"), format=obj.get("format"),
                           status=obj.get("status"))
    return record, _resource("volume", obj, project, loc)


def _primary_ip(obj: dict[str, Any], project: str) -> Parsed:
    loc, country = _location(obj)
    record = HetznerPrimaryIp(id=_id(obj.get("id")) or "?", name=obj.get("name"), project=project,
                              ip=obj.get("ip"), type=obj.get("type"), location=loc, country=country,
                              assignee_id=_id(obj.get("assignee_id")), assignee_type=obj.get("assignee_type"))
    return record, _resource("primary_ip", obj, project, loc)


def _floating_ip(obj: dict[str, Any], project: str) -> Parsed:
    loc, country = _location(obj, "home_location")
    record = HetznerFloatingIp(id=_id(obj.get("id")) or "?", name=obj.get("name"), project=project,
                               ip=obj.get("ip"), type=obj.get("type"), location=loc, country=country,
                               server_id=_id(obj.get("server")))
    return record, _resource("floating_ip", obj, project, loc)


def _load_balancer(obj: dict[str, Any], project: str) -> Parsed:
    loc, country = _location(obj)
    services = []
    for svc in obj.get("services") or []:
        http = svc.get("http") or {}
        services.append(LoadBalancerService(
            protocol=str(svc.get("protocol")), listen_port=svc.get("listen_port"),
            destination_port=svc.get("destination_port"), redirect_http=bool(http.get("redirect_http")),
            certificate_ids=_ids(http.get("certificates"))))
    targets = tuple(i for i in (_id(t.get("server")) for t in obj.get("targets") or []
                                if isinstance(t, dict) and t.get("type") == "server") if i)
    record = HetznerLoadBalancer(id=_id(obj.get("id")) or "?", name=str(obj.get("name")), project=project,
                                 location=loc, country=country,
                                 public=bool((obj.get("public_net") or {}).get("enabled")),
                                 services=tuple(services), target_server_ids=targets)
    return record, _resource("load_balancer", obj, project, loc)


def _certificate(obj: dict[str, Any], project: str) -> Parsed:
    status = _obj(obj.get("status"))
    record = HetznerCertificate(id=_id(obj.get("id")) or "?", name=str(obj.get("name")), project=project,
                                type=obj.get("type"), domain_names=tuple(obj.get("domain_names") or ()),
                                not_valid_before=obj.get("not_valid_before"),
                                not_valid_after=obj.get("not_valid_after"), issuance_status=status.get("issuance"))
    return record, _resource("certificate", obj, project)


def _firewall(obj: dict[str, Any], project: str) -> Parsed:
    # the API always sends ``rules`` (a list of objects, empty for a firewall without rules):
    # anything else is not the API's answer, and must not read as "no rule opens a port"
    listed = obj.get("rules")
    if not isinstance(listed, list) or not all(isinstance(r, dict) for r in listed):
        raise ValueError(f"firewall rules are {'missing' if 'rules' not in obj else type(listed).__name__}"
                         f"{'' if not isinstance(listed, list) else ' with items that are not objects'}, "
                         "not a list of objects")
    rules = tuple(FirewallRule(direction=str(r.get("direction")), protocol=str(r.get("protocol")),
                               port=None if r.get("port") is None else str(r.get("port")),
                               source_ips=tuple(r.get("source_ips") or ()),
                               destination_ips=tuple(r.get("destination_ips") or ()),
                               description=r.get("description"))
                  for r in obj.get("rules") or [] if isinstance(r, dict))
    servers: list[str] = []
    selectors: list[FirewallSelector] = []
    for target in obj.get("applied_to") or []:
        if not isinstance(target, dict):
            continue
        if target.get("type") == "server" and _id(target.get("server")):
            servers.append(str(_id(target.get("server"))))
        elif target.get("type") == "label_selector":
            selector = str((target.get("label_selector") or {}).get("selector") or "")
            resolved = target.get("applied_to_resources")
            reached = None if not isinstance(resolved, list) else tuple(
                i for i in (_id(r.get("server")) for r in resolved if isinstance(r, dict)
                            and r.get("type") == "server") if i)
            selectors.append(FirewallSelector(selector=selector, server_ids=reached))
    record = HetznerFirewall(id=_id(obj.get("id")) or "?", name=str(obj.get("name")), project=project,
                             rules=rules, server_ids=tuple(servers), selectors=tuple(selectors))
    return record, _resource("firewall", obj, project)


def _image(obj: dict[str, Any], project: str) -> Parsed:
    source = _obj(obj.get("created_from"))
    record = HetznerImage(id=_id(obj.get("id")) or "?", name=obj.get("name"), project=project,
                          type=str(obj.get("type")), status=obj.get("status"), created=obj.get("created"),
                          created_from_id=_id(source.get("id")), created_from_name=source.get("name"),
                          bound_to=_id(obj.get("bound_to")), description=obj.get("description"))
    return record, _resource("image", obj, project)


def _network(obj: dict[str, Any], project: str) -> Parsed:
    zones = tuple(sorted({str(s.get("network_zone")) for s in obj.get("subnets") or []
                          if isinstance(s, dict) and s.get("network_zone")}))
    record = HetznerNetwork(id=_id(obj.get("id")) or "?", name=str(obj.get("name")), project=project,
                            ip_range=obj.get("ip_range"), server_ids=_ids(obj.get("servers")), subnet_zones=zones)
    return record, _resource("network", obj, project)


def _storage_box(obj: dict[str, Any], project: str) -> Parsed:
    loc, country = _location(obj)
    access = _obj(obj.get("access_settings"))
    plan = obj.get("snapshot_plan")
    record = HetznerStorageBox(
        id=_id(obj.get("id")) or "?", name=str(obj.get("name") or obj.get("username")), project=project,
        location=loc, country=country, status=obj.get("status"),
        snapshot_plan=SnapshotPlan(**{k: plan.get(k) for k in SnapshotPlan.model_fields}) if isinstance(plan, dict)
        else None,
        ssh_enabled=access.get("ssh_enabled"), samba_enabled=access.get("samba_enabled"),
        webdav_enabled=access.get("webdav_enabled"), zfs_enabled=access.get("zfs_enabled"),
        reachable_externally=access.get("reachable_externally"))
    return record, _resource("storage_box", obj, project, loc)


@dataclass(frozen=True, slots=True)
class Spec:
    """One listing: its record class, path, response key, query and parser."""

    record: type[EvidenceRecord]
    path: str
    key: str
    parse: Parser
    params: tuple[tuple[str, Any], ...] = ()
    storage_api: bool = False  # served by the Hetzner API (api.hetzner.com), not the Cloud API
    has_location: bool = False  # feeds provider.use

    @property
    def kind(self) -> str:
        return self.record.kind


SPECS: tuple[Spec, ...] = (
    Spec(HetznerServer, "/servers", "servers", _server, has_location=True),
    Spec(HetznerVolume, "/volumes", "volumes", _volume, has_location=True),
    Spec(HetznerPrimaryIp, "/primary_ips", "primary_ips", _primary_ip, has_location=True),
    Spec(HetznerFloatingIp, "/floating_ips", "floating_ips", _floating_ip, has_location=True),
    Spec(HetznerLoadBalancer, "/load_balancers", "load_balancers", _load_balancer, has_location=True),
    Spec(HetznerCertificate, "/certificates", "certificates", _certificate),
    Spec(HetznerFirewall, "/firewalls", "firewalls", _firewall),
    Spec(HetznerImage, "/images", "images", _image, params=(("type", ("backup", "snapshot")),)),
    Spec(HetznerNetwork, "/networks", "networks", _network),
    Spec(HetznerStorageBox, "/storage_boxes", "storage_boxes", _storage_box, storage_api=True,
         has_location=True),
)
_PROJECT_WIDE = (ErrorReason.AUTHENTICATION, ErrorReason.CONNECTIVITY, ErrorReason.TIMEOUT)


class HetznerCollector(Collector):
    id = "hetzner"
    title = "Hetzner Cloud projects and Storage Boxes"
    provider = "hetzner"
    config_section = "hetzner"
    config_model = HetznerSettings
    produces = (*(s.record for s in SPECS), ProviderUse)
    permissions = {
        "hetzner_api": tuple(f"GET {s.path}" for s in SPECS),
        "hetzner_token": ("Read",),  # a read-only project API token is enough
    }

    def __init__(self, settings: HetznerSettings | None) -> None:
        super().__init__(settings)
        self._lock = threading.Lock()
        #: requests sent in the last collect() (retries included), for the benchmark
        self.requests_made = 0
        #: how retries wait (tests replace it to record the delays instead of sleeping)
        self.sleep: Callable[[float], None] = time.sleep

    @property
    def config(self) -> HetznerSettings:
        if not isinstance(self.settings, HetznerSettings):
            raise TypeError("the hetzner collector needs HetznerSettings")
        return self.settings

    def preflight(self, environ: Mapping[str, str]) -> list[ConfigProblem]:
        return settings_preflight(self.config, environ)

    def scopes(self) -> list[str]:
        return [p.name for p in self.config.projects] if self.settings is not None else []

    def use_shard(self, owns: Callable[[str], bool]) -> bool:
        projects = tuple(p for p in self.config.projects if owns(p.name))
        self.settings = self.config.model_copy(update={"projects": projects})
        return bool(projects)

    def secret_env_names(self) -> list[str]:
        return [p.token_env for p in self.config.projects] if self.settings is not None else []

    def collect(self, ctx: CollectContext) -> None:
        projects = self.config.projects
        self.requests_made = 0
        ctx.set_total(len(projects) * len(SPECS))
        outcomes = fan_out(lambda p: self._project(ctx, p), projects, self.config.max_workers, name="hetzner")
        for outcome in outcomes:
            if outcome.exception is not None:  # a bug in our own code: visible as error evidence
                project = outcome.item
                for kind in self.produces:
                    ctx.failed(kind, _scope_resource(project.name), reason=ErrorReason.INTERNAL,
                               error=f"{type(outcome.exception).__name__}: {outcome.exception}",
                               source="hetzner collector")

    # -- one project ---------------------------------------------------------------------
    def _project(self, ctx: CollectContext, project: HetznerProject) -> None:
        from .api import ListingError, Pacing, list_all, make_client

        scope = _scope_resource(project.name)
        specs = [s for s in SPECS if project.storage_boxes or not s.storage_api]
        if not project.storage_boxes:
            ctx.skipped(HetznerStorageBox, scope, why="Storage Boxes are disabled for this project "
                        "(storage_boxes = false)", source="configuration")
        token = ctx.environ.get(project.token_env)
        if not token:
            message = (f"the environment variable {project.token_env} (the API token of project "
                       f"{project.name!r}) is not set")
            failing: list[type[EvidenceRecord]] = [*(s.record for s in specs), ProviderUse]
            for kind in failing:
                ctx.failed(kind, scope, error=message, reason=ErrorReason.CONFIGURATION, source="configuration")
            ctx.advance(project.name, len(SPECS))
            return
        settings = self.config
        pacing = Pacing(max_retries=settings.max_retries, max_pages=settings.max_pages,
                        backoff_base=settings.backoff_base,
                        backoff_max=settings.backoff_max, timeout=settings.timeout, sleep=self.sleep)
        storage_endpoint = project.storage_box_endpoint or (
            DEFAULT_HETZNER_ENDPOINT if project.api_endpoint.rstrip("/") == DEFAULT_CLOUD_ENDPOINT
            else project.api_endpoint)
        failures: dict[str, tuple[str, ErrorReason]] = {}
        locations: set[str] = set()
        lock = threading.Lock()

        def run(spec: Spec) -> None:
            client = make_client(token, storage_endpoint if spec.storage_api else project.api_endpoint,
                                 settings.timeout)
            try:
                listing = list_all(client, spec.path, spec.key, pacing, params=dict(spec.params))
            except ListingError as exc:
                with lock:
                    failures[spec.kind] = (str(exc), exc.reason)
                ctx.failed(spec.record, scope, error=str(exc), reason=exc.reason, source=f"GET {spec.path}")
                raise
            finally:
                ctx.advance(f"{project.name}: {spec.path}")
            self._count(listing)
            found = self._emit(ctx, spec, listing, project.name)
            with lock:
                locations.update(found)
            if listing.problem:  # what was read is kept; the listing itself is an error
                with lock:
                    failures[spec.kind] = (listing.problem, ErrorReason.INVALID_RESPONSE)
                ctx.failed(spec.record, scope, error=listing.problem, reason=ErrorReason.INVALID_RESPONSE,
                           source=f"GET {spec.path}")

        first, rest = specs[0], specs[1:]
        try:
            run(first)
        except ListingError as exc:
            if exc.reason in _PROJECT_WIDE:
                # the token or the API is unusable: do not spend requests (and backoff) on the rest
                cloud = [s for s in rest if not s.storage_api]
                for spec in cloud:
                    ctx.failed(spec.record, scope, error=f"not read: {exc}", reason=exc.reason,
                               source=f"GET {spec.path}")
                    failures[spec.kind] = (str(exc), exc.reason)
                ctx.advance(project.name, len(cloud))
                rest = [s for s in rest if s.storage_api]
        outcomes = fan_out(run, rest, settings.max_workers, name=f"hetzner-{project.name}")
        for outcome in outcomes:
            if outcome.exception is not None and not isinstance(outcome.exception, ListingError):
                raise outcome.exception
        use_failures = sorted(k for k in failures if any(s.kind == k and s.has_location for s in specs))
        if use_failures:
            ctx.failed(ProviderUse, scope, reason=failures[use_failures[0]][1],
                       error="the locations in use are incomplete: " + ", ".join(use_failures)
                       + " could not be listed", source="hetzner collector")
        else:
            ctx.collected(ProviderUse(provider="hetzner", provider_name=PROVIDER_NAME, scope=project.name,
                                      location_type="hetzner_location", locations=tuple(sorted(locations))),
                          scope, raw={"locations": sorted(locations)}, source="derived from the listings")

    def _count(self, listing: Listing) -> None:
        with self._lock:
            self.requests_made += listing.requests

    @staticmethod
    def _emit(ctx: CollectContext, spec: Spec, listing: Listing, project: str) -> set[str]:
        found: set[str] = set()
        for obj in listing.items:
            try:
                record, resource = spec.parse(obj, project)
            except (ValueError, TypeError, AttributeError) as exc:  # pydantic's ValidationError is a ValueError
                resource = _resource(spec.kind.split(".", 1)[1], obj, project)
                ctx.failed(spec.record, resource, reason=ErrorReason.INVALID_RESPONSE, raw=obj,
                           error=f"unexpected shape: {type(exc).__name__}: {str(exc).splitlines()[0]}",
                           source=f"GET {spec.path}")
                continue
            if spec.has_location and resource.location:
                found.add(resource.location)
            ctx.collected(record, resource, raw=obj, source=f"GET {spec.path}")
        return found


def _scope_resource(project: str) -> Resource:
    return Resource(provider="hetzner", type="project", id=project, name=project, scope=project)

