"""One service model and one client class per AWS service, shared by all of a run's clients.

Why: the collector creates one client per (account, region, service), about 115 per
account, and botocore builds for *every* client a new ``ServiceModel`` around the API
description and a new client class with one method and one docstring object per
operation. Measured on 11 regional services x 10 regions (+5 global) per account: 1.45 s
CPU and 41 MB per live account, of which sharing these two saves half the CPU and two
thirds of the memory (0.67 s, 14 MB). Both are functions of the service's API description
(loaded once per run already: the assumed-role sessions share the first session's
loader) and of the class-creation handlers, which are botocore's and boto3's defaults in
every session the collector creates.

What stays per client, exactly as botocore builds it: the credentials (one account's),
region, endpoint, Config, connection pool, event handlers and retry state. A shared model
is used by several clients the way one client's model is used by many threads (boto3
clients are thread-safe); the caches below are filled under a lock.

How: botocore has no public hook for this (boto/botocore#3078 asks for process-wide
sharing of loaded data). ``ClientCreator._load_service_model`` and
``ClientCreator._create_client_class`` are wrapped once per process, and the wrappers
reuse only for a loader registered with :func:`share_models` (the collector's, held
weakly: the cache goes with the run's sessions); every other botocore session in the
process builds its own as before. Should a botocore release rename those methods, nothing
is wrapped and clients are built as botocore builds them (slower, same results).
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from botocore import client as botocore_client

_lock = threading.RLock()
#: loader -> (service name, API version) -> (service model, client class or None yet)
_shared: weakref.WeakKeyDictionary[Any, dict[tuple[str, str | None], list[Any]]] = weakref.WeakKeyDictionary()
_wrapped = False


def share_models(loader: Any) -> bool:
    """Reuse one service model and one client class per service for every client created
    through ``loader`` (a botocore data loader). False when this botocore cannot."""
    if not _wrap():
        return False
    with _lock:
        _shared.setdefault(loader, {})
    return True


def _wrap() -> bool:
    global _wrapped
    creator = botocore_client.ClientCreator
    with _lock:
        if _wrapped:
            return True
        load_model = getattr(creator, "_load_service_model", None)
        create_class = getattr(creator, "_create_client_class", None)
        if load_model is None or create_class is None:
            return False

        def _load_service_model(self: Any, service_name: str, api_version: str | None = None) -> Any:
            entries = _shared.get(self._loader)
            if entries is None:
                return load_model(self, service_name, api_version)
            with _lock:
                entry = entries.get((service_name, api_version))
                if entry is None:
                    entry = entries[(service_name, api_version)] = [load_model(self, service_name, api_version),
                                                                    None]
                return entry[0]

        def _create_client_class(self: Any, service_name: str, service_model: Any) -> Any:
            with _lock:
                entries = _shared.get(self._loader)
                entry = None if entries is None else next((e for e in entries.values() if e[0] is service_model),
                                                          None)
                if entry is not None:
                    if entry[1] is None:
                        entry[1] = create_class(self, service_name, service_model)
                    return entry[1]
            return create_class(self, service_name, service_model)  # not a shared model: botocore's own class

        creator._load_service_model = _load_service_model
        creator._create_client_class = _create_client_class
        _wrapped = True
        return True
