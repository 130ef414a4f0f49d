"""Aws collector (placeholder until its issue lands: enabled only when configured)."""

from __future__ import annotations

from auditpack.collectors import CollectContext, Collector

from .config import AwsSettings


class AwsCollector(Collector):
    id = "aws"
    title = "Aws (not yet implemented)"
    provider = "aws"
    config_section = "aws"
    config_model = AwsSettings

    def collect(self, ctx: CollectContext) -> None:
        raise NotImplementedError("the aws collector is not implemented yet")
