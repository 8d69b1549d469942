"""Control groups for sandboxes: memory, cpu weight and pids limits, peak memory, OOM kills,
and freezing (every process of a group stopped while idle, as Lambda freezes environments
between invocations: v1 `freezer.state`, v2 `cgroup.freeze`; a frozen group is thawed
before it is killed, since frozen tasks do not act on SIGKILL under the v1 freezer).

Both layouts are handled: cgroup v1 (one hierarchy per controller; the "hybrid" hosts here)
and the unified v2 hierarchy. Groups are created below the cgroup gureum itself runs in
(so a limit on gureum also bounds its sandboxes), under a `gureum/` parent. All of this is
plain blocking file I/O of a few small files; callers run it off the event loop where it
matters.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "cpu", "pids", "freezer")


@dataclass(frozen=True)
class Limits:
    memory_mb: int | None = None
    cpu_shares: int | None = None  # v1 cpu.shares scale (1024 = one default share)
    pids: int | None = None


def own_paths() -> dict[str, str]:
    """controller -> path of our own cgroup ("" key for the v2 unified hierarchy)."""
    out: dict[str, str] = {}
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            for c in ctrls.split(",") if ctrls else [""]:
                out[c] = path
    return out


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


class Cgroup:
    """One sandbox's group (in each v1 controller, or one v2 directory)."""

    def __init__(self, dirs: dict[str, Path], v2: bool) -> None:
        self.dirs = dirs  # controller -> directory ("unified" for v2)
        self.v2 = v2
        self._peak: int | None = None
        self._freeze: int | None = None
        self.frozen = False

    @property
    def join_paths(self) -> list[str]:
        """Directories whose cgroup.procs a new process writes itself into."""
        return [str(p) for p in self.dirs.values()]

    def apply(self, limits: Limits) -> None:
        if self.v2:
            d = self.dirs["unified"]
            if limits.memory_mb:
                _write(d / "memory.max", str(limits.memory_mb << 20))
                with contextlib.suppress(OSError):
                    _write(d / "memory.swap.max", "0")
            if limits.cpu_shares:
                self.set_cpu_shares(limits.cpu_shares)
            if limits.pids:
                with contextlib.suppress(OSError):
                    _write(d / "pids.max", str(limits.pids))
            return
        mem = self.dirs.get("memory")
        if mem is not None and limits.memory_mb:
            _write(mem / "memory.limit_in_bytes", str(limits.memory_mb << 20))
            with contextlib.suppress(OSError):  # no swap accounting on this kernel
                _write(mem / "memory.memsw.limit_in_bytes", str(limits.memory_mb << 20))
        if limits.cpu_shares:
            self.set_cpu_shares(limits.cpu_shares)
        pids = self.dirs.get("pids")
        if pids is not None and limits.pids:
            _write(pids / "pids.max", str(limits.pids))

    def resize(self, limits: Limits) -> None:
        """Apply `limits` to a group that may hold processes: on v1 the memory+swap limit
        (which may never be below the memory limit) is moved first when growing, last when
        shrinking."""
        mem = self.dirs.get("memory")
        if self.v2 or mem is None or not limits.memory_mb:
            self.apply(limits)
            return
        want = limits.memory_mb << 20
        try:
            now = int((mem / "memory.limit_in_bytes").read_text())
        except (OSError, ValueError):
            now = 0
        order = ("memory.memsw.limit_in_bytes", "memory.limit_in_bytes")
        for name in order if want > now else reversed(order):
            try:
                _write(mem / name, str(want))
            except OSError:
                if name == "memory.limit_in_bytes":
                    raise
        self.apply(Limits(cpu_shares=limits.cpu_shares, pids=limits.pids))

    def set_cpu_shares(self, shares: int) -> None:
        """The group's CPU weight against its siblings, on v1's cpu.shares scale (1024 = one
        default share; v2's cpu.weight is that over 1024 times 100). Changeable while it runs."""
        with contextlib.suppress(OSError):
            if self.v2:
                _write(self.dirs["unified"] / "cpu.weight", str(max(1, min(10000, shares * 100 // 1024))))
            elif "cpu" in self.dirs:
                _write(self.dirs["cpu"] / "cpu.shares", str(max(2, shares)))

    def _peak_fd(self) -> int | None:
        """An fd on the peak-memory file, opened once (this is read on every invocation)."""
        if self._peak is None:
            try:
                name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
                self._peak = os.open(self.dirs["unified" if self.v2 else "memory"] / name, os.O_RDWR)
            except (OSError, KeyError):
                self._peak = -1
        return self._peak if self._peak >= 0 else None

    def memory_peak(self) -> int:
        """Peak memory use in bytes since the last reset_peak() (0 when unknown)."""
        fd = self._peak_fd()
        if fd is None:
            return 0
        try:
            return int(os.pread(fd, 64, 0).split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def reset_peak(self) -> None:
        fd = self._peak_fd()
        if fd is not None:
            with contextlib.suppress(OSError):
                os.pwrite(fd, b"0", 0)

    def _freeze_fd(self) -> int | None:
        """An fd on the freeze control file, opened once (written twice per invocation)."""
        if self._freeze is None:
            try:
                path = self.dirs["unified"] / "cgroup.freeze" if self.v2 else self.dirs["freezer"] / "freezer.state"
                self._freeze = os.open(path, os.O_WRONLY)
            except (OSError, KeyError):
                self._freeze = -1
        return self._freeze if self._freeze >= 0 else None

    @property
    def can_freeze(self) -> bool:
        return self._freeze_fd() is not None

    def freeze(self) -> None:
        """Stop every process of the group (returns at once; the kernel completes it)."""
        fd = self._freeze_fd()
        if fd is not None and not self.frozen:
            with contextlib.suppress(OSError):
                os.write(fd, b"1" if self.v2 else b"FROZEN")
                self.frozen = True

    def frozen_fully(self) -> bool:
        """Whether the kernel has stopped every process of the group (freezing completes
        asynchronously after freeze())."""
        try:
            if self.v2:
                return "frozen 1" in (self.dirs["unified"] / "cgroup.events").read_text()
            return (self.dirs["freezer"] / "freezer.state").read_text().strip() == "FROZEN"
        except (OSError, KeyError):
            return False

    def thaw(self) -> None:
        fd = self._freeze_fd()
        if fd is not None and self.frozen:
            with contextlib.suppress(OSError):
                os.write(fd, b"0" if self.v2 else b"THAWED")
                self.frozen = False

    def oom_kills(self) -> int:
        """How many processes the kernel has OOM-killed in this group."""
        try:
            if self.v2:
                path = self.dirs["unified"] / "memory.events"
            else:
                path = self.dirs["memory"] / "memory.oom_control"
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, KeyError, ValueError):
            pass
        return 0

    def pids(self) -> list[int]:
        out: set[int] = set()
        for d in self.dirs.values():
            with contextlib.suppress(OSError):
                with open(d / "cgroup.procs") as f:
                    out.update(int(x) for x in f.read().split())
        return sorted(out)

    def kill_all(self, timeout: float = 2.0) -> None:
        """SIGKILL every process in the group until it is empty (fork bombs included)."""
        if self.v2:
            with contextlib.suppress(OSError):
                _write(self.dirs["unified"] / "cgroup.kill", "1")
        for d in self.dirs.values():  # also groups left frozen by a gureum that died (sweep)
            state = d / ("cgroup.freeze" if self.v2 else "freezer.state")
            with contextlib.suppress(OSError):
                _write(state, "0" if self.v2 else "THAWED")
        self.frozen = False
        deadline = time.monotonic() + timeout
        while True:
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:  # (timeout 0: one round of signals, no wait)
                return
            time.sleep(0.005)

    def remove(self) -> None:
        """Kill what is left and remove the directories (ignoring ones already gone)."""
        if self._peak is not None and self._peak >= 0:
            os.close(self._peak)
        self._peak = -1
        self.kill_all()
        if self._freeze is not None and self._freeze >= 0:
            os.close(self._freeze)
        self._freeze = -1
        for d in self.dirs.values():
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # processes still exiting
                    time.sleep(0.01)


class CgroupManager:
    """Creates sandbox groups under `<own cgroup>/gureum/p<our pid>/` (several gureum
    processes may share a host); None from detect() when the host gives us no writable
    cgroups (not root, no controllers)."""

    def __init__(self, parents: dict[str, Path], v2: bool) -> None:
        self.parents = parents
        self.v2 = v2

    @classmethod
    def detect(cls, root: Path = ROOT) -> CgroupManager | None:
        if os.geteuid() != 0:
            return None
        try:
            own = own_paths()
        except OSError:
            return None
        if (root / "memory").is_dir():
            parents = {}
            for ctrl in V1_CONTROLLERS:
                base = root / ctrl
                if not (base / "cgroup.procs").exists() or ctrl not in own:
                    continue
                parent = base / own[ctrl].lstrip("/") / "gureum" / f"p{os.getpid()}"
                try:
                    parent.mkdir(parents=True, exist_ok=True)
                except OSError:
                    continue
                if ctrl == "cpu":
                    # The sandboxes together weigh as much as a busy process per core, so
                    # they are not starved by the host's other processes (each of those
                    # weighs 1024 at the root); their own shares split it among them.
                    for d in (parent.parent, parent):
                        with contextlib.suppress(OSError):
                            _write(d / "cpu.shares", str(1024 * (os.cpu_count() or 1)))
                parents[ctrl] = parent
            return cls(parents, v2=False) if "memory" in parents else None
        if (root / "cgroup.controllers").exists() and "" in own:
            # v2: processes may only live in leaves, so sandboxes go in a sibling subtree
            # that gureum's own group delegates controllers to.
            parent = root / own[""].lstrip("/") / "gureum" / f"p{os.getpid()}"
            try:
                parent.mkdir(parents=True, exist_ok=True)
                wanted = [c for c in ("memory", "cpu", "pids") if c in (root / "cgroup.controllers").read_text()]
                _write(parent / "cgroup.subtree_control", " ".join("+" + c for c in wanted))
            except OSError:
                return None
            return cls({"unified": parent}, v2=True)
        return None

    def create(self, name: str, limits: Limits) -> Cgroup:
        dirs = {}
        for ctrl, parent in self.parents.items():
            d = parent / name
            d.mkdir(exist_ok=True)
            dirs[ctrl] = d
        group = Cgroup(dirs, self.v2)
        try:
            group.apply(limits)
        except OSError:
            group.remove()
            raise
        return group

    def sweep(self) -> None:
        """Remove the groups left by gureum processes that died without cleaning up. A
        sandbox's groups in every hierarchy are one Cgroup, so its freezer group is thawed
        before its processes are killed (v1: a frozen task does not act on SIGKILL; one
        controller at a time, each frozen sandbox cost a kill timeout per hierarchy, 7.5 s);
        every leftover is thawed and killed first, then each is waited for and removed."""
        leftovers: dict[str, dict[str, Path]] = {}  # "p<pid>/<sandbox>" -> controller -> directory
        dead: list[Path] = []
        for ctrl, parent in self.parents.items():
            with contextlib.suppress(OSError):
                for d in parent.parent.iterdir():
                    name = d.name
                    if d == parent or not d.is_dir() or not name.startswith("p") or not name[1:].isdigit():
                        continue
                    if pid_alive(int(name[1:])):
                        continue
                    dead.append(d)
                    for child in d.iterdir():
                        if child.is_dir():
                            leftovers.setdefault(f"{name}/{child.name}", {})[ctrl] = child
        groups = [Cgroup(dirs, self.v2) for dirs in leftovers.values()]
        for group in groups:  # thaw and kill all at once: their exits overlap
            group.kill_all(timeout=0.0)
        for group in groups:
            group.remove()
        for d in dead:
            with contextlib.suppress(OSError):
                d.rmdir()


def hierarchies(root: Path = ROOT) -> list[Path]:
    """Every cgroup hierarchy mounted at `root`: one per v1 controller (or co-mounted set),
    named ones such as name=systemd and the v2 `unified` one on a hybrid host; `root` alone on
    a pure v2 host. A runtime such as runc makes a container's cgroup in each of them."""
    if (root / "cgroup.procs").exists():
        return [root]
    seen: set[str] = set()
    out: list[Path] = []
    with contextlib.suppress(OSError):
        for d in sorted(root.iterdir()):
            real = os.path.realpath(d)
            if real not in seen and (d / "cgroup.procs").exists():
                seen.add(real)
                out.append(d)
    return out


def remove_tree(d: Path) -> bool:
    """Remove the empty cgroup directory `d` and its descendants, deepest first (a cgroup with
    a live process stays); whether `d` is gone."""
    if not d.is_dir():
        return True
    for child in sorted((c for c in d.rglob("*") if c.is_dir()), key=lambda c: len(c.parts), reverse=True):
        with contextlib.suppress(OSError):
            child.rmdir()
    try:
        d.rmdir()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


class MigrationWarmth:
    """Keeps the kernel's cgroup migration lock paid ahead while containers start.

    Moving a process into a cgroup (a write to cgroup.procs: an OCI runtime does one per v1
    hierarchy as it starts a container) takes a host-wide lock whose first taker after a quiet
    spell waits for an RCU grace period (10-15 ms on this host: the largest single part of a
    runc start); takers within about one grace period of the previous one do not wait. While
    anything holds this (`hold`/`release`), a thread writes our own pid into our own cgroup
    (a move to where we already are) every `interval` seconds, so the runtime's moves find
    the lock paid for. The first move holds the kernel's cgroup mutex through its grace
    period (making a cgroup waits meanwhile), so make a task's cgroups before holding this.
    The thread ends by itself once nothing holds it; `close` waits for it. Nothing happens
    where our cgroup cannot be written (not root, no cgroups).
    """

    def __init__(self, interval: float = 0.005, root: Path = ROOT) -> None:
        self.interval = interval
        self.root = root
        self._lock = threading.Lock()
        self._holders = 0
        self._thread: threading.Thread | None = None
        self._path: Path | None = None
        self._unwritable = False

    def own_procs(self) -> Path | None:
        """cgroup.procs of our own cgroup in a v1 hierarchy, else in the v2 one."""
        try:
            own = own_paths()
        except OSError:
            return None
        v2 = self.root / "unified" if (self.root / "unified").is_dir() else self.root  # (hybrid: v2 at unified/)
        for ctrl in ("pids", "cpu", "memory", ""):
            if ctrl in own:
                path = (self.root / ctrl if ctrl else v2) / own[ctrl].lstrip("/") / "cgroup.procs"
                if path.exists():
                    return path
        return None

    def hold(self) -> None:
        with self._lock:
            self._holders += 1
            if self._thread is None and not self._unwritable:
                self._thread = threading.Thread(target=self._run, name="cgroup-warmth", daemon=True)
                self._thread.start()

    def release(self) -> None:
        with self._lock:
            self._holders = max(0, self._holders - 1)

    def _run(self) -> None:
        if self._path is None and not self._unwritable:
            self._path = self.own_procs()
        pid = str(os.getpid()).encode()
        fd = -1
        try:
            while True:
                with self._lock:
                    if self._holders == 0 or self._path is None:
                        self._thread = None
                        self._unwritable |= self._path is None
                        return
                try:
                    if fd < 0:
                        fd = os.open(self._path, os.O_WRONLY | os.O_CLOEXEC)
                    os.write(fd, pid)  # (one fd, a write per move: the keeper stays off the GIL)
                except OSError:  # (not root, or a cgroup that refuses processes: nothing to keep warm)
                    with self._lock:
                        self._path, self._thread, self._unwritable = None, None, True
                    return
                time.sleep(self.interval)
        finally:
            if fd >= 0:
                os.close(fd)

    def close(self) -> None:
        with self._lock:
            self._holders = 0
            thread = self._thread
        if thread is not None:
            thread.join()


def own_memory_cgroup() -> str:
    """Our own cgroup in the memory hierarchy, without slashes at either end ("" at the root
    or when it cannot be read)."""
    with contextlib.suppress(OSError):
        return own_paths().get("memory", "/").strip("/")
    return ""


def pid_alive(pid: int) -> bool:
    """Whether process `pid` exists (ours to signal or not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
