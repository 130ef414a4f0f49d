"""Checks over DPA profiles: sub-processor reconciliation (none yet)."""
