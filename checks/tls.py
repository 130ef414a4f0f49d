"""Tls checks (none yet)."""
