"""Hetzner checks: residency, backups, encryption in transit and at rest, network exposure.

Pure functions over the Hetzner collector's records (and, for encryption at rest, the SSH
collector's ``ssh.block_devices``). Checks that join two listings (a server and its backup
images, a server and the firewalls that reach it, a load balancer and its certificates)
use ``gate="scope"``: when one listing of a project failed they see nothing of that
project, because a missing image or firewall would otherwise read as a fail or a pass.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from auditpack.checks import (
    CheckContext,
    SomeEvidence,
    Verdict,
    check,
    errored,
    failed,
    manual,
    not_applicable,
    passed,
)
from auditpack.checks.hetzner_storage import (  # noqa: F401  # registered through this module's entry point
    backups_hetzner_storage_box_snapshot_plan_frequent,
    network_security_hetzner_storage_box_access_restricted,
)
from auditpack.checks.ssh import scheme, zfs_of
from auditpack.evidence.hetzner import (
    HetznerCertificate,
    HetznerFirewall,
    HetznerFloatingIp,
    HetznerImage,
    HetznerLoadBalancer,
    HetznerPrimaryIp,
    HetznerServer,
    HetznerStorageBox,
    HetznerVolume,
)
from auditpack.evidence.ssh import BlockDevice, BlockDevices, SshHostRecord, ZfsDatasets
from auditpack.geo import Placement, hetzner_location_country, residency
from auditpack.model import Basis, Evidence, Measure, Severity

LOCATED = (HetznerServer, HetznerVolume, HetznerPrimaryIp, HetznerFloatingIp, HetznerLoadBalancer, HetznerStorageBox)
PORT_NAMES = {22: "SSH", 3389: "RDP", 1433: "SQL Server", 1521: "Oracle", 3306: "MySQL", 5432: "PostgreSQL",
              5984: "CouchDB", 6379: "Redis", 9042: "Cassandra", 9200: "Elasticsearch", 11211: "memcached",
              27017: "MongoDB"}
_TYPE_LABEL = {"server": "Server", "volume": "Volume", "primary_ip": "Primary IP", "floating_ip": "Floating IP",
               "load_balancer": "Load balancer", "storage_box": "Storage Box"}


def _label(ev: SomeEvidence) -> str:
    return f"{_TYPE_LABEL.get(ev.resource.type, ev.resource.type)} {ev.resource.name or ev.resource.id}"


def _key(ev: SomeEvidence, rid: str | None) -> tuple[str, str]:
    return (ev.resource.scope or "", rid or "")


# --- residency ------------------------------------------------------------------------------

@check(basis=Basis.OBSERVED, title="Hetzner resources are in an allowed location", measure=Measure.EEA_RESIDENCY,
       needs=LOCATED, severity=Severity.HIGH,
       remediation="Move the resource to an EEA location (fsn1, nbg1, hel1) or change the DPA's allowed "
                   "locations; for conditional adequacy attach the provider's certification.")
def eea_residency_hetzner_resource_location_allowed(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(*LOCATED):
        if not isinstance(rec, LOCATED):
            continue
        code = rec.location
        country = rec.country or hetzner_location_country(code)
        where = f"location {code}" if code else "an unreported location"
        details = {"location": code, "country": country, "policy": ctx.policy.residency}
        if not country:
            yield errored(ev, f"{_label(ev)} is in {where}, whose country is unknown: residency cannot be "
                              "decided.", details=details)
            continue
        verdict = residency(country, ctx.policy.residency)
        message = f"{_label(ev)} is in {where}: {verdict.explanation}."
        if verdict.allowed is True:
            yield passed(ev, message, details=details)
        elif verdict.allowed is False:
            yield failed(ev, message, details=details)
        elif verdict.placement is Placement.UNKNOWN:
            yield errored(ev, message, details=details)
        else:
            yield manual(ev, message, details=details)


# --- backups ----------------------------------------------------------------------------------

@check(basis=Basis.OBSERVED,
       title="Hetzner server backups are enabled", measure=Measure.BACKUPS, needs=(HetznerServer,),
       severity=Severity.HIGH,
       remediation="Enable backups for the server (Hetzner Console > Server > Backups, or `hcloud server "
                   "enable-backup`), or document the host-level backup that replaces them.")
def backups_hetzner_server_backups_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(HetznerServer):
        if rec.backup_window:
            yield passed(ev, f"Server {rec.name} has Hetzner backups enabled (window {rec.backup_window} UTC).")
        else:
            yield failed(ev, f"Server {rec.name} has Hetzner backups disabled (no backup window).")


def _hours(delta_seconds: float) -> str:
    hours = delta_seconds / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"


@check(basis=Basis.OBSERVED, title="Hetzner server has a recent backup image", measure=Measure.BACKUPS,
       needs=(HetznerServer, HetznerImage), severity=Severity.HIGH, gate="scope",
       remediation="Enable server backups and check why no new backup image was created within the "
                   "allowed age (a failed or locked server stops the daily backup).")
def backups_hetzner_server_backup_recent(ctx: CheckContext) -> Iterator[Verdict]:
    images: dict[tuple[str, str], list[Evidence[HetznerImage]]] = {}
    for image, img in ctx.evidence.records(HetznerImage):
        if img.type != "backup" or img.created is None or img.status not in (None, "available"):
            continue
        owner = img.bound_to or img.created_from_id
        images.setdefault(_key(image, owner), []).append(image)
    limit = ctx.policy.backup_max_age_hours
    for ev, rec in ctx.evidence.records(HetznerServer):
        mine = images.get(_key(ev, rec.id), [])
        details: dict[str, Any] = {"max_age_hours": limit, "backup_images": len(mine)}
        if not mine:
            why = " (backups are disabled)" if not rec.backup_window else ""
            yield failed(ev, f"Server {rec.name} has no available backup image{why}.", details=details)
            continue
        dated = [(img.fact.created, img) for img in mine if img.fact.created is not None]
        created, newest = max(dated, key=lambda pair: pair[0])
        age = (ctx.now - created).total_seconds()
        details.update(newest_backup=created.isoformat(), age_hours=round(age / 3600, 2))
        if age <= limit * 3600:
            yield passed(ev, f"Server {rec.name}'s newest backup image is {_hours(age)} old (limit {limit:g} "
                             "hours).", evidence=[newest], details=details)
        else:
            yield failed(ev, f"Server {rec.name}'s newest backup image is {_hours(age)} old, older than the "
                             f"allowed {limit:g} hours.", evidence=[newest], details=details)


@check(basis=Basis.OBSERVED, title="Hetzner Storage Box has a snapshot plan", measure=Measure.BACKUPS,
       needs=(HetznerStorageBox,), severity=Severity.MEDIUM,
       remediation="Configure an automatic snapshot plan for the Storage Box (Hetzner Console > Storage Box > "
                   "Snapshots), so that deleted or overwritten backups can be recovered.")
def backups_hetzner_storage_box_snapshot_plan_enabled(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, rec in ctx.evidence.records(HetznerStorageBox):
        plan = rec.snapshot_plan
        if plan is not None and (plan.max_snapshots or 0) > 0:
            yield passed(ev, f"Storage Box {rec.name} has an automatic snapshot plan keeping "
                             f"{plan.max_snapshots} snapshots.", details=plan.model_dump())
        else:
            yield failed(ev, f"Storage Box {rec.name} has no automatic snapshot plan.")


# --- encryption in transit ---------------------------------------------------------------

@check(basis=Basis.OBSERVED,
       title="Hetzner load balancers do not serve plain HTTP", measure=Measure.ENCRYPTION_IN_TRANSIT,
       needs=(HetznerLoadBalancer,), severity=Severity.HIGH,
       remediation="Replace the http service by an https service with a certificate and enable "
                   "'Redirect HTTP to HTTPS' (http.redirect_http) on it.")
def encryption_in_transit_hetzner_load_balancer_http_redirected(ctx: CheckContext) -> Iterator[Verdict]:
    for ev, lb in ctx.evidence.records(HetznerLoadBalancer):
        if not lb.services:
            yield not_applicable(ev, f"Load balancer {lb.name} has no services.")
            continue
        plain = [s for s in lb.services if s.protocol == "http" and not s.redirect_http]
        https = [s for s in lb.services if s.protocol == "https"]
        if plain:
            ports = ", ".join(str(s.listen_port) for s in plain)
            yield failed(ev, f"Load balancer {lb.name} serves plain HTTP without a redirect to HTTPS on port "
                             f"{ports}.", details={"plain_http_ports": [s.listen_port for s in plain]})
        elif https or any(s.protocol == "http" for s in lb.services):
            redirect = " and redirects HTTP to HTTPS" if any(s.redirect_http for s in lb.services) else ""
            yield passed(ev, f"Load balancer {lb.name} terminates HTTPS{redirect} and serves no plain HTTP.")
        else:
            yield manual(ev, f"Load balancer {lb.name} only forwards TCP, so TLS (if any) is terminated by its "
                             "targets and cannot be seen from the Hetzner API.",
                         remediation="Declare the service's public endpoint under [tls] endpoints so that the TLS "
                                     "collector checks it.")


@check(basis=Basis.OBSERVED,
       title="Hetzner load balancer certificates are valid", measure=Measure.ENCRYPTION_IN_TRANSIT,
       needs=(HetznerLoadBalancer, HetznerCertificate), severity=Severity.HIGH, gate="scope",
       remediation="Renew or replace the certificate (managed certificates renew themselves unless their "
                   "DNS no longer points at the load balancer).")
def encryption_in_transit_hetzner_load_balancer_certificate_valid(ctx: CheckContext) -> Iterator[Verdict]:
    certs = {_key(ev, ev.fact.id): ev for ev in ctx.evidence.of(HetznerCertificate)}
    min_days = ctx.policy.certificate_min_days
    for ev, lb in ctx.evidence.records(HetznerLoadBalancer):
        https = [s for s in lb.services if s.protocol == "https"]
        if not https:
            continue
        problems: list[str] = []
        unknown: list[str] = []
        linked: list[Evidence[HetznerCertificate]] = []
        shortest: float | None = None
        for svc in https:
            if not svc.certificate_ids:
                problems.append(f"the https service on port {svc.listen_port} has no certificate")
            for cid in svc.certificate_ids:
                cert_ev = certs.get(_key(ev, cid))
                if cert_ev is None:
                    unknown.append(f"certificate {cid} is not in the project's certificate listing")
                    continue
                linked.append(cert_ev)
                cert = cert_ev.fact
                if cert.not_valid_after is None:
                    if cert.issuance_status == "failed":
                        problems.append(f"certificate {cert.name} could not be issued")
                    else:
                        unknown.append(f"certificate {cert.name} has not been issued yet")
                    continue
                days = (cert.not_valid_after - ctx.now).total_seconds() / 86400
                shortest = days if shortest is None else min(shortest, days)
                if days < 0:
                    problems.append(f"certificate {cert.name} expired on {cert.not_valid_after.date()}")
                elif days < min_days:
                    problems.append(f"certificate {cert.name} expires in {days:.0f} days "
                                    f"(on {cert.not_valid_after.date()}, minimum {min_days} days)")
        details = {"min_days": min_days, "days_left": None if shortest is None else round(shortest, 1)}
        if problems:
            yield failed(ev, f"Load balancer {lb.name}: {'; '.join(problems)}.", evidence=linked, details=details)
        elif unknown:
            yield errored(ev, f"Load balancer {lb.name}: {'; '.join(unknown)}.", evidence=linked, details=details)
        else:
            yield passed(ev, f"Load balancer {lb.name}'s certificates are valid for at least {shortest:.0f} more "
                             "days.", evidence=linked, details=details)


# --- network security ----------------------------------------------------------------------

_SELECTOR_TERM = re.compile(
    r"^\s*(?:(?P<not>!)\s*(?P<nkey>[\w./-]+)"
    r"|(?P<key>[\w./-]+)\s*(?:(?P<op>==|!=|=)\s*(?P<value>[\w./-]*)"
    r"|\s+(?P<setop>in|notin)\s*\((?P<set>[^)]*)\))?)\s*$")


def _split_selector(selector: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return terms


def selector_matches(selector: str, labels: Mapping[str, str]) -> bool | None:
    """Whether a Hetzner label selector (``k=v``, ``k==v``, ``k!=v``, ``k``, ``!k``,
    ``k in (a,b)``, ``k notin (a,b)``, comma = and) matches ``labels``; None if unparseable."""
    if not selector.strip():
        return None
    for term in _split_selector(selector):
        m = _SELECTOR_TERM.match(term)
        if m is None:
            return None
        if m["not"]:
            ok = m["nkey"] not in labels
        elif m["op"]:
            equal = labels.get(m["key"]) == m["value"]
            ok = equal if m["op"] in ("=", "==") else not equal
        elif m["setop"]:
            values = {v.strip() for v in m["set"].split(",") if v.strip()}
            inside = m["key"] in labels and labels[m["key"]] in values
            ok = inside if m["setop"] == "in" else not inside
        else:
            ok = m["key"] in labels
        if not ok:
            return False
    return True


#: without ``[policy] admin_sources``: a public source wider than this prefix reaches far more
#: than any administrators' network (an IPv4 /16 is 65,536 addresses, an IPv6 /32 an ISP's block)
DEFAULT_WIDEST_PREFIX = {4: 16, 6: 32}
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(cidr: str) -> Network | None:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None


def _too_wide(net: Network, allowed: Sequence[Network]) -> str | None:
    """Why ``net`` may not reach admin ports, or None when it may: outside ``allowed`` when
    that list is set, else the whole internet or a public range wider than the default prefix."""
    if net.prefixlen == 0:
        return "the whole internet"
    if allowed:
        inside = any(net.version == a.version and net.subnet_of(a) for a in allowed)  # type: ignore[arg-type]
        return None if inside else "not within [policy] admin_sources"
    if net.is_global and net.prefixlen < DEFAULT_WIDEST_PREFIX[net.version]:
        return f"a public range wider than /{DEFAULT_WIDEST_PREFIX[net.version]}"
    return None


def _port_range(port: str | None) -> tuple[int, int] | None:
    """The (first, last) ports of a rule; None when the text is not a port or range."""
    if port is None or port.strip().lower() == "any":
        return (1, 65535)
    m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", port)
    if m is None:
        return None
    first = int(m[1])
    return (first, int(m[2] or first))


def _exposures(fw: HetznerFirewall, admin: Sequence[int], database: Sequence[int],
               allowed: Sequence[Network] = ()) -> tuple[list[str], list[str]]:
    """(exposed services, rules that could not be read) of a firewall's inbound rules."""
    exposed: list[str] = []
    unreadable: list[str] = []
    for rule in fw.rules:
        if rule.direction != "in" or rule.protocol not in ("tcp", "udp"):
            continue
        # UDP matters for RDP (3389/udp); SSH and the databases listen on TCP
        watched = [*admin, *database] if rule.protocol == "tcp" else list(admin)
        span = _port_range(rule.port)
        hit = sorted({p for p in watched if span is None or span[0] <= p <= span[1]})
        if not hit:
            continue
        wide: list[str] = []
        why: set[str] = set()
        for source in rule.source_ips:
            net = _network(source)
            if net is None:  # never read as "not wide": the rule's reach is unknown
                unreadable.append(f"{rule.protocol} source {source!r}")
                continue
            reason = _too_wide(net, allowed)
            if reason:
                wide.append(source)
                why.add(reason)
        if not wide:
            continue
        if span is None:
            unreadable.append(f"{rule.protocol} port {rule.port!r}")
            continue
        names = ", ".join(f"{p}/{rule.protocol} ({PORT_NAMES.get(p, 'admin/database')})" for p in hit)
        narrower = sorted(why - {"the whole internet"})
        exposed.append(f"{names} to {' and '.join(wide)}{' (' + ', '.join(narrower) + ')' if narrower else ''}")
    return exposed, unreadable


