"""Secrets never reach evidence, logs, reports or file names.

Secrets are only ever read from the environment (``token_env``, ``passphrase_env``, the
AWS chain). Two layers keep them out of everything written:

* values are scrubbed *before* serialisation (:meth:`Scrubber.scrub_value` walks the JSON
  structure), because a secret holding ``"`` or ``\\`` no longer appears verbatim in JSON
  text, where those characters are escaped;
* as a last line of defence every text written and every log line passes through
  :meth:`Scrubber.scrub`, which also knows the escaped spellings of each value (JSON,
  Python repr, HTML, CSV, Markdown) and its file-name form (:meth:`Scrubber.taints_path`).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

ALWAYS_SECRET = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "HCLOUD_TOKEN", "BORG_PASSPHRASE", "RESTIC_PASSWORD")
REDACTED = "[redacted]"
MIN_SECRET_LENGTH = 6  # shorter values would redact ordinary words
MIN_PATH_FRAGMENT = 8  # a truncated file-name part this long that starts a secret is that secret
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~&@$])")
_PATH_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _spellings(value: str) -> set[str]:
    """The value as it reads after each escaping a writer of ours may apply."""
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1], repr(value)[1:-1],
             html.escape(value, quote=True), html.escape(value, quote=False), value.replace('"', '""'),
             _MD_SPECIAL.sub(r"\\\1", value)}
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def _path_form(value: str) -> str:
    return _PATH_UNSAFE.sub("_", value).strip("._")


class Scrubber:
    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values = sorted({v for v in values if v and len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._texts = sorted({f for v in self._values for f in _spellings(v)}, key=len, reverse=True)
        self._paths = sorted({p for v in self._values if len(p := _path_form(v)) >= MIN_SECRET_LENGTH},
                             key=len, reverse=True)

    @classmethod
    def from_env(cls, names: Iterable[str], environ: Mapping[str, str] | None = None) -> Scrubber:
        env = os.environ if environ is None else environ
        return cls(env[n] for n in {*names, *ALWAYS_SECRET} if n in env)

    def __bool__(self) -> bool:
        return bool(self._values)

    def scrub(self, text: str) -> str:
        """Replace every spelling of every secret in already serialised text."""
        for value in self._texts:
            if value in text:
                text = text.replace(value, REDACTED)
        return text

    def scrub_value(self, value: Any) -> Any:
        """The same JSON-like structure with secrets replaced in every string and key,
        before it is serialised (so escaping cannot hide a secret from the scrubber)."""
        if not self._values:
            return value
        if isinstance(value, str):
            for secret in self._values:
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, Mapping):
            return {self.scrub_value(k) if isinstance(k, str) else k: self.scrub_value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.scrub_value(v) for v in value]
        return value

    def taints_path(self, component: str) -> bool:
        """Whether a file-name component (made file-name-safe and perhaps truncated) carries
        a secret: the secret's file-name form inside it, its start cut off at the end of
        the component, or the component being a long piece of the secret."""
        for secret in self._paths:
            if secret in component or (len(component) >= MIN_PATH_FRAGMENT and component in secret):
                return True
            longest = min(len(secret), len(component))
            if any(component.endswith(secret[:k]) for k in range(MIN_PATH_FRAGMENT, longest + 1)):
                return True
        return False


class ScrubFilter(logging.Filter):
    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        if self.scrubber:
            record.msg = self.scrubber.scrub(record.getMessage())
            record.args = None
        return True
