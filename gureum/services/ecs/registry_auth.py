"""Private registry credentials of a container instance, as the ECS agent takes them:
ECS_ENGINE_AUTH_TYPE ("docker" or "dockercfg") and ECS_ENGINE_AUTH_DATA (JSON), from the
environment or the settings `ecs.engine_auth_type` / `ecs.engine_auth_data`. As in ECS, they
serve tasks of the EC2 launch type; Fargate tasks name theirs in `repositoryCredentials`, a
Secrets Manager secret read at task start (task_secrets.py).

  docker:    {"registry.example.com": {"username": "u", "password": "p"}, ...}
  dockercfg: {"https://registry.example.com": {"auth": base64("u:p"), "email": "..."}, ...}
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from urllib.parse import urlsplit

from gureum.sandbox.images import Credentials
from gureum.services.ecs.settings import EcsSettings

log = logging.getLogger("gureum.ecs")
DOCKER_HUB = ("index.docker.io", "docker.io", "registry-1.docker.io")


class RegistryAuthError(ValueError):
    """The configured auth type or data cannot be used."""


def host_of(key: str) -> str:
    """A registry key as docker writes them ("https://host/v1/", "host:port") → host[:port]."""
    host = urlsplit(key).netloc if "://" in key else key.split("/", 1)[0]
    return "docker.io" if host in DOCKER_HUB else host


def parse(auth_type: str, auth_data: str) -> dict[str, Credentials]:
    """Credentials per registry host; RegistryAuthError when the configuration is unusable."""
    try:
        doc = json.loads(auth_data)
    except ValueError as e:
        raise RegistryAuthError(f"ECS_ENGINE_AUTH_DATA is not JSON: {e}") from None
    if not isinstance(doc, dict):
        raise RegistryAuthError("ECS_ENGINE_AUTH_DATA must be a JSON object of registries")
    out: dict[str, Credentials] = {}
    for key, entry in doc.items():
        if not isinstance(entry, dict):
            raise RegistryAuthError(f"ECS_ENGINE_AUTH_DATA: the entry of {key} is not an object")
        if auth_type == "docker":
            user, password = entry.get("username"), entry.get("password")
        elif auth_type == "dockercfg":
            try:
                user, _, password = base64.b64decode(entry.get("auth", ""), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise RegistryAuthError(f"ECS_ENGINE_AUTH_DATA: the auth of {key} is not base64 of user:password") from None
        else:
            raise RegistryAuthError(f'ECS_ENGINE_AUTH_TYPE must be "docker" or "dockercfg", not {auth_type!r}')
        if not user or password is None:
            raise RegistryAuthError(f"ECS_ENGINE_AUTH_DATA: {key} has no username and password")
        out[host_of(key)] = Credentials(str(user), str(password))
    return out


def from_settings(settings: EcsSettings) -> dict[str, Credentials]:
    """The node's credentials (empty when none are configured or they are unusable: logged):
    `ecs.engine_auth_type`/`ecs.engine_auth_data`, else the agent's environment variables."""
    auth_type = settings.engine_auth_type or os.environ.get("ECS_ENGINE_AUTH_TYPE")
    auth_data = settings.engine_auth_data or os.environ.get("ECS_ENGINE_AUTH_DATA")
    if not auth_type or not auth_data:
        return {}
    try:
        return parse(str(auth_type).strip().lower(), str(auth_data))
    except RegistryAuthError as e:
        log.warning("private registry credentials ignored: %s", e)
        return {}
