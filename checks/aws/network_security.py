"""Network security: security groups open to the world."""

from __future__ import annotations

from collections.abc import Iterator

from auditpack.checks import CheckContext, Verdict, check, failed, passed
from auditpack.evidence.aws import (
    SecurityGroup,
)
from auditpack.model import Basis, Measure, Severity

M = Measure


_WORLD = ("0.0.0.0/0", "::/0")


@check(basis=Basis.OBSERVED,
       title="Security groups do not open admin or database ports to the world", measure=M.NETWORK_SECURITY,
       needs=(SecurityGroup,), severity=Severity.HIGH,
       remediation="Restrict the rule to known addresses, or reach the hosts through SSM Session Manager or a VPN.")
def network_security_security_group_sensitive_ports_restricted(ctx: CheckContext) -> Iterator[Verdict]:
    sensitive = sorted(set(ctx.policy.admin_ports) | set(ctx.policy.database_ports))
    for ev in ctx.evidence.of(SecurityGroup):
        exposed: set[int] = set()
        for rule in ev.fact.ingress:
            if not any(src in _WORLD for src in rule.sources):
                continue
            if rule.protocol in ("-1", "all"):
                exposed.update(sensitive)
            elif rule.protocol in ("tcp", "udp", "6", "17"):
                low = rule.from_port if rule.from_port is not None else 0
                high = rule.to_port if rule.to_port is not None else 65535
                exposed.update(p for p in sensitive if low <= p <= high)
        name = f"Security group {ev.resource.name} ({ev.fact.group_id})"
        if exposed:
            yield failed(ev, f"{name} allows the whole internet to reach port(s) "
                             f"{', '.join(str(p) for p in sorted(exposed))}.", details={"ports": sorted(exposed)})
        else:
            yield passed(ev, f"{name} opens no admin or database port to the whole internet.")
