"""Elastic Load Balancing (v2) readers: load balancers, attributes, listeners, SSL policies."""

from __future__ import annotations

import functools

from auditpack.evidence import aws as r
from auditpack.model import ErrorReason, Resource

from .run import MISSING, Run
from .session import Account

ELB_RECORDS = (r.ElbLoadBalancer, r.ElbAttributes, r.ElbListener, r.ElbSslPolicy)


def elbv2(run: Run, acct: Account, region: str) -> None:
    client = acct.client("elbv2", region)
    source = "elasticloadbalancing:DescribeLoadBalancers"
    for lb in run.region_listing(acct, region, ELB_RECORDS, "elb_load_balancer", source,
                                 lambda: run.paginate(client, "describe_load_balancers", "LoadBalancers")) or []:
        acct.found(region)
        res = run.resource(acct, "elb_load_balancer", lb["LoadBalancerArn"], lb.get("LoadBalancerName"), region)
        rec = r.ElbLoadBalancer(name=str(lb.get("LoadBalancerName")), type=lb.get("Type"), scheme=lb.get("Scheme"),
                                dns_name=lb.get("DNSName"))
        run.ok(rec, res, lb, source)
        run.submit(_elb_attributes, run, acct, region, res)
        run.submit(_elb_listeners, run, acct, region, res)


def _elb_attributes(run: Run, acct: Account, region: str, res: Resource) -> None:
    source = "elasticloadbalancing:DescribeLoadBalancerAttributes"
    resp = run.attempt(r.ElbAttributes, res, source, lambda: acct.client("elbv2", region)
                       .describe_load_balancer_attributes(LoadBalancerArn=res.id))
    if resp is MISSING:
        return
    attrs = {a.get("Key"): a.get("Value") for a in resp.get("Attributes", [])}
    rec = r.ElbAttributes(access_logs_enabled=str(attrs.get("access_logs.s3.enabled", "false")).lower() == "true",
                          access_logs_bucket=attrs.get("access_logs.s3.bucket") or None)
    run.ok(rec, res, resp, source)


def _elb_listeners(run: Run, acct: Account, region: str, lb: Resource) -> None:
    source = "elasticloadbalancing:DescribeListeners"
    client = acct.client("elbv2", region)
    listeners = run.attempt(r.ElbListener, lb, source,
                            lambda: run.paginate(client, "describe_listeners", "Listeners", LoadBalancerArn=lb.id))
    if listeners is MISSING:
        return
    for lst in listeners:
        actions = lst.get("DefaultActions", [])
        redirect = next((a.get("RedirectConfig", {}).get("Protocol") for a in actions if a.get("Type") == "redirect"),
                        None)
        rec = r.ElbListener(load_balancer_arn=lb.id, port=lst.get("Port"), protocol=lst.get("Protocol"),
                            ssl_policy=lst.get("SslPolicy"), default_actions=tuple(str(a.get("Type")) for a in actions),
                            redirect_protocol=redirect)
        res = run.resource(acct, "elb_listener", lst["ListenerArn"], f"{lb.name}:{lst.get('Port')}", region)
        run.ok(rec, res, lst, source)
        if rec.ssl_policy:
            run.memo.get((acct.account_id, region, "ssl-policy", rec.ssl_policy),
                         functools.partial(_elb_ssl_policy, run, acct, region, rec.ssl_policy))


def _elb_ssl_policy(run: Run, acct: Account, region: str, name: str) -> None:
    source = "elasticloadbalancing:DescribeSSLPolicies"
    res = run.resource(acct, "elb_ssl_policy", f"{acct.account_id}/{region}/ssl-policy/{name}", name, region)
    resp = run.attempt(r.ElbSslPolicy, res, source,
                       lambda: acct.client("elbv2", region).describe_ssl_policies(Names=[name]))
    if resp is MISSING:
        return
    policies = [p for p in resp.get("SslPolicies", []) if p.get("Name") == name]
    if not policies:
        run.ctx.failed(r.ElbSslPolicy, res, error=f"DescribeSSLPolicies did not return the policy {name}",
                       reason=ErrorReason.INVALID_RESPONSE, source=source)
        return
    run.ok(r.ElbSslPolicy(name=name, protocols=tuple(policies[0].get("SslProtocols", []))), res, policies[0], source)
