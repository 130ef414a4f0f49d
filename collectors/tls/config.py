"""The ``[tls]`` configuration section: live endpoints to probe.

An endpoint is either a string ``"host"`` / ``"host:port"`` / ``"[v6addr]:port"`` (port 443
by default) or an inline table for the options a string cannot say::

    [tls]
    endpoints = [
        "app.example.com",
        { host = "api.example.com", port = 8443, http_port = 8080 },
        { host = "app.example.test", address = "127.0.0.1", port = 8443, http_redirect = false },
    ]

``host`` is the name the certificate must match and the SNI name sent; ``address`` (optional)
is where to connect instead of resolving ``host`` (a private address, a loopback test server).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from auditpack.config import ConfigPath, ConfigProblem, Strict, missing_file


class TlsEndpoint(Strict):
    host: str = Field(min_length=1, description="name the certificate must match (SNI and hostname check)")
    port: int = Field(default=443, ge=1, le=65535)
    address: str | None = Field(default=None, min_length=1, description="connect here instead of resolving host")
    hsts: bool = Field(default=True,
                       description="read Strict-Transport-Security (false for TLS services that are not HTTP)")
    http_redirect: bool | None = Field(
        default=None, description="check plain HTTP on http_port; default: [tls].check_http_redirect")
    http_port: int = Field(default=80, ge=1, le=65535)
    check_hostname: bool = Field(default=True, description="verify that the certificate matches host")

    @field_validator("host")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        if any(c in value for c in " /@[]") or (":" in value and not _is_ip(value)):
            raise ValueError(f"{value!r} is not a host name or address (give the port in `port`)")
        return value.lower().rstrip(".") if not _is_ip(value) else value

    @property
    def id(self) -> str:
        """``host:port`` (``[v6]:port`` for IPv6): the finding resource id."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def parse_endpoint(text: str) -> TlsEndpoint:
    """``"host"``, ``"host:port"`` or ``"[v6]:port"`` -> :class:`TlsEndpoint`."""
    return TlsEndpoint.model_validate(split_endpoint(text))


def split_endpoint(text: str) -> dict[str, Any]:
    """``"host:port"`` -> ``{"host": ..., "port": ...}`` (not yet validated)."""
    value = text.strip()
    if not value:
        raise ValueError("empty endpoint")
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: expected [IPv6]:port")
        port = rest[1:] if rest else "443"
    elif value.count(":") > 1:  # a bare IPv6 address without a port
        host, port = value, "443"
    else:
        host, _, port = value.partition(":")
        port = port or "443"
    if not port.isdigit():
        raise ValueError(f"{text!r}: the port must be a number")
    return {"host": host, "port": int(port)}


class TlsSettings(Strict):
    endpoints: tuple[TlsEndpoint, ...] = Field(
        default=(), description='"host:port" (port defaults to 443) or a table {host, port, address, http_port, ...}')
    ca_bundle: ConfigPath | None = Field(default=None, description="extra trust anchors (private CAs)")
    discover: bool = Field(default=False, description="also probe endpoints found in AWS/Hetzner evidence")
    check_http_redirect: bool = Field(default=True, description="check that port 80 redirects to HTTPS")
    timeout: float = Field(default=10, gt=0)
    max_workers: int = Field(default=16, ge=1, le=128)

    @field_validator("endpoints", mode="before")
    @classmethod
    def _strings_to_tables(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return tuple(split_endpoint(item) if isinstance(item, str) else item for item in value)
        return value

    @field_validator("endpoints")
    @classmethod
    def _unique(cls, value: tuple[TlsEndpoint, ...]) -> tuple[TlsEndpoint, ...]:
        seen: set[str] = set()
        for endpoint in value:
            if endpoint.id in seen:
                raise ValueError(f"endpoint {endpoint.id} is listed twice")
            seen.add(endpoint.id)
        return value


def preflight(settings: TlsSettings, environ: Mapping[str, str]) -> list[ConfigProblem]:
    """The extra trust anchors must exist (else every endpoint would be an error)."""
    problems = []
    if not settings.endpoints and not settings.discover:
        problems.append(ConfigProblem("[tls]", "endpoints: none listed and discover = false: "
                                               "the section reads nothing"))
    message = missing_file(settings.ca_bundle, "ca_bundle")
    return problems + ([ConfigProblem("[tls]", message)] if message else [])