FirewallEvidence = Evidence[HetznerFirewall]


def _firewall_reach(ctx: CheckContext) -> tuple[dict[tuple[str, str], list[FirewallEvidence]],
                                               dict[str, list[FirewallEvidence]],
                                               dict[tuple[str, str], FirewallEvidence]]:
    """Which firewalls reach which servers: (server key -> firewalls, project -> firewalls whose
    label selector could not be evaluated, firewall key -> firewall evidence)."""
    servers = {_key(ev, ev.fact.id): ev for ev in ctx.evidence.of(HetznerServer)}
    firewalls = {_key(ev, ev.fact.id): ev for ev in ctx.evidence.of(HetznerFirewall)}
    reach: dict[tuple[str, str], dict[str, FirewallEvidence]] = {key: {} for key in servers}
    undecided: dict[str, list[FirewallEvidence]] = {}
    for fkey, fev in firewalls.items():
        fw = fev.fact
        targets = {_key(fev, sid) for sid in fw.server_ids}
        for sel in fw.selectors:
            if sel.server_ids is not None:
                targets |= {_key(fev, sid) for sid in sel.server_ids}
                continue
            for skey, sev in servers.items():
                if skey[0] != fkey[0]:
                    continue
                match = selector_matches(sel.selector, sev.fact.labels)
                if match is None:
                    undecided.setdefault(fkey[0], []).append(fev)
                    break
                if match:
                    targets.add(skey)
        for skey in targets:
            if skey in reach:
                reach[skey][fw.id] = fev
    for skey, sev in servers.items():
        for fid in sev.fact.firewall_ids:
            attached = firewalls.get((skey[0], fid))
            if attached is not None:
                reach[skey][fid] = attached
    return {k: list(v.values()) for k, v in reach.items()}, undecided, firewalls


