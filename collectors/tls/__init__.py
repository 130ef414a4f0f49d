"""The TLS collector (protocol versions, certificates, HSTS, redirects); the logic is in :mod:`.collector`."""

from __future__ import annotations

from .collector import TlsCollector
from .config import TlsSettings

__all__ = ["TlsCollector", "TlsSettings"]
