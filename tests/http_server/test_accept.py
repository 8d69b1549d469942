"""The accept loop out of file descriptors: it pauses instead of spinning, and logs once."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket

import pytest

from gureum.http.accept import Acceptor


class OutOfDescriptors(socket.socket):
    """A real listening socket whose accept() fails as it does when the process has no fd left."""

    calls = 0

    def accept(self) -> tuple[socket.socket, object]:  # type: ignore[override]
        self.calls += 1
        raise OSError(errno.EMFILE, "Too many open files")


def test_out_of_descriptors_pauses_accepting_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> int:
        sock = OutOfDescriptors(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        clients = [socket.create_connection(sock.getsockname()) for _ in range(4)]  # readable from now on
        acceptor = Acceptor(sock, lambda address: asyncio.Protocol(), per_client=10, total=10, name="t",
                            retry_delay=0.5)
        acceptor.start()
        await asyncio.sleep(1.2)  # real time: the period observed, not synchronisation
        calls = sock.calls
        await acceptor.close()
        for c in clients:
            c.close()
        return calls

    with caplog.at_level(logging.ERROR, logger="gureum.net"):
        calls = asyncio.run(scenario())
    # asyncio's own loop calls accept() once per backlog slot per wake-up and logs each;
    # here: one call per retry period.
    assert 1 <= calls <= 5
    assert len([r for r in caplog.records if "accept failed" in r.getMessage()]) == 1
