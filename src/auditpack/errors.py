"""A small error hierarchy with context. Configuration, catalog and pack errors stop a
command with one line; a read that fails while collecting is never raised as one of these:
the collector emits it as ``error`` evidence and the run says it is incomplete."""

from __future__ import annotations


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
