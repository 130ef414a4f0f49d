"""Tls collector (placeholder until its issue lands: enabled only when configured)."""

from __future__ import annotations

from auditpack.collectors import CollectContext, Collector

from .config import TlsSettings


class TlsCollector(Collector):
    id = "tls"
    title = "Tls (not yet implemented)"
    provider = "tls"
    config_section = "tls"
    config_model = TlsSettings

    def collect(self, ctx: CollectContext) -> None:
        raise NotImplementedError("the tls collector is not implemented yet")
