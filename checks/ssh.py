"""Ssh checks (none yet)."""
