"""Parsing the container instance's private registry credentials (ECS_ENGINE_AUTH_*)."""

from __future__ import annotations

import base64
import json

import pytest

from gureum.services.ecs import registry_auth as ra
from gureum.services.ecs.settings import EcsSettings
from gureum.settings import from_mapping, read


def test_docker_and_dockercfg_forms() -> None:
    docker = ra.parse("docker", json.dumps({"registry.example.com:5000": {"username": "u", "password": "p"}, "https://index.docker.io/v1/": {"username": "hub", "password": "x"}}))
    assert docker["registry.example.com:5000"] == ra.Credentials("u", "p")
    assert docker["docker.io"] == ra.Credentials("hub", "x")
    cfg = ra.parse("dockercfg", json.dumps({"https://reg.example.com": {"auth": base64.b64encode(b"me:pa:ss").decode(), "email": "e@x"}}))
    assert cfg["reg.example.com"] == ra.Credentials("me", "pa:ss")


@pytest.mark.parametrize(
    ("kind", "data", "why"),
    [
        ("docker", "not json", "not JSON"),
        ("docker", "[]", "JSON object"),
        ("docker", '{"r": {"username": "u"}}', "no username and password"),
        ("dockercfg", '{"r": {"auth": "***"}}', "not base64"),
        ("basic", '{"r": {}}', '"docker" or "dockercfg"'),
    ],
)
def test_unusable_configuration_is_refused_with_the_reason(kind: str, data: str, why: str) -> None:
    with pytest.raises(ra.RegistryAuthError, match=why):
        ra.parse(kind, data)


def test_nothing_configured_means_no_credentials() -> None:
    assert ra.from_settings(EcsSettings()) == {}
    assert ra.from_settings(EcsSettings(engine_auth_type="docker", engine_auth_data="{")) == {}


def test_the_settings_give_the_credentials() -> None:
    settings = read(EcsSettings, from_mapping({"ecs.engine_auth_type": "docker",
                                               "ecs.engine_auth_data": '{"r.example:5000": {"username": "u", "password": "p"}}'}))
    assert ra.from_settings(settings) == {"r.example:5000": ra.Credentials("u", "p")}
