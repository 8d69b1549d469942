"""Idle components (issue 28, a leaner node; gureum/services/manifest.py `Idle`): a fresh node
serves DNS and idles the rest, /_gureum/health saying `idle` and `ready`; a component starts
when its service is called, starts with the node when the store holds its work, and on a
node sharing a PostgreSQL store starts when another node handed it work through the store,
though nobody called this node; `components.lazy=false` starts every component at once; the
resolver (started with the node) wakes the registry's root zone with its first query."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import GureumProcess, free_port
from waiting import wait_for


def _components(node: GureumProcess) -> dict[str, str]:
    return {name: c["state"] for name, c in node.health()["components"].items()}


def _in_state(node: GureumProcess, name: str, state: str) -> dict[str, str] | None:
    states = _components(node)
    return states if states.get(name) == state else None


def test_a_fresh_node_idles_its_components_until_their_service_is_called(tmp_path: Path) -> None:
    node = GureumProcess(tmp_path / "data")
    node.start()
    try:
        doc = node.health()
        assert doc["ready"] is True
        states = _components(node)
        assert states["dns"] == "running"
        assert states["sns"] == "idle" and states["lambda"] == "idle" and states["ecr"] == "idle"
        assert doc["services"]["sns"]["state"] == "available"  # its API answers meanwhile
        node.client("sns").create_topic(Name="wakes-sns")
        assert node.health()["ready"] is True  # a component starting on its first work keeps the node in service
        wait_for("the sns component running once SNS was called", lambda: _in_state(node, "sns", "running"), timeout=30)
        assert _components(node)["lambda"] == "idle"  # nobody called Lambda
        node.restart()  # the store holds a topic now: the component starts with the node
        states = _components(node)
        assert states["sns"] in ("starting", "running")
        assert states["lambda"] == "idle"
        wait_for("the sns component running after the restart", lambda: _in_state(node, "sns", "running"), timeout=30)
        assert [t["TopicArn"].rsplit(":", 1)[1] for t in node.client("sns").list_topics()["Topics"]] == ["wakes-sns"]
    finally:
        node.stop()


def test_a_component_woken_once_the_node_serves_keeps_the_node_ready_while_it_starts(tmp_path: Path) -> None:
    """A component woken by a call once the node serves, here ECS's (it makes the task
    network as it starts), does not take the node out of service: health stays 200, ready."""
    node = GureumProcess(tmp_path / "data")
    node.start()
    try:
        seen: list[tuple[bool, str]] = []

        def ecs_running() -> bool:
            doc = node.health(starting_ok=True)  # a 503 is recorded, not raised
            seen.append((doc["ready"], doc["components"]["ecs"]["state"]))
            return seen[-1][1] == "running"

        assert _components(node)["ecs"] == "idle"
        node.client("ecs").list_clusters()
        wait_for("the ecs component running once ECS was called", ecs_running, timeout=60, interval=0.005)
        assert all(ready for ready, _ in seen), seen
    finally:
        node.stop()


def test_components_lazy_false_starts_every_component_with_the_node(tmp_path: Path) -> None:
    node = GureumProcess(tmp_path / "data", extra_args=["--set", "components.lazy=false"])
    node.start()
    try:
        def all_running() -> dict[str, str] | None:
            states = _components(node)
            return states if all(v == "running" for v in states.values()) else None

        states = wait_for("every component running", all_running, timeout=60)
        assert "idle" not in states.values() and "sns" in states
    finally:
        node.stop()


@pytest.fixture()
def two(pg_database: str, tmp_path: Path) -> Iterator[list[GureumProcess]]:
    args = ["--state", pg_database, "--set", f"storage.blob_dir={tmp_path / 'blobs'}", "--set", "components.wake_interval=0.2"]
    nodes = [GureumProcess(tmp_path / name, extra_args=args) for name in "ab"]
    try:
        for n in nodes:
            n.start()
        yield nodes
    finally:
        for n in nodes:
            n.stop()


def test_a_node_nobody_called_starts_a_component_when_another_node_hands_it_work(two: list[GureumProcess]) -> None:
    a, b = two
    assert _components(b)["secretsmanager.sweep"] == "idle"
    sm: Any = a.client("secretsmanager")
    sm.create_secret(Name="handed-over", SecretString="s3cr3t")
    # b was not called: it finds the secret in the shared store and starts the sweep that may
    # claim it (the component of whichever node runs it)
    wait_for("b's secretsmanager sweep running", lambda: _in_state(b, "secretsmanager.sweep", "running"), timeout=30)
    assert _components(b)["lambda"] == "idle"


def test_the_resolvers_first_query_wakes_the_registry_root_it_iterates_from(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("dig") is None:
        pytest.skip("dig is not installed")
    port = free_port()
    node = GureumProcess(tmp_path / "data", extra_args=["--set", f"resolver.port={port}"])
    node.start()
    try:
        states = _components(node)
        assert states["resolver"] == "running" and states["domains-registry"] == "idle"
        out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+tries=1", "+time=10", "com", "NS"],
                             capture_output=True, text=True, timeout=30, check=False).stdout
        assert "status: NOERROR" in out and "a.nic.com." in out, out  # from the registry's TLD delegation
        assert _components(node)["domains-registry"] == "running"
        assert _components(node)["domains-operations"] == "idle"  # only the zones were needed
    finally:
        node.stop()
