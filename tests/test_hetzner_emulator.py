"""The Hetzner API emulator speaks the API's shapes, and the real hcloud library reads them."""

from __future__ import annotations

import hcloud
import pytest
import requests
from hetzner_support import TOKEN

from auditpack.emulators.hetzner import HetznerEmulator, ProjectSeed, demo_project, large_project, server
from helpers import FIXED_NOW


def _get(api: HetznerEmulator, path: str, token: str = TOKEN, **params: object) -> requests.Response:
    return requests.get(api.url + path, params=params, headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_pagination_follows_the_api_meta() -> None:
    with HetznerEmulator(large_project(120, FIXED_NOW), token=TOKEN) as api:
        first = _get(api, "/servers", per_page=50).json()
        assert len(first["servers"]) == 50
        assert first["meta"]["pagination"] == {"page": 1, "per_page": 50, "previous_page": None, "next_page": 2,
                                               "last_page": 3, "total_entries": 120}
        last = _get(api, "/servers", page=3, per_page=50).json()
        assert len(last["servers"]) == 20 and last["meta"]["pagination"]["next_page"] is None
        assert last["meta"]["pagination"]["previous_page"] == 2
        assert _get(api, "/servers", per_page=51).status_code == 400
        default = _get(api, "/servers").json()
        assert default["meta"]["pagination"]["per_page"] == 25
        # hcloud's own paging reads every page
        client = hcloud.Client(TOKEN, api_endpoint=api.url)
        assert len(client.servers.get_all()) == 120
        assert api.violations == 0


def test_servers_carry_location_and_datacenters_are_gone() -> None:
    with HetznerEmulator(demo_project(FIXED_NOW), token=TOKEN) as api:
        client = hcloud.Client(TOKEN, api_endpoint=api.url)
        servers = {s.name: s for s in client.servers.get_all()}
        assert servers["worker-us"].location.name == "ash" and servers["worker-us"].location.country == "US"
        assert "datacenter" not in _get(api, "/servers").json()["servers"][0]
        gone = _get(api, "/datacenters")
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "gone"
        assert _get(api, "/servers/103").json()["server"]["name"] == "worker-us"
        assert _get(api, "/servers/999").status_code == 404
        images = _get(api, "/images", type=["backup"]).json()["images"]
        assert {i["type"] for i in images} == {"backup"}


def test_authentication_rate_limits_and_injected_failures() -> None:
    with HetznerEmulator(ProjectSeed(servers=[server(1, "a")]), token=TOKEN) as api:
        denied = _get(api, "/servers", token="wrong")
        assert denied.status_code == 401 and denied.json()["error"]["code"] == "unauthorized"
        ok = _get(api, "/servers")
        assert ok.headers["RateLimit-Limit"] == "3600" and int(ok.headers["RateLimit-Remaining"]) < 3600
        api.inject(429, times=2, path="/servers")
        api.inject(503, path="/volumes")
        limited = _get(api, "/servers")
        assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limit_exceeded"
        assert limited.headers["RateLimit-Remaining"] == "0" and int(limited.headers["RateLimit-Reset"]) > 0
        assert _get(api, "/servers").status_code == 429
        assert _get(api, "/servers").status_code == 200
        unavailable = _get(api, "/volumes")
        assert unavailable.status_code == 503 and unavailable.json()["error"]["code"] == "unavailable"
        assert _get(api, "/volumes").status_code == 200
        assert api.requests == 7 and api.violations == 0


def test_anything_but_get_is_refused_and_counted_as_a_violation() -> None:
    with HetznerEmulator(ProjectSeed(servers=[server(1, "a")]), token=TOKEN) as api:
        client = hcloud.Client(TOKEN, api_endpoint=api.url)
        with pytest.raises(hcloud.APIException) as info:
            client.request("POST", "/servers/1/actions/poweroff")
        assert info.value.code == "method_not_allowed"
        assert requests.delete(api.url + "/servers/1", timeout=5).status_code == 405
        assert api.violations == 2 and api.paths("POST") == ["/v1/servers/1/actions/poweroff"]


def test_the_emulator_stops_and_releases_its_port() -> None:
    api = HetznerEmulator(ProjectSeed(), token=TOKEN).start()
    url = api.url
    api.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url + "/servers", timeout=2)
    with pytest.raises(RuntimeError):
        _ = api.url


def test_seed_from_json_rejects_unknown_collections() -> None:
    assert ProjectSeed.from_json({"servers": [server(1, "a")]}).servers[0]["name"] == "a"
    with pytest.raises(ValueError, match="datacenters"):
        ProjectSeed.from_json({"datacenters": []})
