"""The Hetzner collector against the emulator, with the real hcloud library: what it reads,
how many requests it spends, and how failures become ``error`` evidence for exactly the
affected project and listing."""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path

import pytest
from hetzner_support import TOKEN, TOKEN_ENV, collect, of, project, settings

from auditpack.collectors.hetzner import SPECS, HetznerCollector
from auditpack.emulators.hetzner import (
    HetznerEmulator,
    ProjectSeed,
    demo_project,
    large_project,
    location,
    primary_ip,
    server,
)
from auditpack.evidence.hetzner import HetznerFirewall, HetznerServer, HetznerStorageBox, HetznerVolume
from auditpack.model import AttemptStatus, ErrorReason
from helpers import FIXED_NOW

KINDS = [s.kind for s in SPECS]


def test_demo_project_is_read_completely_with_one_request_per_listing() -> None:
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        evidence, collector = collect(settings(project("prod", api.url)))
        assert api.requests == len(SPECS) == collector.requests_made
        assert api.violations == 0
        assert all(path.split("?")[0].count("/") == 2 for path in api.paths()), "no per-resource GETs"
    assert all(ev.ok for ev in evidence)
    servers = {ev.resource.name: ev for ev in of(evidence, "hetzner.server")}
    worker = servers["worker-us"]
    rec = worker.record
    assert isinstance(rec, HetznerServer)
    assert (worker.resource.id, worker.resource.location, worker.resource.scope) == ("103", "ash", "prod")
    assert (rec.location, rec.country, rec.backup_window, rec.public_ipv4) == ("ash", "US", None, "198.51.100.13")
    assert worker.raw["name"] == "worker-us" and worker.raw["location"]["country"] == "US"
    db = servers["db-1"].record
    assert isinstance(db, HetznerServer) and db.firewall_ids == ("12",) and db.volume_ids == ("201",)
    volume = of(evidence, "hetzner.volume")[0].record
    assert isinstance(volume, HetznerVolume) and volume.server_id == "102" and volume.size_gb == 100
    admin = next(ev.record for ev in of(evidence, "hetzner.firewall") if ev.resource.name == "admin")
    assert isinstance(admin, HetznerFirewall)
    assert admin.selectors[0].selector == "role=db" and admin.selectors[0].server_ids == ("102",)
    assert admin.rules[0].port == "22" and admin.rules[0].source_ips == ("0.0.0.0/0", "::/0")
    assert {ev.record.type for ev in of(evidence, "hetzner.image")} == {"backup", "snapshot"}  # type: ignore[union-attr]
    box = of(evidence, "hetzner.storage_box")[0].record
    assert isinstance(box, HetznerStorageBox) and box.snapshot_plan is None and box.ssh_enabled is True
    use = of(evidence, "provider.use")[0].record
    assert use is not None and use.model_dump()["locations"] == ("ash", "fsn1")
    assert use.model_dump()["provider_name"] == "Hetzner Online GmbH"
    assert TOKEN not in json.dumps([ev.to_json() for ev in evidence])


def test_requests_grow_with_pages_not_resources() -> None:
    seed = large_project(500, FIXED_NOW)
    with HetznerEmulator(seed, token=TOKEN) as api:
        evidence, collector = collect(settings(project("big", api.url)))
        pages = sum(max(1, math.ceil(len(seed.collection(s.path.strip("/"))) / 50)) for s in SPECS)
        assert api.requests == collector.requests_made == pages
        assert pages <= math.ceil(seed.resource_count() / 50) + len(SPECS)
        assert api.violations == 0
        assert not [p for p in api.paths() if p.split("?")[0].rstrip("/").split("/")[-1].isdigit()]
    assert len(of(evidence, "hetzner.server")) == 500 and len(of(evidence, "hetzner.volume")) == 500
    labelled = [ev.record for ev in of(evidence, "hetzner.firewall")
                if isinstance(ev.record, HetznerFirewall) and ev.record.selectors]
    assert labelled and all(f.selectors[0].server_ids for f in labelled)


