"""The SSH collector (backup repositories and host facts); the logic is in :mod:`.collector`."""

from __future__ import annotations

from .collector import SshCollector
from .config import SshSettings

__all__ = ["SshCollector", "SshSettings"]
