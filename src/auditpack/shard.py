"""One share of a run that is spread over several machines (``auditpack run --shard K/N``).

Every unit of work (an AWS account, a Hetzner project, an SSH host, a TLS endpoint; a
plugin collector as a whole) is owned by exactly one shard: the SHA-256 of
``collector:scope`` modulo N. The hash depends on nothing but those names, so a scope stays
in its shard from run to run, and accounts an organisation gains are spread the same way.

A sharded run writes a *partial* pack: evidence only, no findings. Checks judge the
estate as a whole (the sub-processor reconciliation compares every provider with the
register), so they run once, over the union of the parts, in ``auditpack merge``. The
``plan`` binds the parts together: the hash of the validated configuration and of every
configured scope, so parts of different configurations are never merged.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import canonical_json, sha256_hex

if TYPE_CHECKING:
    from .config import Config
    from .registry import Registry

_SPEC = re.compile(r"^(\d{1,4})/(\d{1,4})$")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` (0-based, as Kubernetes' JOB_COMPLETION_INDEX) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"K/N"`` with 0 <= K < N; ValueError names what is wrong."""
        match = _SPEC.match(text.strip())
        if not match:
            raise ValueError(f"--shard {text!r}: expected K/N, e.g. 0/4 (K counts from 0)")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 0 <= index < count:
            raise ValueError(f"--shard {text!r}: K must be 0 to N-1 and N at least 1")
        return cls(index, count)

    @property
    def label(self) -> str:
        return f"{self.index}/{self.count}"

    def owns(self, collector_id: str, scope: str) -> bool:
        return owner(collector_id, scope, self.count) == self.index

    def owner_of(self, collector_id: str) -> Callable[[str], bool]:
        """``owns`` for one collector's scopes (what a collector's ``use_shard`` receives)."""
        return lambda scope: self.owns(collector_id, scope)


def owner(collector_id: str, scope: str, count: int) -> int:
    digest = hashlib.sha256(f"{collector_id}:{scope}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def plan_id(config: Config, registry: Registry) -> str:
    """The hash of the validated configuration and of every collector's configured scopes."""
    sections: dict[str, Any] = {name: model.model_dump(mode="json") for name, model in sorted(config.sections.items())}
    scopes: dict[str, list[str]] = {}
    for cid, cls in sorted(registry.collectors.items()):
        settings = config.section(cls.config_section) if cls.config_section else None
        try:
            collector = cls(settings)
            if collector.enabled():
                scopes[cid] = sorted(collector.scopes())
        except Exception:  # noqa: BLE001 - a broken plugin is reported by the run itself
            scopes[cid] = ["<could not start>"]
    document = {"core": config.core.model_dump(mode="json"), "sections": sections, "scopes": scopes}
    return sha256_hex(canonical_json(document))