@check(basis=Basis.OBSERVED, title="Hetzner firewalls keep admin and database ports closed to the internet",
       measure=Measure.NETWORK_SECURITY, needs=(HetznerServer, HetznerFirewall), severity=Severity.HIGH,
       gate="scope",
       remediation="Restrict the firewall rule's source IPs to the administrators' networks or a VPN, or reach "
                   "the service over the private network only.")
def network_security_hetzner_server_admin_ports_closed(ctx: CheckContext) -> Iterator[Verdict]:
    reach, undecided, firewalls = _firewall_reach(ctx)
    admin, database = ctx.policy.admin_ports, ctx.policy.database_ports
    allowed = [n for n in (_network(c) for c in ctx.policy.admin_sources) if n is not None]
    for ev, rec in ctx.evidence.records(HetznerServer):
        if not rec.public:
            yield not_applicable(ev, f"Server {rec.name} has no public IP, and Hetzner firewalls only filter "
                                     "public interfaces.")
            continue
        fws = reach.get(_key(ev, rec.id), [])
        exposed: list[str] = []
        unreadable: list[str] = []
        for fev in fws:
            fw = fev.fact
            found, odd = _exposures(fw, admin, database, allowed)
            exposed += [f"firewall {fw.name} opens {e}" for e in found]
            unreadable += [f"firewall {fw.name} has an unreadable rule ({o})" for o in odd]
        missing = [fid for fid in rec.firewall_ids if (ev.resource.scope or "", fid) not in firewalls]
        maybe = [f for f in undecided.get(ev.resource.scope or "", []) if f not in fws
                 and _exposures(f.fact, admin, database, allowed)[0]]
        details = {"firewalls": sorted(f.fact.name for f in fws), "admin_sources": list(ctx.policy.admin_sources)}
        if exposed:
            yield failed(ev, f"Server {rec.name} is exposed: {'; '.join(exposed)}.", evidence=fws, details=details)
        elif missing or unreadable or maybe:
            gaps = unreadable + [f"firewall {fid} is not in the firewall listing" for fid in missing]
            gaps += [f"the label selector of firewall {f.fact.name} could not be "
                     "evaluated" for f in maybe]
            yield errored(ev, f"Server {rec.name}: {'; '.join(gaps)}.", evidence=[*fws, *maybe], details=details)
        elif not fws:
            yield not_applicable(ev, f"Server {rec.name} has no Hetzner firewall to evaluate (see "
                                     "network_security_hetzner_server_firewall_attached).")
        else:
            scope = (f"open them only to [policy] admin_sources ({', '.join(ctx.policy.admin_sources)})"
                     if allowed else "keep them closed to the internet and to public ranges wider than "
                     f"/{DEFAULT_WIDEST_PREFIX[4]} (IPv4) or /{DEFAULT_WIDEST_PREFIX[6]} (IPv6)")
            yield passed(ev, f"Server {rec.name}'s firewalls ({', '.join(details['firewalls'])}) {scope} for SSH, "
                             "RDP and database ports.", evidence=fws, details=details)


