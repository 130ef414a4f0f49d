"""A small error hierarchy with context. Configuration and catalog errors stop a run;
collection errors become ``error`` evidence and the run says it is incomplete."""

from __future__ import annotations

from .model import ErrorReason


class AuditpackError(Exception):
    """Base of every error this tool raises on purpose."""


class ConfigError(AuditpackError):
    """Bad configuration: one line naming the file, the section and the key."""

    def __init__(self, file: str, location: str, message: str) -> None:
        self.file = file
        self.location = location
        self.message = message
        where = f"{file}: {location}" if location else file
        super().__init__(f"{where}: {message}")


class CatalogError(AuditpackError):
    """A shipped or user-supplied data file (catalog, mapping, profile) is invalid."""


class PackError(AuditpackError):
    """A pack cannot be written, read or verified."""


class CollectionError(AuditpackError):
    """Raised inside collectors for a read that failed in an expected way.

    The engine (or the collector itself) turns it into ``error`` evidence with ``reason``.
    """

    def __init__(self, message: str, reason: ErrorReason = ErrorReason.INTERNAL) -> None:
        self.reason = reason
        super().__init__(message)
