"""The sandbox machinery on its own: namespaces, a private read-only root, cgroup limits,
OOM detection, killing whole trees, and the plain-process fallback."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest
from waiting import wait_for_async

from gureum.sandbox.cgroups import Limits
from gureum.sandbox.process import Mount, SandboxHost, SandboxSpec

root_only = pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("cc") or shutil.which("gcc")), reason="needs root and a C compiler"
)
ENV = {"PATH": "/usr/bin:/bin"}


async def _run(host: SandboxHost, script: str, **kwargs) -> tuple[int, str, object]:
    sb = await host.start(SandboxSpec(argv=["/bin/sh", "-c", script], env=ENV, **kwargs))
    out = await sb.stdout.read()
    code = await sb.wait()
    oom = sb.oom_killed()
    await sb.destroy()
    return code, out.decode(), oom


@root_only
def test_isolated_tree_has_its_own_namespaces_root_and_uid(tmp_path: Path):
    host = SandboxHost(tmp_path)
    assert host.isolated and host.launcher is not None
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "hello").write_text("hi\n")
    secret = tmp_path / "secret"
    secret.write_text("no")
    script = (
        "echo pid=$$; id -u; hostname; cat /var/task/hello; "
        f"test -e {secret} && echo SEEN || echo hidden; "
        "touch /var/task/x 2>/dev/null && echo task-rw || echo task-ro; "
        "touch /tmp/y && echo tmp-rw; ls /proc | grep -c '^[0-9]'"
    )
    code, out, _ = asyncio.run(_run(host, script, mounts=[Mount("bind", "/var/task", str(code_dir))], hostname="box", cwd="/var/task"))
    lines = out.split()
    assert code == 0, out
    assert lines[0] == "pid=2"  # pid 1 is the launcher's init
    assert lines[1] == "993" and lines[2] == "box" and lines[3] == "hi"
    assert lines[4] == "hidden" and lines[5] == "task-ro" and lines[6] == "tmp-rw"
    assert int(lines[7]) <= 4


@root_only
def test_memory_limit_oom_kills_and_is_detected(tmp_path: Path):
    host = SandboxHost(tmp_path)
    script = "python3 -c 'b=[]\nwhile True: b.append(bytearray(8<<20))'"
    code, out, oom = asyncio.run(_run(host, script, limits=Limits(memory_mb=64)))
    assert code != 0 and oom is True


@root_only
def test_pids_limit_stops_a_fork_bomb(tmp_path: Path):
    host = SandboxHost(tmp_path)
    script = (
        "python3 -c 'import os, time\nn = 0\ntry:\n  while True:\n    if os.fork() == 0:\n      time.sleep(30); os._exit(0)\n"
        "    n += 1\nexcept OSError:\n  print(n, flush=True)\n  os._exit(0)'"
    )
    code, out, _ = asyncio.run(_run(host, script, limits=Limits(pids=50)))
    assert int(out.split()[-1]) < 50


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@root_only
def test_kill_takes_the_whole_tree_and_cgroup(tmp_path: Path):
    host = SandboxHost(tmp_path)

    async def scenario() -> tuple[list[int], bool]:
        sb = await host.start(SandboxSpec(argv=["/bin/sh", "-c", "sleep 100 & sleep 100 & echo up; wait"], env=ENV, limits=Limits(memory_mb=64)))
        await sb.stdout.readline()
        before = sb.cgroup.pids()
        await sb.destroy()
        removed = all(not d.exists() for d in sb.cgroup.dirs.values())
        await wait_for_async(f"every process of the destroyed tree {before} gone", lambda: not [p for p in before if _alive(p)], timeout=10)
        return before, removed

    before, removed = asyncio.run(scenario())
    assert len(before) >= 4 and removed


def test_plain_process_fallback_keeps_the_contract(tmp_path: Path):
    host = SandboxHost(tmp_path, isolate=False)
    assert not host.isolated and host.reason
    code, out, oom = asyncio.run(_run(host, "echo plain; exit 3", cwd=str(tmp_path)))
    assert code == 3 and out.strip() == "plain" and oom is False


@root_only
def test_limits_change_while_the_tree_waits_on_its_stdin(tmp_path: Path):
    """A tree started with one memory limit and fed its work on stdin (Lambda's spares) runs
    under the limit set afterwards, larger or smaller (v1: memory+swap moved in order)."""
    host = SandboxHost(tmp_path)
    script = "read n; python3 -c \"b=bytearray($n<<20); print('ok', len(b) >> 20)\""

    async def run(start_mb: int, then_mb: int, alloc_mb: int) -> tuple[int, str, bool]:
        sb = await host.start(SandboxSpec(argv=["/bin/sh", "-c", script], env=ENV, stdin_pipe=True,
                                          limits=Limits(memory_mb=start_mb)))
        sb.set_limits(Limits(memory_mb=then_mb))
        sb.feed(f"{alloc_mb}\n".encode())
        out = await sb.stdout.read()
        code = await sb.wait()
        oom = sb.oom_killed()
        await sb.destroy()
        return code, out.decode(), oom

    code, out, oom = asyncio.run(run(48, 256, 128))
    assert code == 0 and out.strip() == "ok 128" and not oom, out
    code, out, oom = asyncio.run(run(256, 48, 128))
    assert code != 0 and oom, out


def test_hierarchies_and_remove_tree_on_a_cgroup_like_layout(tmp_path: Path):
    from gureum.sandbox import cgroups

    # a hybrid host: one directory per v1 hierarchy, a co-mounted pair linked under two names,
    # and a directory that is no hierarchy at all
    for name in ("memory", "cpu,cpuacct", "unified"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "cgroup.procs").touch()
    (tmp_path / "cpu").symlink_to(tmp_path / "cpu,cpuacct")
    (tmp_path / "cpuacct").symlink_to(tmp_path / "cpu,cpuacct")
    (tmp_path / "not-a-hierarchy").mkdir()
    found = cgroups.hierarchies(tmp_path)
    assert sorted(p.name for p in found) == ["cpu", "memory", "unified"]  # the pair once
    # a pure v2 host: the root is the one hierarchy
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cgroup.procs").touch()
    assert cgroups.hierarchies(v2) == [v2]
    # remove_tree: deepest first, whether the top is gone; a missing group counts as gone
    top = tmp_path / "memory" / "gureum-ecs" / "p1" / "task"
    (top / "c1" / "deeper").mkdir(parents=True)
    (top / "c2").mkdir()
    assert cgroups.remove_tree(top) and not top.exists()
    assert cgroups.remove_tree(top)
    busy = tmp_path / "memory" / "busy"
    (busy / "child").mkdir(parents=True)
    (busy / "child" / "a-file").touch()  # stands for a group that still has a process
    assert not cgroups.remove_tree(busy) and busy.exists()