@check(basis=Basis.OBSERVED, title="Public Hetzner servers are behind a firewall", measure=Measure.NETWORK_SECURITY,
       needs=(HetznerServer, HetznerFirewall), severity=Severity.HIGH, gate="scope",
       remediation="Apply a Hetzner Cloud firewall to the server (directly or by label selector) that allows "
                   "only the ports the service needs.")
def network_security_hetzner_server_firewall_attached(ctx: CheckContext) -> Iterator[Verdict]:
    reach, undecided, _ = _firewall_reach(ctx)
    for ev, rec in ctx.evidence.records(HetznerServer):
        if not rec.public:
            yield not_applicable(ev, f"Server {rec.name} has no public IP.")
            continue
        fws = reach.get(_key(ev, rec.id), [])
        if fws:
            names = ", ".join(sorted(f.fact.name for f in fws))
            yield passed(ev, f"Server {rec.name} is behind the firewall(s) {names}.", evidence=fws)
        elif rec.firewall_ids:
            yield passed(ev, f"Server {rec.name} has firewall(s) {', '.join(rec.firewall_ids)} applied.")
        elif undecided.get(ev.resource.scope or ""):
            yield errored(ev, f"Server {rec.name} has no firewall unless an unevaluable label selector reaches it.",
                          evidence=undecided[ev.resource.scope or ""])
        else:
            yield failed(ev, f"Server {rec.name} has a public IP and no Hetzner firewall.")


