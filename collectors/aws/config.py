"""The ``[aws]`` configuration section. Credentials come from the standard AWS chain."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from auditpack.config import Strict


class AwsAccount(Strict):
    """An extra account reached by assuming a role (the audit role of an organisation)."""

    role_arn: str = Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    external_id: str | None = None
    name: str | None = None
    session_name: str = "auditpack"


class AwsSettings(Strict):
    regions: Literal["all"] | tuple[str, ...] = Field("all", description='"all" = every enabled region')
    endpoint_url: str | None = Field(None, description="an AWS-compatible endpoint for every service")
    profile: str | None = Field(None, description="a named profile of the AWS credential chain")
    use_default_credentials: bool = Field(True, description="collect the account of the default chain")
    accounts: tuple[AwsAccount, ...] = ()
    max_workers: int = Field(16, ge=1, le=128, description="concurrent API calls per account")
    max_attempts: int = Field(8, ge=1, le=20, description="botocore retries (adaptive mode) on throttling")
    connect_timeout: float = Field(10, gt=0)
    read_timeout: float = Field(30, gt=0)
