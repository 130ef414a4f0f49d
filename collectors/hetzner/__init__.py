"""Hetzner collector (placeholder until its issue lands: enabled only when configured)."""

from __future__ import annotations

from auditpack.collectors import CollectContext, Collector

from .config import HetznerSettings


class HetznerCollector(Collector):
    id = "hetzner"
    title = "Hetzner (not yet implemented)"
    provider = "hetzner"
    config_section = "hetzner"
    config_model = HetznerSettings

    def collect(self, ctx: CollectContext) -> None:
        raise NotImplementedError("the hetzner collector is not implemented yet")
