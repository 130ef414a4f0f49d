"""The record every provider collector emits: which sub-processor is in use, and where."""

from __future__ import annotations

from typing import Literal

from auditpack.model import Basis, EvidenceRecord

__all__ = ["ProviderUse"]


class ProviderUse(EvidenceRecord, kind="provider.use", basis=(Basis.OBSERVED, Basis.DECLARED)):
    """One sub-processor in use, as one collector saw it in one scope: the input of the
    sub-processor reconciliation. Every provider collector emits one per scope.

    ``locations`` are the provider's own location codes where resources were actually
    found (AWS regions, Hetzner locations); ``declared_country`` is set instead where the
    location cannot be observed (SSH hosts: the country the configuration declares).
    """

    provider: str  # collector provider id: "aws", "hetzner", "ssh"
    provider_name: str  # as the world knows it: "Amazon Web Services", or the declared name
    scope: str  # account id, project name, host name
    location_type: Literal["aws_region", "hetzner_location", "country"]
    locations: tuple[str, ...] = ()
    declared_country: str | None = None
    declared: bool = False  # True when provider and location come from the configuration

    def fact_basis(self) -> Basis:
        return Basis.DECLARED if self.declared else Basis.OBSERVED
