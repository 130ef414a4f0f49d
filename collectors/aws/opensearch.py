"""OpenSearch Service reader: domains (OpenSearch and Elasticsearch engines), their encryption
at rest, node-to-node encryption and HTTPS enforcement."""

from __future__ import annotations

from typing import Any

from auditpack.evidence import aws as r

from .answers import InvalidResponse
from .run import Run
from .session import EXPECTED_ERRORS, Account

#: DescribeDomains takes at most five names per call.
BATCH = 5


def opensearch(run: Run, acct: Account, region: str) -> None:
    client = acct.client("opensearch", region)
    source = "es:ListDomainNames"
    names = run.region_listing(acct, region, r.OpenSearchDomain, "opensearch_domain", source,
                               lambda: [str(d["DomainName"]) for d in client.list_domain_names()["DomainNames"]])
    names = sorted(names or [])
    for start in range(0, len(names), BATCH):
        run.submit(_describe_domains, run, acct, region, tuple(names[start:start + BATCH]))


def _describe_domains(run: Run, acct: Account, region: str, names: tuple[str, ...]) -> None:
    source = "es:DescribeDomains"
    acct.found(region)
    asked = {name: run.resource(acct, "opensearch_domain", run.arn(acct, "es", region, f"domain/{name}"), name,
                                region) for name in names}
    try:
        resp = acct.client("opensearch", region).describe_domains(DomainNames=list(names))
    except EXPECTED_ERRORS as exc:
        for res in asked.values():
            run.fail(r.OpenSearchDomain, res, exc, source)
        return
    statuses = resp.get("DomainStatusList")
    if not isinstance(statuses, list):
        statuses, missing = [], "DescribeDomains answered without DomainStatusList"
    else:
        missing = "DescribeDomains did not describe the domain"
    described: dict[str, dict[str, Any]] = {str(d.get("DomainName")): d for d in statuses}
    for name, res in asked.items():
        domain = described.get(name)
        if domain is None:
            run.fail(r.OpenSearchDomain, res, InvalidResponse(f"{missing} {name}"), source)
            continue
        endpoint = domain.get("DomainEndpointOptions") or {}
        rec = r.OpenSearchDomain(
            name=name, engine_version=domain.get("EngineVersion"),
            at_rest_encryption=bool((domain.get("EncryptionAtRestOptions") or {}).get("Enabled")),
            node_to_node_encryption=bool((domain.get("NodeToNodeEncryptionOptions") or {}).get("Enabled")),
            enforce_https=bool(endpoint.get("EnforceHTTPS")), tls_policy=endpoint.get("TLSSecurityPolicy"))
        arn = domain.get("ARN") or res.id
        run.ok(rec, run.resource(acct, "opensearch_domain", arn, name, region), domain, source)
