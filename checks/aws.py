"""Aws checks (none yet)."""
