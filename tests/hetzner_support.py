"""Shared helpers of the Hetzner tests (no tests here): run the real collector, with the
real hcloud library, against the local emulator, and evaluate the Hetzner checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditpack.catalogs import load_catalogs
from auditpack.collectors import CollectContext
from auditpack.collectors.hetzner import HetznerCollector
from auditpack.collectors.hetzner.config import HetznerSettings
from auditpack.config import Policy
from auditpack.emulators.hetzner import HetznerEmulator, ProjectSeed
from auditpack.engine import evaluate
from auditpack.model import Evidence, Finding, Resource
from helpers import FIXED_NOW, checks_from

TOKEN = "hz-test-token-0123456789abcdef"  # what the emulator accepts; must never appear in evidence
TOKEN_ENV = "AUDITPACK_TEST_HCLOUD_TOKEN"


def project(name: str, url: str, token_env: str = TOKEN_ENV, **extra: Any) -> dict[str, Any]:
    return {"name": name, "token_env": token_env, "api_endpoint": url, **extra}


def settings(*projects: Mapping[str, Any], **extra: Any) -> HetznerSettings:
    """Collector settings with a tiny backoff, so retry tests do not sleep."""
    values: dict[str, Any] = {"backoff_base": 0.001, "backoff_max": 0.005, "timeout": 5, **extra}
    return HetznerSettings.model_validate({"projects": list(projects), **values})


def collect(config: HetznerSettings,
            environ: Mapping[str, str] | None = None) -> tuple[list[Evidence], HetznerCollector]:
    collector = HetznerCollector(config)
    ctx = CollectContext("hetzner", "test", FIXED_NOW, environ=dict(environ if environ is not None
                                                                      else {TOKEN_ENV: TOKEN}))
    collector.collect(ctx)
    return ctx.close(), collector


def hetzner_checks() -> list[Any]:
    return [*checks_from("hetzner"), *checks_from("hetzner_storage")]


def evaluate_hetzner(evidence: Sequence[Evidence], policy: Policy | None = None) -> list[Finding]:
    return evaluate(evidence, hetzner_checks(), policy or Policy(), FIXED_NOW, load_catalogs())


def of(evidence: Sequence[Evidence], kind: str, scope: str | None = None) -> list[Evidence]:
    return [ev for ev in evidence if ev.kind == kind and (scope is None or ev.resource.scope == scope)]


def ssh_block_devices(host: str, devices: Sequence[Mapping[str, Any]], address: str | None = None,
                      resource_id: str | None = None) -> list[Evidence]:
    """SSH host evidence as the SSH collector emits it (its real record classes); with
    ``address``, also the ``ssh.host`` record that declares the host's address."""
    from auditpack.evidence.ssh import BlockDevice, BlockDevices, SshHostRecord

    ctx = CollectContext("ssh", "test", FIXED_NOW)
    resource = Resource(provider="ssh", type="host", id=resource_id or f"audit@{host}:22", name=host, scope=host)
    record = BlockDevices(host=host, devices=tuple(BlockDevice(**d) for d in devices))
    ctx.collected(record, resource, raw={"blockdevices": [dict(d) for d in devices]}, source="lsblk --json")
    if address is not None:
        ctx.collected(SshHostRecord(host=host, address=address, port=22, user="audit"), resource, raw=None,
                      source="configuration")
    return ctx.close()


def read(seed: ProjectSeed, name: str = "prod", inject: tuple[tuple[int, str], ...] = ()) -> list[Evidence]:
    with HetznerEmulator(seed, token=TOKEN) as api:
        for status, path in inject:
            api.inject(status, times=50, path=path)
        evidence, _ = collect(settings(project(name, api.url), max_retries=0))
        assert api.violations == 0
    return evidence