# --- encryption at rest (joined with SSH host evidence) -------------------------------------

def _host_address(ev: Evidence[BlockDevices], addresses: Mapping[str, str]) -> str | None:
    """The host's address: from its ``ssh.host`` record, else the address part of the SSH
    resource id (``user@host:port/path``)."""
    address = addresses.get(ev.fact.host)
    if address:
        return address
    rid = ev.resource.id
    rest = rid.split("@", 1)[1] if "@" in rid else rid
    rest = rest.split("/", 1)[0]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.rsplit(":", 1)[0] if rest.count(":") == 1 else rest


def _same_host(server: HetznerServer, ev: Evidence[BlockDevices], addresses: Mapping[str, str]) -> bool:
    """Server <-> SSH host: the host's configured name equals the server name, or its
    address is one of the server's public IPs."""
    if ev.fact.host == server.name or ev.resource.scope == server.name:
        return True
    address = _host_address(ev, addresses)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if server.public_ipv4 and ip == ipaddress.ip_address(server.public_ipv4.split("/")[0]):
        return True
    if server.public_ipv6:
        try:
            return ip in ipaddress.ip_network(server.public_ipv6, strict=False)
        except ValueError:
            return False
    return False


#: signatures of a layer that holds other block devices, not data: what sits above them
#: (possibly LUKS) is not tied to the volume id in the host evidence
_CONTAINERS = ("LVM2_member", "linux_raid_member")


