"""Hetzner checks (none yet)."""
