"""The parts the cluster failure suite kills: gureum nodes each in its own network namespace
(tests/cluster/netns.py) on one PostgreSQL, and that PostgreSQL.

A node listens on 0.0.0.0 inside its namespace — the AWS API on port 4566 and DNS on port 53
(every namespace has its own ports) — so the host reaches it at the namespace's address and
its Lambda sandboxes reach it on its own loopback. Its data directory survives a kill, so a
restarted node is the same node (its id, its claims). `crash()` is a machine dying: kill -9 of
the node and of every process it started (sandboxes), nothing cleaned up."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from harness import GureumProcess
from pg import PgCluster

from cluster.netns import ClusterNetwork

API_PORT = 4566
DNS_PORT = 53


class NetnsNode(GureumProcess):
    """A `gureum up` run with `ip netns exec` in namespace `index` of `net`."""

    def __init__(self, data_dir: Path, net: ClusterNetwork, index: int, extra_args: list[str]) -> None:
        super().__init__(data_dir, extra_args)
        self.net = net
        self.index = index
        self.address = net.address(index)
        self.port = API_PORT
        self.dns_port = DNS_PORT

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}:{self.port}"

    def role_args(self) -> list[str]:
        return ["up", "--host", "0.0.0.0"]

    def command(self) -> list[str]:
        return [*self.net.exec_prefix(self.index), *super().command()]

    def crash(self) -> None:
        """kill -9 the node and everything it started, as a power cut would."""
        if self.proc is None:
            return
        children = self.descendants()
        self.proc.send_signal(signal.SIGKILL)
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.proc = None


def restart_postgres(pg: PgCluster) -> None:
    """Stop `pg` at once (`-m immediate`: no checkpoint, connections cut, as a crash) and start
    it again on the same data, port and options (pg_ctl reuses postmaster.opts)."""
    assert pg.dir is not None, "PostgreSQL is not running"
    res = subprocess.run(
        pg._cmd(str(pg.bin / "pg_ctl"), "-D", str(pg.dir / "data"), "-l", str(pg.dir / "log"),
                "-m", "immediate", "-w", "-t", "60", "restart"),
        capture_output=True, text=True, check=False, timeout=90,
    )  # fmt: skip
    if res.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not restart: {res.stdout}{res.stderr}{pg.log_tail()}")