def test_a_bad_token_errors_its_project_only_and_spends_no_more_requests() -> None:
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        config = settings(project("good", api.url), project("bad", api.url, token_env="BAD_TOKEN"))
        evidence, _ = collect(config, {TOKEN_ENV: TOKEN, "BAD_TOKEN": "not-the-token"})
        # good: one request per listing; bad: servers (401), then the Storage Box API (another 401)
        assert api.requests == len(SPECS) + 2
    bad = [ev for ev in evidence if ev.resource.scope == "bad"]
    assert {ev.kind for ev in bad} == {*KINDS, "provider.use"}
    assert all(ev.status is AttemptStatus.ERROR and ev.reason is ErrorReason.AUTHENTICATION for ev in bad)
    assert all(ev.resource.type == "project" and ev.resource.id == "bad" for ev in bad)
    assert "unauthorized" in bad[0].error  # type: ignore[operator]
    good = [ev for ev in evidence if ev.resource.scope == "good"]
    assert good and all(ev.ok for ev in good) and len(of(good, "hetzner.server")) == 3
    assert "not-the-token" not in json.dumps([ev.to_json() for ev in evidence])


def test_missing_token_variable_is_a_configuration_error_naming_the_variable() -> None:
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        evidence, collector = collect(settings(project("prod", api.url, token_env="NOT_SET_ANYWHERE_42")), {})
        assert api.requests == 0
    assert collector.secret_env_names() == ["NOT_SET_ANYWHERE_42"] and collector.scopes() == ["prod"]
    assert {ev.kind for ev in evidence} == {*KINDS, "provider.use"}
    assert all(ev.reason is ErrorReason.CONFIGURATION and "NOT_SET_ANYWHERE_42" in (ev.error or "") for ev in evidence)


def test_the_collector_reads_only_the_environment_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITPACK_TEST_PROCESS_TOKEN", TOKEN)  # in the process, not in what it is given
    with HetznerEmulator(ProjectSeed(servers=[server(1, "a")]), token=TOKEN) as api:
        evidence, _ = collect(settings(project("p", api.url, token_env="AUDITPACK_TEST_PROCESS_TOKEN")), {})
        assert api.requests == 0
    assert evidence and all(ev.reason is ErrorReason.CONFIGURATION for ev in evidence)