def _holds_plain_data(dev: BlockDevice) -> bool:
    if dev.encrypted or dev.zfs_member:  # a ZFS pool device: judged by the host's datasets
        return False
    return (dev.fstype not in (None, "", "crypto_LUKS", *_CONTAINERS)) or bool(dev.mountpoints)


def _layers(devices: Iterable[BlockDevice]) -> str:
    return ", ".join(f"{d.name} ({d.type}, {d.fstype or 'no filesystem'}"
                     f"{', encrypted by ' + scheme(d) if d.encrypted else ''})" for d in devices)


def _zfs_state(pools: ZfsDatasets | None) -> bool | None:
    """Whether a ZFS pool device on a host holds encrypted data: True when every dataset of
    the host is encrypted, False when none is, None when unknown (no datasets read, or a mix:
    which pool the device belongs to is not in the evidence)."""
    if pools is None or not pools.available or not pools.datasets:
        return None
    encrypted = {z.encrypted for z in pools.datasets}
    return encrypted.pop() if len(encrypted) == 1 else None


@check(basis=Basis.OBSERVED, title="Hetzner volumes are encrypted on the host (LUKS, dm-crypt, ZFS)",
       measure=Measure.ENCRYPTION_AT_REST,
       needs=(HetznerVolume,), optional=(BlockDevices, ZfsDatasets), severity=Severity.HIGH,
       remediation="Hetzner does not encrypt volumes: format the volume as LUKS (cryptsetup luksFormat) and "
                   "mount the opened mapping, or put it in a ZFS pool whose datasets use native encryption; add "
                   "the server under [[ssh.hosts]] so the tool can see it.")
