"""gureum/ports.py's loader: every port a manifest declares loads by name and satisfies its
Protocol; a port no package offers is an error, not a silent None."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gureum.app import App
from gureum.config import Config
from gureum.ports import (
    FUNCTIONS,
    LOGS,
    QUEUES,
    TOPICS,
    PortKey,
    PortMissing,
    QueuePort,
    port,
)
from gureum.services import registry

KEYS: list[PortKey[Any]] = [QUEUES, TOPICS, FUNCTIONS, LOGS]


def test_the_manifests_offer_exactly_the_ports_gureum_ports_names() -> None:
    assert sorted(registry.PORTS) == sorted(k.name for k in KEYS)


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.name)
def test_each_port_loads_from_its_manifest_and_implements_its_protocol(tmp_path: Path, key: PortKey[Any]) -> None:
    impl = port(App(Config(data_dir=tmp_path)), key)
    assert isinstance(impl, key.kind)
    assert type(impl).__module__ == registry.PORTS[key.name].partition(":")[0]


def test_a_port_no_package_offers_raises_port_missing(tmp_path: Path) -> None:
    with pytest.raises(PortMissing, match="no service offers the 'nowhere' port"):
        port(App(Config(data_dir=tmp_path)), PortKey("nowhere", QueuePort))