def test_a_run_gives_the_collectors_the_process_environment(monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    from auditpack.config import load_config
    from auditpack.registry import default_registry
    from auditpack.runner import execute

    monkeypatch.setenv("AUDITPACK_TEST_PROCESS_TOKEN", TOKEN)
    registry = default_registry()
    with HetznerEmulator(ProjectSeed(servers=[server(1, "a")]), token=TOKEN) as api:
        cfg = tmp_path / "auditpack.toml"
        cfg.write_text(f'[[hetzner.projects]]\nname = "p"\ntoken_env = "AUDITPACK_TEST_PROCESS_TOKEN"\n'
                       f'api_endpoint = "{api.url}"\n')
        result = execute(load_config(cfg, registry), registry)
    hetzner = [ev for ev in result.evidence if ev.provenance.collector == "hetzner"]
    assert hetzner and all(ev.ok for ev in hetzner)


def test_an_unreachable_api_is_a_connectivity_error_and_other_projects_still_run() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        evidence, _ = collect(settings(project("gone", dead), project("ok", api.url), max_retries=1))
    gone = [ev for ev in evidence if ev.resource.scope == "gone"]
    assert {ev.kind for ev in gone} == {*KINDS, "provider.use"}
    assert all(ev.status is AttemptStatus.ERROR and ev.reason is ErrorReason.CONNECTIVITY for ev in gone)
    assert all(ev.ok for ev in evidence if ev.resource.scope == "ok")


def test_rate_limits_and_unavailability_are_retried_with_backoff() -> None:
    from auditpack.collectors import CollectContext

    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        api.inject(429, times=2, path="/servers")
        api.inject(503, times=1, path="/firewalls")
        collector = HetznerCollector(settings(project("prod", api.url), max_workers=1))
        waits: list[float] = []
        collector.sleep = waits.append
        ctx = CollectContext("hetzner", "test", FIXED_NOW, environ={TOKEN_ENV: TOKEN})
        collector.collect(ctx)
        evidence = ctx.close()
        assert api.requests == len(SPECS) + 3 == collector.requests_made
    assert all(ev.ok for ev in evidence)
    # 429 twice: the exhausted budget's RateLimit-Reset (about 1 s) is capped at backoff_max
    assert waits == [0.005, 0.005, 0.001]


def test_retries_are_bounded_and_fail_exactly_the_listing() -> None:
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        api.inject(503, times=100, path="/load_balancers")
        evidence, _ = collect(settings(project("prod", api.url), max_retries=2))
        assert len(api.paths()) == len(SPECS) + 2
    errors = [ev for ev in evidence if not ev.ok]
    assert [(ev.kind, ev.reason) for ev in errors] == [("hetzner.load_balancer", ErrorReason.CONNECTIVITY),
                                                       ("provider.use", ErrorReason.CONNECTIVITY)]
    assert "after 3 attempts" in (errors[0].error or "") and "unavailable" in (errors[0].error or "")
    assert len(of(evidence, "hetzner.server")) == 3 and all(ev.ok for ev in of(evidence, "hetzner.server"))


def test_a_failed_storage_box_listing_leaves_cloud_evidence_intact() -> None:
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        api.inject(429, times=10, path="/storage_boxes")
        evidence, _ = collect(settings(project("prod", api.url), max_retries=0))
    errors = [(ev.kind, ev.reason) for ev in evidence if not ev.ok]
    assert errors == [("hetzner.storage_box", ErrorReason.THROTTLED), ("provider.use", ErrorReason.THROTTLED)]


def test_storage_boxes_can_be_switched_off() -> None:
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        evidence, _ = collect(settings(project("prod", api.url, storage_boxes=False)))
        assert not [p for p in api.paths() if "storage_boxes" in p]
    skipped = [ev for ev in evidence if ev.status is AttemptStatus.SKIPPED]
    assert [ev.kind for ev in skipped] == ["hetzner.storage_box"]
    assert of(evidence, "provider.use")[0].ok


def test_old_datacenter_shape_and_missing_country_are_read_without_guessing() -> None:
    old = server(1, "legacy", "nbg1")
    old["datacenter"] = {"id": 2, "name": "nbg1-dc3", "location": old.pop("location")}
    unknown = primary_ip(9, "203.0.113.9", "fsn1")
    unknown["location"] = location("xyz1", country=None)
    with HetznerEmulator(ProjectSeed(servers=[old], primary_ips=[unknown]), token=TOKEN) as api:
        evidence, _ = collect(settings(project("prod", api.url)))
    legacy = of(evidence, "hetzner.server")[0].record
    assert isinstance(legacy, HetznerServer) and (legacy.location, legacy.country) == ("nbg1", "DE")
    ip = of(evidence, "hetzner.primary_ip")[0]
    assert ip.record is not None and ip.record.model_dump()["country"] is None and ip.resource.location == "xyz1"


def test_an_unexpected_object_is_error_evidence_for_that_object_only() -> None:
    broken = server(2, "broken")
    broken["public_net"]["firewalls"] = "not-a-list-of-objects"
    broken["backup_window"] = {"unexpected": True}
    with HetznerEmulator(ProjectSeed(servers=[server(1, "fine"), broken]), token=TOKEN) as api:
        evidence, _ = collect(settings(project("prod", api.url)))
    servers = of(evidence, "hetzner.server")
    assert [(ev.resource.id, ev.status) for ev in servers] == [("1", AttemptStatus.COLLECTED),
                                                               ("2", AttemptStatus.ERROR)]
    assert servers[1].reason is ErrorReason.INVALID_RESPONSE and servers[1].raw["name"] == "broken"


@pytest.mark.parametrize(("headers", "wait"), [
    ({"Retry-After": "7"}, 7.0),
    ({"Retry-After": "Sat, 21 Nov 2026 12:00:30 GMT"}, 30.0),
    ({"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(FIXED_NOW.timestamp()) + 3)}, 3.0),
    ({"RateLimit-Remaining": "12", "RateLimit-Reset": str(int(FIXED_NOW.timestamp()) + 3000)}, None),
    ({}, None),
])
def test_the_server_s_wait_hints(headers: dict[str, str], wait: float | None) -> None:
    from auditpack.collectors.hetzner.api import _hint_seconds

    assert _hint_seconds(headers, FIXED_NOW.timestamp()) == wait
