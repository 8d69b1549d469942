"""The parts the cluster failure suite kills: gureum nodes each in its own network namespace
(tests/cluster/netns.py) on one PostgreSQL, and that PostgreSQL.

A node listens on 0.0.0.0 inside its namespace — the AWS API on port 4566 and DNS on port 53
(every namespace has its own ports) — so the host reaches it at the namespace's address and
its Lambda sandboxes reach it on its own loopback. Its data directory survives a kill, so a
restarted node is the same node (its id, its claims). `crash()` is a machine dying: kill -9 of
the node and of every process it started (sandboxes), nothing cleaned up."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
from pathlib import Path

from harness import GureumProcess
from pg import PgCluster

from cluster.netns import ClusterNetwork

API_PORT = 4566
DNS_PORT = 53


class NetnsNode(GureumProcess):
    """A `gureum up` run (nsenter) in namespace `index` of `net`."""

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


def stop_postgres(pg: PgCluster) -> list[str]:
    """Stop `pg` at once (`-m immediate`: no checkpoint, every connection cut, as a crash);
    returns the server's options, for start_postgres."""
    assert pg.dir is not None, "PostgreSQL is not running"
    opts = shlex.split((pg.dir / "data" / "postmaster.opts").read_text())[1:]  # after the binary
    _pg_ctl(pg, "-m", "immediate", "-w", "stop")
    return opts


def start_postgres(pg: PgCluster, opts: list[str]) -> None:
    """Start `pg` again on the same data, port and options."""
    server = [a for k, a in enumerate(opts) if a != "-D" and (k == 0 or opts[k - 1] != "-D")]
    _pg_ctl(pg, "-o", shlex.join(server), "-w", "-t", "60", "start")


def _pg_ctl(pg: PgCluster, *args: str) -> None:
    assert pg.dir is not None, "PostgreSQL was never started"
    res = subprocess.run(pg._cmd(str(pg.bin / "pg_ctl"), "-D", str(pg.dir / "data"), "-l", str(pg.dir / "log"), *args),
                         capture_output=True, text=True, check=False, timeout=90)  # fmt: skip
    if res.returncode != 0:
        raise RuntimeError(f"pg_ctl {' '.join(args)}: {res.stdout}{res.stderr}{pg.log_tail()}")
