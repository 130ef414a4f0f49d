"""Endpoints found in other collectors' evidence (``[tls] discover = true``).

The contract this module expects (read defensively: a missing field skips the record,
never raises):

==============================  ==============================================  ========
evidence kind                   field read (record attribute, else raw key)     probed
==============================  ==============================================  ========
``aws.elbv2_load_balancer``     ``dns_name`` / ``DNSName``; skipped when        name:443
                                ``scheme`` / ``Scheme`` is set and is not
                                ``"internet-facing"``
``aws.cloudfront_distribution`` ``domain_name`` / ``DomainName``                name:443
``hetzner.load_balancer``       ``public_ipv4`` / raw ``public_net.ipv4.ip``    ip:443, no
                                                                                hostname check
==============================  ==============================================  ========
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from auditpack.model import Evidence

from .config import TlsEndpoint

ELBV2 = "aws.elbv2_load_balancer"
CLOUDFRONT = "aws.cloudfront_distribution"
HETZNER_LB = "hetzner.load_balancer"
DISCOVERY_KINDS = (ELBV2, CLOUDFRONT, HETZNER_LB)


@dataclass(frozen=True, slots=True)
class Target:
    """One endpoint to probe and where it came from (None = the configuration)."""

    endpoint: TlsEndpoint
    discovered_from: str | None = None


def _field(ev: Evidence, name: str, raw_path: Sequence[str]) -> Any:
    value = getattr(ev.record, name, None) if ev.record is not None else None
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


def discovered(prior: Iterable[Evidence]) -> list[Target]:
    """Targets named by load balancer and CDN evidence, in evidence order, without repeats."""
    out: dict[str, Target] = {}
    for ev in prior:
        try:
            endpoint = _endpoint(ev)
        except ValidationError:  # not a usable host name: nothing to probe
            endpoint = None
        if endpoint is not None and endpoint.id not in out:
            out[endpoint.id] = Target(endpoint, ev.kind)
    return list(out.values())


def _endpoint(ev: Evidence) -> TlsEndpoint | None:
    if ev.kind == ELBV2:
        scheme = _text(_field(ev, "scheme", ("Scheme",)))
        name = _text(_field(ev, "dns_name", ("DNSName",)))
        if name and scheme in (None, "internet-facing"):
            return TlsEndpoint(host=name)
    elif ev.kind == CLOUDFRONT:
        name = _text(_field(ev, "domain_name", ("DomainName",)))
        if name:
            return TlsEndpoint(host=name)
    elif ev.kind == HETZNER_LB:
        ip = _text(_field(ev, "public_ipv4", ("public_net", "ipv4", "ip")))
        if ip:
            # reached by address: the certificate names a domain we do not know
            return TlsEndpoint(host=ip, check_hostname=False)
    return None


def targets(configured: Iterable[TlsEndpoint], prior: Iterable[Evidence] | None) -> list[Target]:
    """Configured endpoints first, then discovered ones not already configured."""
    out = [Target(ep) for ep in configured]
    known = {t.endpoint.id for t in out}
    for target in discovered(prior or ()):
        if target.endpoint.id not in known:
            known.add(target.endpoint.id)
            out.append(target)
    return out
