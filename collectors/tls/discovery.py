"""Endpoints found in other collectors' evidence (``[tls] discover = true``).

The contract read here (defensively: a record attribute first, else the raw API object;
a record without a usable name is skipped, never an error):

``aws.elb_load_balancer``
    ``dns_name`` / raw ``DNSName``; skipped when ``scheme`` / ``Scheme`` is set and is not
    ``internet-facing``. Ports: the ``port`` of every ``aws.elb_listener`` whose
    ``load_balancer_arn`` is the load balancer's resource id and whose ``protocol`` is HTTPS
    or TLS; 443 when no listener evidence names the load balancer; none (skipped) when
    its listeners are known and none speaks TLS.
``aws.cloudfront_distribution``
    ``domain_name`` / raw ``DomainName``, port 443; skipped when ``enabled`` is False.
``hetzner.load_balancer``
    ``public_ipv4`` / raw ``public_net.ipv4.ip``; skipped when ``public`` is False. Ports: the
    ``listen_port`` of every ``services`` entry with protocol ``https`` (or ``tcp`` on 443);
    443 when the services are unknown. Probed by address without the hostname check (the
    certificate names a domain the evidence does not give).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from auditpack.evidence.aws import CloudFrontDistribution, ElbListener, ElbLoadBalancer
from auditpack.evidence.hetzner import HetznerLoadBalancer
from auditpack.model import Evidence, EvidenceRecord

from .config import TlsEndpoint

DISCOVERY_RECORDS = (ElbLoadBalancer, ElbListener, CloudFrontDistribution, HetznerLoadBalancer)
_TLS_LISTENERS = ("HTTPS", "TLS")


@dataclass(frozen=True, slots=True)
class Target:
    """One endpoint to probe and where it came from (None = the configuration)."""

    endpoint: TlsEndpoint
    discovered_from: str | None = None


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def _field(ev: Evidence[EvidenceRecord], name: str, raw_path: Sequence[str]) -> Any:
    value = _get(ev.record, name) if ev.record is not None else None
    if value is not None:
        return value
    node: Any = ev.raw
    for key in raw_path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip().lower().rstrip(".") or None


def _port(value: Any) -> int | None:
    return value if isinstance(value, int) and 0 < value < 65536 else None


def _elb_ports(prior: Sequence[Evidence[EvidenceRecord]]) -> dict[str, set[int]]:
    """Load balancer ARN -> ports of its TLS listeners (an empty set: listeners known, none TLS)."""
    ports: dict[str, set[int]] = {}
    for ev in prior:
        if not isinstance(ev.record, ElbListener):
            continue
        arn = _field(ev, "load_balancer_arn", ("LoadBalancerArn",))
        if not isinstance(arn, str):
            continue
        found = ports.setdefault(arn, set())
        protocol = str(_field(ev, "protocol", ("Protocol",)) or "").upper()
        port = _port(_field(ev, "port", ("Port",)))
        if protocol in _TLS_LISTENERS and port:
            found.add(port)
    return ports


def _hetzner_ports(ev: Evidence[EvidenceRecord]) -> list[int]:
    services = _field(ev, "services", ("services",))
    if not isinstance(services, (list, tuple)):
        return [443]
    ports = []
    for svc in services:
        protocol = str(_get(svc, "protocol") or "").lower()
        port = _port(_get(svc, "listen_port"))
        if port and (protocol == "https" or (protocol == "tcp" and port == 443)):
            ports.append(port)
    return ports


def _found(ev: Evidence[EvidenceRecord], elb_ports: dict[str, set[int]]) -> list[TlsEndpoint]:
    if isinstance(ev.record, ElbLoadBalancer):
        scheme = _text(_field(ev, "scheme", ("Scheme",)))
        name = _text(_field(ev, "dns_name", ("DNSName",)))
        if not name or scheme not in (None, "internet-facing"):
            return []
        ports = elb_ports.get(ev.resource.id, {443})
        return [TlsEndpoint(host=name, port=port) for port in sorted(ports)]
    if isinstance(ev.record, CloudFrontDistribution):
        name = _text(_field(ev, "domain_name", ("DomainName",)))
        if not name or _field(ev, "enabled", ("Enabled",)) is False:
            return []
        return [TlsEndpoint(host=name)]
    if isinstance(ev.record, HetznerLoadBalancer):
        ip = _text(_field(ev, "public_ipv4", ("public_net", "ipv4", "ip")))
        if not ip or _field(ev, "public", ("public_net", "enabled")) is False:
            return []
        return [TlsEndpoint(host=ip, port=port, check_hostname=False) for port in _hetzner_ports(ev)]
    return []


def discovered(prior: Iterable[Evidence[EvidenceRecord]]) -> list[Target]:
    """Targets named by load balancer and CDN evidence, in evidence order, without repeats."""
    evidence = [ev for ev in prior if ev.ok]
    elb_ports = _elb_ports(evidence)
    out: dict[str, Target] = {}
    for ev in evidence:
        try:
            endpoints = _found(ev, elb_ports)
        except ValidationError:  # not a usable host name: nothing to probe
            continue
        for endpoint in endpoints:
            out.setdefault(endpoint.id, Target(endpoint, ev.kind))
    return list(out.values())


def targets(configured: Iterable[TlsEndpoint], prior: Iterable[Evidence[EvidenceRecord]] | None) -> list[Target]:
    """Configured endpoints first, then discovered ones not already configured."""
    out = [Target(ep) for ep in configured]
    known = {t.endpoint.id for t in out}
    for target in discovered(prior or ()):
        if target.endpoint.id not in known:
            known.add(target.endpoint.id)
            out.append(target)
    return out
