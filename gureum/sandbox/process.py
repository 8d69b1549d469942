"""Sandboxed process trees: what to run (SandboxSpec) and a running tree (Sandbox).

`SandboxHost` is per node: it finds out once what the host allows and starts sandboxes
either *isolated* (root on Linux: the C launcher gives the tree its own mount, pid, ipc and
uts namespaces, a new read-only root with only the mounts asked for, a private /tmp, a
cgroup with memory/cpu/pids limits and an unprivileged uid, no_new_privs and a seccomp
filter; optionally a private network namespace from `netns`, pooled per port set) or as *plain processes* (no
root or no namespaces: a new session per tree, paths on the host, no limits beyond what
the OS gives). Both modes keep the same contract: start, read output, wait, kill the whole
tree, measure peak memory where possible, tell an OOM kill apart; isolated trees can also
be frozen and thawed (cgroup freezer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from gureum.sandbox import netns
from gureum.sandbox.cgroups import Cgroup, CgroupManager, Limits
from gureum.sandbox.launcher import default_cache_dir, launcher_path
from gureum.sandbox.network import Bridge

log = logging.getLogger("gureum.sandbox")

SANDBOX_UID = 993  # the uid/gid AWS Lambda's sandboxes use (sbx_user1051)
SANDBOX_GID = 990
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
_GROUP_PREFIX = "sbx-"
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


@dataclass(frozen=True)
class Mount:
    """One entry of the sandbox's file system view, applied in order.

    kind: "bind" (read-only), "bind-rw", "tmpfs" (size_mb), "symlink" (src = link target),
    "dir" or "proc". `dst` is the path inside the sandbox.
    """

    kind: str
    dst: str
    src: str = ""
    size_mb: int = 0

    def args(self) -> list[str]:
        if self.kind in ("bind", "bind-rw", "symlink"):
            return [f"--{self.kind}", f"{self.src}:{self.dst}"]
        if self.kind == "tmpfs":
            return ["--tmpfs", f"{self.dst}:{self.size_mb}"]
        return [f"--{self.kind}", self.dst]


@dataclass
class SandboxSpec:
    argv: list[str]
    env: dict[str, str]
    mounts: list[Mount] = field(default_factory=list)  # besides the base system view
    cwd: str = "/"
    hostname: str = "sandbox"
    limits: Limits = field(default_factory=Limits)
    tmp_size_mb: int = 512
    uid: int = SANDBOX_UID
    gid: int = SANDBOX_GID
    root_dir: str | None = None  # isolated only: this tree (read-only) instead of the host's system dirs
    system: list[Mount] | None = None  # isolated only: this system view instead of the host's system dirs
    netns_fd: int | None = None  # isolated only: join this network namespace (else the host's)
    stdin_pipe: bool = False  # the tree's stdin is a pipe the host writes once (Sandbox.feed), else /dev/null


class SandboxHost:
    """Starts sandboxes on this node; `isolated` says whether namespaces and cgroups are used."""

    def __init__(self, work_dir: Path, *, isolate: bool | None = None) -> None:
        self.work_dir = work_dir
        self.launcher: Path | None = None
        self.cgroups: CgroupManager | None = None
        self.reason = ""
        want = isolate if isolate is not None else True
        if not want:
            self.reason = "isolation turned off by configuration"
        elif os.geteuid() != 0 or not os.path.exists("/proc/self/ns/pid"):
            self.reason = "not root: sandboxes run as plain processes without limits"
        else:
            try:
                self.launcher = launcher_path(default_cache_dir())
            except OSError:  # cache not writable: build next to the sandboxes
                self.launcher = launcher_path(work_dir / "bin")
            if self.launcher is None:
                self.reason = "no C compiler to build the sandbox launcher: plain processes"
            else:
                self.cgroups = CgroupManager.detect()
                if self.cgroups is None:
                    self.reason = "no writable cgroups: namespaces without resource limits"
        self.isolated = self.launcher is not None
        # Private network namespaces (netns.py) need root as well; pools per port set.
        self.private_network = self.isolated and netns.supported()
        self._pools: dict[tuple[tuple[int, ...], tuple[int, ...]], netns.NetnsPool] = {}
        self.bridge: Bridge | None = None  # set up by the owner: namespaces then get an address on it
        self._root_mnt = work_dir / "rootfs-mnt"
        if self.isolated:
            self._root_mnt.mkdir(parents=True, exist_ok=True)
            if self.cgroups is not None:
                self.cgroups.sweep()

    async def network(self, ports: tuple[int, ...], udp_ports: tuple[int, ...] = ()) -> netns.Netns:
        """A private network namespace with listening sockets on 127.0.0.1:`ports` (TCP)
        and `udp_ports` inside (from a pool kept warm per port set), attached to `bridge`
        when one is set."""
        pool = self._pools.get((ports, udp_ports))
        if pool is None:
            pool = self._pools[(ports, udp_ports)] = netns.NetnsPool(ports, bridge=self.bridge, udp_ports=udp_ports)
        return await pool.take()

    async def release_network(self, ns: netns.Netns, ports: tuple[int, ...], udp_ports: tuple[int, ...] = ()) -> None:
        """Hand back a namespace from network() once no process of its sandbox is left."""
        pool = self._pools.get((ports, udp_ports))
        if pool is None:
            await ns.aclose()
        else:
            await pool.give_back(ns)

    async def close(self) -> None:
        """Drop the namespaces kept ready."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.close()

    def base_mounts(self, tmp_size_mb: int) -> list[Mount]:
        """The system view every sandbox gets: host system dirs read-only, a few devices,
        a new /proc, a private /tmp and /dev/shm."""
        out: list[Mount] = []
        for d in _SYSTEM_DIRS:
            if os.path.islink(d):
                out.append(Mount("symlink", d, os.readlink(d)))
            elif os.path.isdir(d):
                out.append(Mount("bind", d, d))
        return out + self._common_mounts(tmp_size_mb)

    def image_mounts(self, root_dir: str, tmp_size_mb: int) -> list[Mount]:
        """The view of a sandbox whose root is an unpacked image: each top-level entry of
        `root_dir` read-only (symlinks as they are), then devices, /proc and /tmp."""
        out: list[Mount] = []
        for name in sorted(os.listdir(root_dir)):
            if name in ("dev", "proc", "tmp", "sys") or ":" in name:
                continue
            path = os.path.join(root_dir, name)
            if os.path.islink(path):
                out.append(Mount("symlink", "/" + name, os.readlink(path)))
            elif os.path.isdir(path) or os.path.isfile(path):
                out.append(Mount("bind", "/" + name, path))
        return out + self._common_mounts(tmp_size_mb)

    def _common_mounts(self, tmp_size_mb: int) -> list[Mount]:
        out: list[Mount] = []
        out.append(Mount("dir", "/dev"))
        for dev in _DEVICES:
            if os.path.exists(dev):
                out.append(Mount("bind-rw", dev, dev))
        out += [
            Mount("symlink", "/dev/fd", "/proc/self/fd"),
            Mount("symlink", "/dev/stdin", "/proc/self/fd/0"),
            Mount("symlink", "/dev/stdout", "/proc/self/fd/1"),
            Mount("symlink", "/dev/stderr", "/proc/self/fd/2"),
            Mount("tmpfs", "/dev/shm", size_mb=64),
            Mount("proc", "/proc"),
            Mount("tmpfs", "/tmp", size_mb=tmp_size_mb),
        ]
        return out

    async def start(self, spec: SandboxSpec, *, name: str | None = None) -> Sandbox:
        """Start the tree; its stdout and stderr come merged through `Sandbox.stdout`."""
        name = name or uuid.uuid4().hex[:12]
        cgroup: Cgroup | None = None
        if not self.isolated:
            proc = await asyncio.create_subprocess_exec(
                *spec.argv,
                env=spec.env,
                cwd=spec.cwd,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
            return Sandbox(proc, None, isolated=False)
        assert self.launcher is not None
        args = [str(self.launcher)]
        if self.cgroups is not None:
            cgroup = await asyncio.to_thread(self.cgroups.create, _GROUP_PREFIX + name, spec.limits)
            for path in cgroup.join_paths:
                args += ["--cgroup", path]
        if spec.netns_fd is not None:
            args += ["--netns", str(spec.netns_fd)]
        args += ["--root", str(self._root_mnt), "--hostname", spec.hostname]
        args += ["--uid", str(spec.uid), "--gid", str(spec.gid), "--cwd", spec.cwd]
        if spec.root_dir:
            base = self.image_mounts(spec.root_dir, spec.tmp_size_mb)
        elif spec.system is not None:
            base = spec.system + self._common_mounts(spec.tmp_size_mb)
        else:
            base = self.base_mounts(spec.tmp_size_mb)
        for m in base + spec.mounts:
            args += m.args()
        args.append("--")
        args += spec.argv
        try:
            proc = await asyncio.create_subprocess_exec(
                *args,
                env=spec.env,
                stdin=asyncio.subprocess.PIPE if spec.stdin_pipe else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                pass_fds=() if spec.netns_fd is None else (spec.netns_fd,),
            )
        except BaseException:
            if cgroup is not None:
                await asyncio.to_thread(cgroup.remove)
            raise
        return Sandbox(proc, cgroup, isolated=True)


class Sandbox:
    """A running process tree."""

    def __init__(self, proc: asyncio.subprocess.Process, cgroup: Cgroup | None, *, isolated: bool) -> None:
        self.proc = proc
        self.cgroup = cgroup
        self.isolated = isolated
        self._destroyed = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def stdout(self) -> asyncio.StreamReader:
        assert self.proc.stdout is not None
        return self.proc.stdout

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    async def wait(self) -> int:
        return await self.proc.wait()

    def memory_peak(self) -> int:
        return self.cgroup.memory_peak() if self.cgroup is not None else 0

    def reset_peak(self) -> None:
        if self.cgroup is not None:
            self.cgroup.reset_peak()

    def set_cpu_shares(self, shares: int) -> None:
        """Change the tree's CPU weight (1024 = one default share; no-op without a cgroup)."""
        if self.cgroup is not None and not self._destroyed:
            self.cgroup.set_cpu_shares(shares)

    def set_limits(self, limits: Limits) -> None:
        """Change the tree's memory, CPU and pids limits while it runs (no-op without a cgroup)."""
        if self.cgroup is not None and not self._destroyed:
            self.cgroup.resize(limits)

    def feed(self, data: bytes) -> None:
        """Write `data` to the tree's stdin (a SandboxSpec.stdin_pipe tree) and close it. Raises
        OSError when the tree is gone or its stdin is not a pipe."""
        stdin = self.proc.stdin
        if stdin is None or self.proc.returncode is not None:
            raise BrokenPipeError("the sandbox takes no input")
        stdin.write(data)
        stdin.close()

    def oom_killed(self) -> bool:
        return self.cgroup is not None and self.cgroup.oom_kills() > 0

    @property
    def can_freeze(self) -> bool:
        return self.cgroup is not None and self.cgroup.can_freeze

    def finished(self) -> bool:
        """Whether no process of the tree is left (after destroy(): the launcher reaped,
        its cgroup empty and removed)."""
        return self.proc.returncode is not None and (self.cgroup is None or not self.cgroup.pids())

    def freeze(self) -> None:
        """Stop every process of the tree until thaw() (no-op without a freezer)."""
        if self.cgroup is not None and not self._destroyed:
            self.cgroup.freeze()

    def thaw(self) -> None:
        if self.cgroup is not None:
            self.cgroup.thaw()

    def kill(self) -> None:
        """SIGKILL the whole tree now (the launcher's death takes its namespace with it)."""
        with contextlib.suppress(ProcessLookupError):
            if self.isolated:
                self.proc.kill()
            else:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.thaw()  # frozen tasks act on SIGKILL only once thawed

    async def destroy(self) -> None:
        """Kill the tree, reap it and remove its cgroup. Safe to call twice."""
        if self._destroyed:
            return
        self._destroyed = True
        self.kill()
        if self.cgroup is not None:
            # Every process of the group, not only those the launcher's death reaches: a
            # freeze that stopped INIT before its PR_SET_PDEATHSIG leaves it (and the program
            # it then forks) alive past the launcher, holding the output pipe proc.wait() waits on.
            await asyncio.to_thread(self.cgroup.kill_all)
        with contextlib.suppress(ProcessLookupError):
            await self.proc.wait()
        if not self.isolated:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.remove)
