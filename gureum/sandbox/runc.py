"""Containers through an OCI runtime, runc or crun: OCI bundle generation (image config merged
with what the caller asks for, Docker's rules) and the runtime lifecycle (run in the
foreground; runc with --keep so the exit status and the cgroup's OOM counter can be read
before `runc delete`).

The runtime runs as our child (`runc run` / `crun run`, no terminal), forwards signals, and
exits with the container's status (128+n when killed by signal n), so waiting for a container
is waiting for a child process; its stdout/stderr are pipes we read. Both speak the same CLI
for what is used here (run --no-new-keyring --pid-file --bundle, kill [--all] ID SIGNUM,
exec, delete --force, state directories under --root), with two differences:

- `crun run` has no --keep: it deletes the container and its cgroup when the container
  exits, so a container-level memory cgroup's OOM counter is gone by the time we look (the
  task-level cgroup, made by gureum, is still read);
- crun 1.8 refuses to run anything on a hybrid cgroup host whose cgroup2 hierarchy has
  controllers ("cgroups in hybrid mode not supported"); `crun_problem` tells, and `resolve`
  (the `ecs.oci_runtime` setting: auto, runc, crun) only picks crun for `auto` when it can run.

Notes from this host (DESIGN.md): `process.rlimits` may only lower limits, cgroup v1 hybrid
(so crun cannot run here: `auto` is runc), runc ~20 ms per start. Where crun runs (measured in a
mount namespace without the cgroup2 mount), a bare create+start takes about half runc's
(bench/ecs: 25-36 vs 52-67 ms) and RunTask -> RUNNING 61-68 vs 84-124 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNC = shutil.which("runc") or "/usr/sbin/runc"
RUNTIMES = ("auto", "runc", "crun")  # the values of ecs.oci_runtime
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_CAPS = [
    # Docker's default capability set (what ECS gives containers unless told otherwise).
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]  # fmt: skip


class ContainerError(Exception):
    """The container could not be created (bad user, missing executable, runc failure)."""


@dataclass
class ProcessSpec:
    """What runs: the merged entrypoint+command, environment, directory and user."""

    args: list[str]
    env: list[str]
    cwd: str = "/"
    user: str = ""  # "uid", "uid:gid", "name", "name:group" (resolved in the rootfs)


@dataclass
class BundleSpec:
    id: str
    rootfs: Path
    process: ProcessSpec
    hostname: str = ""
    netns: str | None = None  # path of the task's network namespace (None: host network)
    cgroups_path: str = ""
    memory_bytes: int | None = None
    memory_reservation_bytes: int | None = None
    cpu_shares: int | None = None
    pids_limit: int | None = 4096
    readonly_rootfs: bool = False
    binds: list[tuple[str, str, bool]] = field(default_factory=list)  # (host, container, readonly)
    files: dict[str, str] = field(default_factory=dict)  # container path -> host file (ro bind)
    rlimits: list[dict[str, Any]] = field(default_factory=list)


def merge_process(
    image_config: dict[str, Any],
    *,
    entry_point: list[str] | None,
    command: list[str] | None,
    environment: dict[str, str],
    working_directory: str | None,
    user: str | None,
) -> ProcessSpec:
    """Docker's merge of an image config with run-time settings: an entryPoint given at
    run time replaces the image's Entrypoint and drops its Cmd; a command replaces Cmd;
    environment entries override the image's by name."""
    img_ep = image_config.get("Entrypoint") or []
    img_cmd = image_config.get("Cmd") or []
    if entry_point:
        args = list(entry_point) + list(command or [])
    else:
        args = list(img_ep) + list(command if command else img_cmd)
    env: dict[str, str] = {}
    for item in image_config.get("Env") or []:
        k, _, v = item.partition("=")
        env[k] = v
    env.setdefault("PATH", DEFAULT_PATH)
    env.update(environment)
    return ProcessSpec(
        args=args,
        env=[f"{k}={v}" for k, v in env.items()],
        cwd=working_directory or image_config.get("WorkingDir") or "/",
        user=user if user else (image_config.get("User") or ""),
    )


