"""The ``[tls]`` configuration section: live endpoints to probe."""

from __future__ import annotations

from pydantic import Field

from auditpack.config import ConfigPath, Strict


class TlsSettings(Strict):
    endpoints: tuple[str, ...] = Field((), description='"host:port" (port defaults to 443)')
    ca_bundle: ConfigPath | None = Field(None, description="extra trust anchors (private CAs)")
    discover: bool = Field(False, description="also probe endpoints found in AWS/Hetzner evidence")
    check_http_redirect: bool = Field(True, description="check that port 80 redirects to HTTPS")
    timeout: float = Field(10, gt=0)
    max_workers: int = Field(16, ge=1, le=128)
