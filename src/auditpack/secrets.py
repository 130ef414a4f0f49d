"""Secrets never reach evidence, logs or reports.

Secrets are only ever read from the environment (``token_env``, ``passphrase_env``, the
AWS chain). As a last line of defence every file the pack writer emits and every log line
passes through a :class:`Scrubber` that replaces the values of those variables.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

ALWAYS_SECRET = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HCLOUD_TOKEN", "BORG_PASSPHRASE", "RESTIC_PASSWORD")
REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words


class Scrubber:
    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values = sorted({v for v in values if v and len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    @classmethod
    def from_env(cls, names: Iterable[str], environ: Mapping[str, str] | None = None) -> Scrubber:
        env = os.environ if environ is None else environ
        return cls(env[n] for n in {*names, *ALWAYS_SECRET} if n in env)

    def __bool__(self) -> bool:
        return bool(self._values)

    def scrub(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        return text


class ScrubFilter(logging.Filter):
    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        if self.scrubber:
            record.msg = self.scrubber.scrub(record.getMessage())
            record.args = None
        return True