def _lookup(path: Path, name: str, field_index: int) -> list[str] | None:
    try:
        with open(path) as f:
            for line in f:
                parts = line.rstrip("\n").split(":")
                if len(parts) > field_index and parts[0] == name:
                    return parts
    except OSError:
        pass
    return None


def resolve_user(rootfs: Path, user: str) -> tuple[int, int, list[int]]:
    """uid, gid and supplementary groups for Docker's `user` forms, read from the image's
    /etc/passwd and /etc/group (numeric ids need no entry)."""
    if not user:
        return 0, 0, []
    name, _, group = user.partition(":")
    if name.isdigit():
        uid = int(name)
        entry = None
        with contextlib.suppress(OSError), open(rootfs / "etc/passwd") as f:
            for line in f:
                p = line.split(":")
                if len(p) > 3 and p[2] == name:
                    entry = p
                    break
        gid = int(entry[3]) if entry else 0
    else:
        entry = _lookup(rootfs / "etc/passwd", name, 3)
        if entry is None:
            raise ContainerError(f"unable to find user {name}: no matching entries in passwd file")
        uid, gid = int(entry[2]), int(entry[3])
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            g = _lookup(rootfs / "etc/group", group, 2)
            if g is None:
                raise ContainerError(f"unable to find group {group}: no matching entries in group file")
            gid = int(g[2])
    return uid, gid, []


def _resolve_executable(rootfs: Path, spec: ProcessSpec) -> None:
    """Fail early (as Docker does) when the executable is not in the image."""
    if not spec.args:
        raise ContainerError("no command specified")
    exe = spec.args[0]
    if "/" in exe:
        candidates = [exe if exe.startswith("/") else os.path.join(spec.cwd, exe)]
    else:
        path = next((e[5:] for e in spec.env if e.startswith("PATH=")), DEFAULT_PATH)
        candidates = [os.path.join(d, exe) for d in path.split(":") if d]
    for c in candidates:
        if _exists_in(rootfs, c):
            return
    raise ContainerError(
        f'failed to create shim task: OCI runtime create failed: exec: "{exe}": executable file not found in $PATH'
        if "/" not in exe
        else f'failed to create shim task: OCI runtime create failed: exec: "{exe}": stat {exe}: no such file or directory'
    )


def _exists_in(rootfs: Path, path: str, depth: int = 0) -> bool:
    """Does `path` exist inside rootfs, following symlinks within it?"""
    if depth > 20:
        return False
    cur = rootfs
    parts = [p for p in path.split("/") if p and p != "."]
    for i, part in enumerate(parts):
        nxt = cur / part
        if nxt.is_symlink():
            target = os.readlink(nxt)
            if not target.startswith("/"):
                target = "/" + "/".join(parts[:i]) + "/" + target
            rest = "/".join(parts[i + 1 :])
            return _exists_in(rootfs, os.path.normpath(target + ("/" + rest if rest else "")), depth + 1)
        if not nxt.exists():
            return False
        cur = nxt
    return True


