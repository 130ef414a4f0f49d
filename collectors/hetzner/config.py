"""The ``[hetzner]`` configuration section: one or more Cloud projects."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from auditpack.config import ConfigProblem, Strict, entry_location, unset_variable


class HetznerProject(Strict):
    name: str = Field(min_length=1)
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                           description="name of the environment variable holding the read-only API token")
    api_endpoint: str = "https://api.hetzner.cloud/v1"
    storage_boxes: bool = Field(True, description="also list Storage Boxes (same token)")
    storage_box_endpoint: str | None = Field(
        None, description="the Hetzner API serving Storage Boxes; default https://api.hetzner.com/v1 when "
                          "api_endpoint is the default, else api_endpoint itself (an emulator or proxy serving both)")


class HetznerSettings(Strict):
    projects: tuple[HetznerProject, ...] = ()
    max_workers: int = Field(4, ge=1, le=32)
    timeout: float = Field(30, gt=0)
    max_retries: int = Field(5, ge=0, le=20)
    backoff_base: float = Field(1.0, ge=0, description="first retry delay in seconds (doubles per retry)")
    backoff_max: float = Field(60.0, ge=0, description="longest single wait, also for Retry-After/RateLimit-Reset")
    max_pages: int = Field(2000, ge=1, description="pages (50 resources each) per listing before it is cut off as "
                                                   "an error (an API whose pagination never ends)")


def preflight(settings: HetznerSettings, environ: Mapping[str, str]) -> list[ConfigProblem]:
    """Every project's token variable must be set before the first request."""
    problems = []
    if not settings.projects:
        problems.append(ConfigProblem("[hetzner]", "projects: no [[hetzner.projects]]: the section reads nothing"))
    for number, project in enumerate(settings.projects, 1):
        message = unset_variable(environ, project.token_env, "token_env")
        if message:
            problems.append(ConfigProblem(entry_location("hetzner.projects", number, project.name), message))
    return problems
