"""The Hetzner collector (Cloud API projects and Storage Boxes); the logic is in :mod:`.collector`."""

from __future__ import annotations

from .collector import SPECS, HetznerCollector
from .config import HetznerSettings

__all__ = ["SPECS", "HetznerCollector", "HetznerSettings"]
