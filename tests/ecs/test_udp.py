"""UDP port mappings: the datagram proxy (a per-client upstream socket, closed when idle)
and a task publishing a UDP echo server's port."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess

import pytest
from waiting import wait_for

from gureum.sandbox import network as net

from .images import build_image, containers_skip_reason, push
from .test_api import uniq, wait_status
from .test_tasks import register, run, watch

ECHO_C = r"""
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(atoi(argv[1]));
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0) return 1;
    char buf[65536];
    for (;;) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) continue;
        buf[n < 65535 ? n : 65535] = 0;
        sendto(s, buf, n, 0, (struct sockaddr *)&from, fl);
    }
}
"""


def test_udp_proxy_keeps_a_socket_per_client_and_closes_idle_ones():
    async def main() -> None:
        loop = asyncio.get_running_loop()

        class Echo(asyncio.DatagramProtocol):
            def connection_made(self, transport):  # type: ignore[no-untyped-def]
                self.t = transport

            def datagram_received(self, data, addr):  # type: ignore[no-untyped-def]
                self.t.sendto(data + f"@{addr[1]}".encode(), addr)

        echo_t, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
        target = echo_t.get_extra_info("sockname")
        proxy = await net.publish("127.0.0.1", 0, target, "udp")
        assert isinstance(proxy, net.UdpProxy)
        proxy.idle = 0.3
        clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        try:
            replies = []
            for i, c in enumerate(clients):
                c.settimeout(5)
                c.sendto(f"hi{i}".encode(), ("127.0.0.1", proxy.host_port))
                replies.append(await loop.run_in_executor(None, c.recvfrom, 1024))
            # each client got its own answer, from the published port, via its own upstream socket
            assert [r[0].split(b"@")[0] for r in replies] == [b"hi0", b"hi1"]
            assert all(r[1][1] == proxy.host_port for r in replies)
            assert len({r[0].split(b"@")[1] for r in replies}) == 2
            assert len(proxy.clients) == 2
            # idle upstream sockets are closed by the reaper (it runs every min(idle, 5) s)
            # (polled from a worker thread: the proxy's reaper runs on this loop)
            await loop.run_in_executor(None, wait_for, "idle upstream sockets closed", lambda: not proxy.clients, 5.0, 0.1)
            assert proxy.clients == {}
            clients[0].sendto(b"again", ("127.0.0.1", proxy.host_port))
            data, _ = await loop.run_in_executor(None, clients[0].recvfrom, 1024)
            assert data.startswith(b"again@")
        finally:
            for c in clients:
                c.close()
            await proxy.close()
            echo_t.close()

    asyncio.run(main())


@pytest.fixture(scope="module")
def udp_image(gureum, tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc (with a static libc) to build the UDP echo server")
    d = tmp_path_factory.mktemp("udp-echo")
    (d / "echo.c").write_text(ECHO_C)
    res = subprocess.run(["gcc", "-static", "-O1", "-o", str(d / "udp-echo"), str(d / "echo.c")], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        pytest.skip(f"cannot build a static binary: {res.stderr[-300:]}")
    layout = d / "layout"
    build_image(layout, "v1", env=["PATH=/bin"], copy_files={"/bin/udp-echo": d / "udp-echo"})
    repo = uniq("ecs-udp")
    gureum.client("ecr").create_repository(repositoryName=repo)
    uri = f"127.0.0.1:{gureum.port}/{repo}:v1"
    push(layout, "v1", uri)
    return uri


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_a_udp_port_mapping_is_published(ecs, udp_image):
    td = register(ecs, udp_image, [{"name": "echo", "command": ["/bin/udp-echo", "5353"], "portMappings": [{"containerPort": 5353, "protocol": "udp"}], "stopTimeout": 2}])
    arn = run(ecs, td)
    task, _ = watch(ecs, arn, "RUNNING")
    binding = task["containers"][0]["networkBindings"][0]
    assert binding["protocol"] == "udp" and binding["containerPort"] == 5353
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        data = b""
        for _ in range(40):  # the server may not be bound yet: retry
            s.sendto(b"ping", (binding["bindIP"], binding["hostPort"]))
            try:
                data, _ = s.recvfrom(1024)
                break
            except TimeoutError:
                continue
        assert data == b"ping"
    finally:
        s.close()
    ecs.stop_task(task=arn)
    wait_status(ecs, arn, "STOPPED")