def bundle_config(spec: BundleSpec) -> dict[str, Any]:
    """The OCI runtime config (config.json) for one container."""
    uid, gid, extra = resolve_user(spec.rootfs, spec.process.user)
    _resolve_executable(spec.rootfs, spec.process)
    namespaces: list[dict[str, str]] = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
    namespaces.append({"type": "network", "path": spec.netns} if spec.netns else {"type": "network"})
    if spec.netns is None:
        namespaces.pop()  # host network
    mounts: list[dict[str, Any]] = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    ]  # fmt: skip
    for dst, src in spec.files.items():
        mounts.append({"destination": dst, "type": "bind", "source": src, "options": ["rbind", "ro"]})
    for src, dst, ro in spec.binds:
        mounts.append({"destination": dst, "type": "bind", "source": src, "options": ["rbind", "ro" if ro else "rw"]})
    resources: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    if spec.memory_bytes:
        resources["memory"] = {"limit": spec.memory_bytes, "swap": spec.memory_bytes}
        if spec.memory_reservation_bytes:
            resources["memory"]["reservation"] = spec.memory_reservation_bytes
    elif spec.memory_reservation_bytes:
        resources["memory"] = {"reservation": spec.memory_reservation_bytes}
    if spec.cpu_shares:
        resources["cpu"] = {"shares": max(2, spec.cpu_shares)}
    if spec.pids_limit:
        resources["pids"] = {"limit": spec.pids_limit}
    rlimits = spec.rlimits or [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    caps = list(_CAPS)
    return {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False,
            "user": {"uid": uid, "gid": gid, **({"additionalGids": extra} if extra else {})},
            "args": spec.process.args,
            "env": spec.process.env,
            "cwd": spec.process.cwd or "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "rlimits": rlimits,
            "noNewPrivileges": False,
        },
        "root": {"path": str(spec.rootfs), "readonly": spec.readonly_rootfs},
        "hostname": spec.hostname,
        "mounts": mounts,
        "linux": {
            "resources": resources,
            "cgroupsPath": spec.cgroups_path,
            "namespaces": namespaces,
            "maskedPaths": [
                "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
            ],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        },
    }


def write_bundle(bundle: Path, spec: BundleSpec) -> None:
    bundle.mkdir(parents=True, exist_ok=True)
    with open(bundle / "config.json", "w") as f:
        json.dump(bundle_config(spec), f)


def crun_problem(cgroup_root: Path = Path("/sys/fs/cgroup")) -> str | None:
    """Why crun cannot run containers on this host, or None: crun 1.8 refuses a hybrid
    layout (cgroup v1 controllers with a cgroup2 hierarchy at <root>/unified that has
    controllers of its own)."""
    if (cgroup_root / "cgroup.controllers").exists():
        return None  # unified (cgroup v2 only)
    try:
        controllers = (cgroup_root / "unified" / "cgroup.controllers").read_text().split()
    except OSError:
        return None  # cgroup v1 only
    if controllers:
        return f"crun does not run containers on a hybrid cgroup host whose cgroup2 hierarchy has controllers ({', '.join(controllers)})"
    return None


def resolve(choice: str, which: Any = shutil.which, problem: Any = crun_problem) -> tuple[str, str | None, str]:
    """The runtime `ecs.oci_runtime` names: (name, its executable or None when it is
    missing, why it cannot be used or ""). `auto` is crun when installed and able to run
    on this host, else runc. (`which`, `problem`: shutil.which and crun_problem.)"""
    if choice == "auto":
        crun = which("crun")
        if crun is not None and problem() is None:
            return "crun", crun, ""
        choice = "runc"
    if choice == "crun":
        crun = which("crun")
        if crun is None:
            return "crun", None, "crun is not installed (Debian package crun)"
        return "crun", crun, problem() or ""
    path = which("runc") or (RUNC if Path(RUNC).exists() else None)
    return "runc", path, "" if path else "runc is not installed (Debian package runc)"


