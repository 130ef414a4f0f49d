"""Ssh collector (placeholder until its issue lands: enabled only when configured)."""

from __future__ import annotations

from auditpack.collectors import CollectContext, Collector

from .config import SshSettings


class SshCollector(Collector):
    id = "ssh"
    title = "Ssh (not yet implemented)"
    provider = "ssh"
    config_section = "ssh"
    config_model = SshSettings

    def collect(self, ctx: CollectContext) -> None:
        raise NotImplementedError("the ssh collector is not implemented yet")
