"""Task networks: a namespace per task with its own address on the gureum bridge, reachable
from the host; ports published on loopback by the asyncio proxy."""

from __future__ import annotations

import asyncio
import os
import subprocess

import pytest
from waiting import wait_for_async

from gureum.sandbox import network as net

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


@pytest.fixture
def bridge():
    b = net.Bridge()
    b.setup()
    if not b.available:
        pytest.skip(b.reason)
    return b


def test_two_tasks_get_distinct_addresses_reachable_from_the_host(bridge):
    a = bridge.create(os.urandom(16).hex())
    b = bridge.create(os.urandom(16).hex())
    try:
        assert a.ip != b.ip and a.ip.startswith("10.213.")
        assert os.path.exists(a.path)
        # ping the task from the host, and task b from task a
        subprocess.run(["ip", "netns", "exec", a.netns, "busybox", "ping", "-c", "1", "-W", "2", b.ip], check=True, capture_output=True)
        subprocess.run(["busybox", "ping", "-c", "1", "-W", "2", a.ip], check=True, capture_output=True)
        # no default route: nothing leaves the machine
        routes = subprocess.run(["ip", "-n", a.netns, "route"], capture_output=True, text=True, check=True).stdout
        assert "default" not in routes
    finally:
        bridge.destroy(a)
        bridge.destroy(b)
    assert not os.path.exists(a.path)
    assert not (net.LEASES / a.ip).exists()


def test_networks_made_together_are_each_reachable_and_a_bad_one_fails_alone(bridge):
    ids = [os.urandom(16).hex() for _ in range(3)]
    made = bridge.create_many([*ids, ids[0]])  # the last names a namespace that exists by then
    good = [tn for tn in made if isinstance(tn, net.TaskNetwork)]
    try:
        assert [type(tn) for tn in made] == [net.TaskNetwork] * 3 + [net.NetworkError], made
        assert len({tn.ip for tn in good}) == 3
        for tn in good:
            addrs = subprocess.run(["ip", "-n", tn.netns, "-o", "addr"], capture_output=True, text=True, check=True).stdout
            assert f"inet {tn.ip}/{tn.prefix}" in addrs and " lo " in addrs
            link = subprocess.run(["ip", "-n", tn.netns, "link", "show", "eth0"], capture_output=True, text=True, check=True).stdout
            assert tn.mac in link and "UP" in link
        subprocess.run(["ip", "netns", "exec", good[0].netns, "busybox", "ping", "-c", "1", "-W", "2", good[2].ip], check=True, capture_output=True)
        subprocess.run(["busybox", "ping", "-c", "1", "-W", "2", good[1].ip], check=True, capture_output=True)
    finally:
        for tn in good:
            bridge.destroy(tn)
    assert not any(os.path.exists(tn.path) or (net.LEASES / tn.ip).exists() for tn in good)


def test_a_host_route_is_added_in_each_task_namespace(bridge):
    bridge.host_routes.append("169.254.170.2")
    tn = bridge.create(os.urandom(16).hex())
    try:
        routes = subprocess.run(["ip", "-n", tn.netns, "route"], capture_output=True, text=True, check=True).stdout
        assert "169.254.170.2 dev eth0 scope link" in routes
        assert "default" not in routes
    finally:
        bridge.destroy(tn)


def test_published_port_forwards_to_the_task(bridge):
    tn = bridge.create(os.urandom(16).hex())
    server = subprocess.Popen(["ip", "netns", "exec", tn.netns, "busybox", "nc", "-l", "-p", "7000", "-e", "busybox", "echo", "pong"])

    async def go() -> bytes:
        proxy = await net.publish("127.0.0.1", 0, (tn.ip, 7000))
        try:
            async def answer() -> bytes:  # empty until the task's server listens
                try:
                    r, w = await asyncio.open_connection("127.0.0.1", proxy.host_port)
                    data = await asyncio.wait_for(r.read(), 5)
                    w.close()
                    return data
                except OSError:
                    return b""

            return await wait_for_async("the task's server answering on the published port", answer, timeout=30)
        finally:
            await proxy.close()

    try:
        assert asyncio.run(go()) == b"pong\n"
    finally:
        server.kill()
        server.wait()
        bridge.destroy(tn)
