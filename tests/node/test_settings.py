"""gureum/settings.py: one parser fills a frozen settings dataclass from `--set`/GUREUM_*."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest

from gureum.config import Config
from gureum.settings import (
    SettingError,
    SettingsCache,
    entries,
    env_name,
    flag,
    key,
    parse_bool,
    read,
)


@dataclass(frozen=True)
class Sample:
    PREFIX: ClassVar[str] = "sample"
    count: int = 3
    """how many"""
    ratio: float = 0.5
    name: str = "x"
    on: bool = True
    where: Path | None = None
    hosts: tuple[str, ...] = ()
    delays: tuple[float, ...] = (60.0, 120.0)
    port: int | None = None
    bridge: str = field(default="gureum0", metadata=key("other.bridge"))


def test_defaults_come_from_the_dataclass():
    assert read(Sample, {}.get) == Sample()


def test_values_convert_by_annotation():
    s = read(Sample, {
        "sample.count": "7", "sample.ratio": "2.5", "sample.name": "y", "sample.on": "off",
        "sample.where": "/tmp/a", "sample.hosts": "a:1, b:2,,", "sample.delays": "1,2.5", "sample.port": "8080",
        "other.bridge": "br1",
    }.get)
    assert s == Sample(7, 2.5, "y", False, Path("/tmp/a"), ("a:1", "b:2"), (1.0, 2.5), 8080, "br1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.count = 1  # type: ignore[misc]


def test_empty_text_means_the_default():
    assert read(Sample, {"sample.count": "", "sample.on": "  ", "sample.port": ""}.get) == Sample()


@pytest.mark.parametrize("word,value", [
    ("1", True), ("true", True), ("YES", True), ("On", True),
    ("0", False), ("False", False), ("no", False), ("OFF", False),
])
def test_one_boolean_rule(word: str, value: bool):
    assert parse_bool("x.y", word) is value
    assert read(Sample, {"sample.on": word}.get).on is value


@pytest.mark.parametrize("setting,text", [
    ("sample.on", "maybe"), ("sample.on", "2"), ("sample.count", "many"), ("sample.ratio", "fast"),
    ("sample.port", "80a"), ("sample.delays", "1,x"),
])
def test_bad_text_is_an_error_naming_the_setting(setting: str, text: str):
    with pytest.raises(SettingError) as e:
        read(Sample, {setting: text}.get)
    assert setting in str(e.value) and repr(text.split(",")[-1] if setting == "sample.delays" else text) in str(e.value)


def test_set_flag_and_environment_both_reach_a_setting(monkeypatch: pytest.MonkeyPatch):
    assert env_name("lambda.idle_timeout") == "GUREUM_LAMBDA_IDLE_TIMEOUT"
    monkeypatch.setenv("GUREUM_SAMPLE_COUNT", "9")
    monkeypatch.setenv("GUREUM_OTHER_BRIDGE", "br9")
    assert read(Sample, Config().setting) == Sample(count=9, bridge="br9")
    # --set wins over the environment, as Config.setting has it
    assert read(Sample, Config(settings={"sample.count": "4"}).setting).count == 4


def test_the_node_reads_each_class_once():
    calls: list[str] = []

    def lookup(k: str) -> str | None:
        calls.append(k)
        return None

    cache = SettingsCache(lookup)
    assert cache(Sample) is cache(Sample)
    assert len(calls) == len(dataclasses.fields(Sample))


def test_flag_for_keys_outside_a_class():
    assert flag({}.get, "dns.enabled", True) is True
    assert flag({"dns.enabled": "No"}.get, "dns.enabled", True) is False
    with pytest.raises(SettingError, match="dns.enabled"):
        flag({"dns.enabled": "nope"}.get, "dns.enabled", True)


def test_entries_list_keys_types_defaults_and_docs():
    by_key = {e.key: e for e in entries(Sample)}
    assert by_key["sample.count"].default == 3 and by_key["sample.count"].doc == "how many"
    assert by_key["other.bridge"].default == "gureum0"
    assert by_key["sample.port"].type == "int | NoneType"


def test_every_package_settings_class_reads_its_defaults():
    """Each manifest's class and the node's own parse with nothing set, and keep today's keys."""
    from gureum.node_settings import NODE_SETTINGS
    from gureum.services import registry

    classes = [*NODE_SETTINGS, *registry.settings_classes()]
    keys = {e.key: e.default for cls in classes for e in entries(cls)}
    for cls in classes:
        assert read(cls, {}.get) == cls()
    assert keys["lambda.idle_timeout"] == 300.0 and keys["lambda.concurrency"] == 1000
    assert keys["lambda.async_retry_delays"] == (60.0, 120.0) and keys["lambda.isolation"] == "auto"
    assert keys["ecr.gc_interval_seconds"] == 600.0 and keys["ecr.create_on_push"] is True
    assert keys["s3.gc_grace_seconds"] == 3600.0 and keys["dns.follow_interval"] == 1.0
    assert keys["ecs.subnet"] == "10.213.0.0/16" and keys["api.max_body_bytes"] == 128 * 1024 * 1024
    assert keys["auth.keys"] == "test:test" and keys["default_region"] == "us-east-1"
    assert len(keys) == sum(len(entries(c)) for c in classes)  # no key declared twice


def test_lambda_isolation_takes_auto_or_any_boolean_word():
    from gureum.services.lambda_.settings import LambdaSettings

    assert read(LambdaSettings, {}.get).isolate is None
    assert read(LambdaSettings, {"lambda.isolation": "Yes"}.get).isolate is True
    assert read(LambdaSettings, {"lambda.isolation": "off"}.get).isolate is False
    with pytest.raises(SettingError, match="lambda.isolation"):
        read(LambdaSettings, {"lambda.isolation": "sometimes"}.get)