def encryption_at_rest_hetzner_volume_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    hosts = ctx.evidence.of(BlockDevices)
    zfs = zfs_of(ctx)
    for ev, vol in ctx.evidence.records(HetznerVolume):
        seen: list[tuple[Evidence[BlockDevices], list[BlockDevice]]] = []
        for host in hosts:
            devs = [d for d in host.fact.devices if (d.hetzner_volume_id or "") == vol.id]
            if devs:
                seen.append((host, devs))
        if not seen:
            yield manual(ev, f"Volume {vol.name} is not encrypted by Hetzner and no SSH host evidence shows it "
                             f"(/dev/disk/by-id/scsi-0HC_Volume_{vol.id}).")
            continue
        devices = [d for _, devs in seen for d in devs]
        linked = [h for h, _ in seen]
        hostnames = ", ".join(str(h.fact.host or h.resource.name) for h in linked)
        pool_states = [_zfs_state(zfs.get((h.resource.scope or "", h.fact.host)))
                       for h, devs in seen if any(d.zfs_member for d in devs)]
        details = {"hosts": hostnames, "devices": _layers(devices)}
        schemes = sorted({scheme(d) for d in devices if d.encrypted} | ({"ZFS"} if True in pool_states else set()))
        plain = any(_holds_plain_data(d) for d in devices) or False in pool_states
        encrypted = bool(schemes)
        if plain:
            zfs_note = "; its ZFS pool's datasets are not encrypted" if False in pool_states else ""
            yield failed(ev, f"Volume {vol.name} is not encrypted on {hostnames}: {_layers(devices)}{zfs_note}.",
                         evidence=linked, details=details)
        elif None in pool_states:
            yield manual(ev, f"Volume {vol.name} is a ZFS pool device on {hostnames}, and the host's ZFS datasets "
                             "are unread or partly encrypted, so the volume's pool cannot be judged.",
                         evidence=linked, details=details)
        elif not encrypted and any(d.fstype in _CONTAINERS for d in devices):
            yield manual(ev, f"Volume {vol.name} is an LVM or RAID member on {hostnames}; whether the layers above "
                             "it are encrypted cannot be tied to the volume.", evidence=linked, details=details)
        elif not encrypted:
            yield failed(ev, f"Volume {vol.name} is not encrypted on {hostnames}: {_layers(devices)}.",
                         evidence=linked, details=details)
        else:
            yield passed(ev, f"Volume {vol.name} is encrypted on {hostnames} ({', '.join(schemes)}).",
                         evidence=linked, details=details)


@check(basis=Basis.OBSERVED, title="Hetzner server root disks are encrypted on the host (LUKS, dm-crypt, ZFS)",
       measure=Measure.ENCRYPTION_AT_REST,
       needs=(HetznerServer,), optional=(BlockDevices, SshHostRecord, ZfsDatasets), severity=Severity.MEDIUM,
       remediation="Hetzner does not encrypt server disks: install the server with an encrypted root "
                   "(LUKS, e.g. installimage with CRYPTPASSWORD) or keep personal data only on encrypted "
                   "volumes; add the server under [[ssh.hosts]] so the tool can see it.")
def encryption_at_rest_hetzner_server_disk_encrypted(ctx: CheckContext) -> Iterator[Verdict]:
    hosts = ctx.evidence.of(BlockDevices)
    zfs = zfs_of(ctx)
    addresses = {host.host: host.address for _, host in ctx.evidence.records(SshHostRecord)
                 if host.host and host.address}
    for ev, rec in ctx.evidence.records(HetznerServer):
        matched = [h for h in hosts if _same_host(rec, h, addresses)]
        roots = [(h, d) for h in matched for d in h.fact.devices if d.is_root]
        pools = [zfs.get((h.resource.scope or "", h.fact.host)) for h in matched]
        zfs_roots = [z for p in pools if p is not None for z in p.datasets if z.mountpoint == "/"]
        if not matched:
            yield manual(ev, f"Server {rec.name}'s disk is not encrypted by Hetzner and no SSH host evidence "
                             "matches this server.")
        elif not roots and zfs_roots:
            names = ", ".join(f"{z.name} ({z.encryption})" for z in zfs_roots)
            if all(z.encrypted for z in zfs_roots):
                yield passed(ev, f"Server {rec.name}'s root filesystem is a ZFS dataset with native encryption: "
                                 f"{names}.", evidence=matched)
            else:
                yield failed(ev, f"Server {rec.name}'s root filesystem is an unencrypted ZFS dataset: {names}.",
                             evidence=matched)
        elif not roots:
            yield manual(ev, f"Server {rec.name}'s SSH host evidence does not show which device backs '/'.",
                         evidence=matched)
        else:
            linked: list[Evidence[BlockDevices]] = []
            for host, _ in roots:  # Evidence holds dicts (raw): dedupe by identity, not hash
                if not any(host is seen for seen in linked):
                    linked.append(host)
            layers = _layers(d for _, d in roots)
            if all(d.encrypted for _, d in roots):
                yield passed(ev, f"Server {rec.name}'s root filesystem is encrypted: {layers}.", evidence=linked)
            else:
                yield failed(ev, f"Server {rec.name}'s root filesystem is not encrypted: {layers}.", evidence=linked)
