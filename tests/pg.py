"""A throwaway PostgreSQL cluster for tests: initdb in a temp dir, unix socket in that dir.

    with PgCluster() as url: ...          # or: cluster = PgCluster(); url = cluster.start()

As root, PostgreSQL refuses to run, so the cluster runs as the `postgres` system user, or as
a `gureum-pg` system user created on first use. Tuned for speed (fsync off): test data only.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

PG_VERSIONS = ("15", "16", "17", "14", "13")


def find_pg_bin() -> Path | None:
    """The directory holding initdb/pg_ctl/postgres, or None when PostgreSQL is not installed."""
    for version in PG_VERSIONS:
        d = Path(f"/usr/lib/postgresql/{version}/bin")
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(d, "initdb").exists():
            return Path(d)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(os.path.realpath(initdb)).parent
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as_user() -> str | None:
    """None when we are not root; else the unprivileged user to run PostgreSQL as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "gureum-pg"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "gureum-pg"],
        check=True,
        capture_output=True,
    )
    return "gureum-pg"


class PgCluster:
    def __init__(self, bin_dir: Path | None = None, *, durable: bool = False) -> None:
        """`durable=False` (tests) turns fsync off; True keeps PostgreSQL's defaults (benchmarks)."""
        found = bin_dir or find_pg_bin()
        if found is None:
            raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql-15)")
        self.bin = found
        self.durable = durable
        self.dir: Path | None = None
        self.port = 0
        self.url = ""

    def _cmd(self, *args: str) -> list[str]:
        return ([] if self.user is None else ["runuser", "-u", self.user, "--"]) + list(args)

    def start(self) -> str:
        from harness import refuse_in_unit_test

        refuse_in_unit_test("a PostgreSQL server")
        self.user = _run_as_user()
        self.dir = Path(tempfile.mkdtemp(prefix="gureum-pg-"))
        if self.user is not None:
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = self.dir / "data"
        subprocess.run(
            self._cmd(
                str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ),
            check=True,
            capture_output=True,
        )
        last_error = ""
        for _attempt in range(5):
            self.port = _free_port()
            opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
            if not self.durable:
                opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            r = subprocess.run(
                self._cmd(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"),
                          "-o", opts, "-w", "-t", "60", "start"),
                capture_output=True,
                text=True,
                check=False,
            )
            if r.returncode == 0:
                self.url = f"postgresql://postgres@/postgres?host={quote(str(self.dir), safe='')}&port={self.port}"
                return self.url
            last_error = r.stdout + r.stderr + self.log_tail()
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")

    def log_tail(self, n: int = 4000) -> str:
        try:
            return (self.dir / "log").read_text()[-n:]  # type: ignore[operator]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.dir is None:
            return
        if (self.dir / "data" / "postmaster.pid").exists():
            subprocess.run(
                self._cmd(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"),
                capture_output=True,
                check=False,
            )
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_postgres() -> tuple[str, PgCluster]:
    """Start a throwaway cluster; returns (url, cluster) — call cluster.stop() when done."""
    cluster = PgCluster()
    return cluster.start(), cluster