class Runc:
    """An OCI runtime (runc, or crun: `name`) with its own state root (so gureum's containers
    are listed apart)."""

    def __init__(self, root: Path, binary: str = RUNC, name: str = "runc") -> None:
        self.root = root
        self.binary = binary
        self.name = name
        # runc keeps an exited container (and its cgroups) until `delete` (run --keep); crun
        # has no --keep and removes both as the container exits
        self.keeps_exited = name == "runc"
        root.mkdir(parents=True, exist_ok=True)

    def _cmd(self, *args: str) -> list[str]:
        return [self.binary, "--root", str(self.root), *args]

    async def run(self, container_id: str, bundle: Path, pid_file: Path | None = None) -> asyncio.subprocess.Process:
        """Start the container; the returned process is the runtime, which exits with the
        container's status. stdout/stderr are pipes; stdin is /dev/null. The runtime writes
        `pid_file` once the container's process has started (see wait_started). runc keeps
        the container until `delete` (--keep); crun deletes it when it exits."""
        extra = ["--pid-file", str(pid_file)] if pid_file is not None else []
        keep = ["--keep"] if self.keeps_exited else []
        return await asyncio.create_subprocess_exec(
            *self._cmd("run", *keep, "--no-new-keyring", *extra, "--bundle", str(bundle), container_id),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )

    @staticmethod
    async def wait_started(proc: asyncio.subprocess.Process, pid_file: Path, timeout: float = 30.0) -> int | None:
        """The container's pid once the runtime has started it; None if it exited first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.001
        while loop.time() < deadline:
            try:
                text = pid_file.read_text().strip()
                if text:
                    return int(text)
            except (OSError, ValueError):
                pass
            if proc.returncode is not None:
                return None
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.002)
        return None

    async def kill(self, container_id: str, sig: int = signal.SIGTERM, *, all_processes: bool = False) -> bool:
        args = ["kill"] + (["--all"] if all_processes else []) + [container_id, str(int(sig))]
        proc = await asyncio.create_subprocess_exec(
            *self._cmd(*args), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        return await proc.wait() == 0

    async def delete(self, container_id: str) -> None:
        """Forget the container (killing what is left of it); nothing to do once its state
        directory is gone (crun removes it when `crun run` ends)."""
        if not (self.root / container_id).exists():
            return
        proc = await asyncio.create_subprocess_exec(
            *self._cmd("delete", "--force", container_id), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        await proc.wait()

    async def exec(self, container_id: str, args: list[str], timeout: float) -> int:
        """Run a command inside a running container (health checks); its exit code, or
        -1 when it did not finish within `timeout`."""
        proc = await asyncio.create_subprocess_exec(
            *self._cmd("exec", container_id, *args),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            return await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
            return -1

    def delete_now(self, container_id: str) -> None:
        """`delete --force`, blocking (start-up recovery)."""
        subprocess.run(self._cmd("delete", "--force", container_id), check=False, capture_output=True, timeout=30)

    def list_ids(self) -> list[str]:
        try:
            return sorted(p.name for p in self.root.iterdir() if p.is_dir())
        except OSError:
            return []


def hold_memory_limit(cgroups_path: str, limit: int) -> bool:
    """Make the v1 memory cgroup at `cgroups_path` with `limit` (memory and, when swap is
    accounted, memory+swap) for a runtime that removes its own cgroup when the container exits
    (crun) to nest in; False when there is no v1 memory hierarchy or it cannot be made."""
    base = Path("/sys/fs/cgroup/memory")
    if not (base / "memory.limit_in_bytes").exists():
        return False
    d = base / cgroups_path.lstrip("/")
    try:
        d.mkdir(parents=True, exist_ok=True)
        (d / "memory.limit_in_bytes").write_text(str(limit))
    except OSError:
        return False
    with contextlib.suppress(OSError):
        (d / "memory.memsw.limit_in_bytes").write_text(str(limit))
    return True


def memory_limit_hit(cgroups_path: str) -> bool:
    """Has the v1 memory cgroup at `cgroups_path` ever hit its limit: a failed charge counted
    (memory.failcnt, memory.memsw.failcnt) or its peak usage at the limit (with memory+swap
    limited too, this host's kernel counts no failures: the peak is what tells)?"""
    d = Path("/sys/fs/cgroup/memory") / cgroups_path.lstrip("/")

    def read(name: str) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int((d / name).read_text())
        return 0

    if read("memory.failcnt") > 0 or read("memory.memsw.failcnt") > 0:
        return True
    limit = read("memory.limit_in_bytes")
    return 0 < limit <= read("memory.max_usage_in_bytes")


def memory_oom_killed(cgroups_path: str) -> bool:
    """Did the kernel OOM-kill a process in this container's memory cgroup (v1 or v2)?"""
    rel = cgroups_path.lstrip("/")
    for path, key in ((f"/sys/fs/cgroup/memory/{rel}/memory.oom_control", "oom_kill"), (f"/sys/fs/cgroup/{rel}/memory.events", "oom_kill")):
        with contextlib.suppress(OSError, ValueError), open(path) as f:
            for line in f:
                k, _, v = line.partition(" ")
                if k == key and int(v) > 0:
                    return True
    return False
