"""HTML ids shared by the view model's tables and the check groups they link to."""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def check_anchor(check: str) -> str:
    """The id of a check's row in the findings overview (``chk-…``)."""
    return "chk-" + _UNSAFE.sub("-", check)


def open_anchor(check: str) -> str:
    """The id of the list of a check's failing, errored and manual resources (``open-…``)."""
    return "open-" + _UNSAFE.sub("-", check)
