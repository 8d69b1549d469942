"""OCI bundles for ECS containers: Docker's merge of image config and run-time settings,
user resolution from the image, a real `runc run` / `crun run` of a generated bundle, and
which runtime `ecs.oci_runtime` picks."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from gureum.sandbox import runc as rc


def test_entrypoint_at_run_time_drops_the_image_cmd():
    cfg = {"Entrypoint": ["/img-ep"], "Cmd": ["img-cmd"], "Env": ["A=1", "B=2"], "WorkingDir": "/w", "User": "app"}
    p = rc.merge_process(cfg, entry_point=["/ep"], command=None, environment={"B": "3"}, working_directory=None, user=None)
    assert p.args == ["/ep"]
    assert "A=1" in p.env and "B=3" in p.env and "B=2" not in p.env
    assert any(e.startswith("PATH=") for e in p.env)
    assert (p.cwd, p.user) == ("/w", "app")


def test_command_replaces_cmd_and_keeps_the_image_entrypoint():
    cfg = {"Entrypoint": ["/img-ep"], "Cmd": ["img-cmd"]}
    p = rc.merge_process(cfg, entry_point=None, command=["x", "y"], environment={}, working_directory="/d", user="0:0")
    assert p.args == ["/img-ep", "x", "y"] and p.cwd == "/d" and p.user == "0:0"
    assert rc.merge_process(cfg, entry_point=None, command=None, environment={}, working_directory=None, user=None).args == ["/img-ep", "img-cmd"]


def test_users_resolve_from_the_image(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\nstaff:x:50:\n")
    assert rc.resolve_user(tmp_path, "") == (0, 0, [])
    assert rc.resolve_user(tmp_path, "app")[:2] == (1000, 1001)
    assert rc.resolve_user(tmp_path, "app:staff")[:2] == (1000, 50)
    assert rc.resolve_user(tmp_path, "1000")[:2] == (1000, 1001)
    assert rc.resolve_user(tmp_path, "4242:7")[:2] == (4242, 7)
    with pytest.raises(rc.ContainerError, match="unable to find user ghost"):
        rc.resolve_user(tmp_path, "ghost")


def _rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy2("/bin/busybox", root / "bin/busybox")
    os.symlink("busybox", root / "bin/sh")
    for d in ("proc", "dev", "sys", "etc", "tmp"):
        (root / d).mkdir(exist_ok=True)
    return root


def test_missing_executables_fail_before_runc(tmp_path):
    if not os.path.exists("/bin/busybox"):
        pytest.skip("needs busybox-static")
    spec = rc.BundleSpec(id="x", rootfs=_rootfs(tmp_path), process=rc.ProcessSpec(args=["nope"], env=["PATH=/bin"]))
    with pytest.raises(rc.ContainerError, match='exec: "nope": executable file not found in \\$PATH'):
        rc.bundle_config(spec)
    spec.process.args = ["sh"]
    cfg = rc.bundle_config(spec)
    assert cfg["process"]["terminal"] is False and cfg["root"]["path"] == str(tmp_path / "rootfs")


def _runtime_missing(name: str) -> str | None:
    if os.geteuid() != 0 or not os.path.exists("/bin/busybox"):
        return "needs root and busybox-static"
    if shutil.which(name) is None:
        return f"needs {name}"
    return rc.crun_problem() if name == "crun" else None


@pytest.mark.parametrize("runtime", ["runc", "crun"])
def test_the_runtime_runs_a_generated_bundle_and_reports_the_exit_code(tmp_path, runtime):
    if why := _runtime_missing(runtime):
        pytest.skip(why)
    bundle = tmp_path / "bundle"
    spec = rc.BundleSpec(
        id=f"gureum-test-{os.getpid()}",
        rootfs=_rootfs(bundle),
        process=rc.ProcessSpec(args=["sh", "-c", "echo out; echo err >&2; exit 5"], env=["PATH=/bin"]),
        cgroups_path=f"/gureum-test-{os.getpid()}",
        memory_bytes=64 << 20,
    )
    rc.write_bundle(bundle, spec)
    runtime_ = rc.Runc(tmp_path / "state", shutil.which(runtime) or runtime, runtime)

    async def go() -> tuple[int, bytes, bytes]:
        proc = await runtime_.run(spec.id, bundle)
        out, err = await proc.communicate()
        await runtime_.delete(spec.id)
        return proc.returncode or 0, out, err

    code, out, err = asyncio.run(go())
    assert (code, out, err) == (5, b"out\n", b"err\n")
    assert runtime_.list_ids() == []


def test_crun_is_refused_on_a_hybrid_cgroup_host_with_cgroup2_controllers(tmp_path):
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    assert "hybrid" in (rc.crun_problem(tmp_path) or "")
    (tmp_path / "unified" / "cgroup.controllers").write_text("\n")
    assert rc.crun_problem(tmp_path) is None  # hybrid, but every controller on v1
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids\n")
    assert rc.crun_problem(tmp_path) is None  # unified


def test_the_oci_runtime_setting_picks_crun_only_when_it_can_run():
    both = {"runc": "/usr/sbin/runc", "crun": "/usr/bin/crun"}.get
    ok, hybrid = (lambda: None), (lambda: "crun does not run containers on a hybrid cgroup host")
    assert rc.resolve("auto", both, ok) == ("crun", "/usr/bin/crun", "")
    assert rc.resolve("auto", both, hybrid) == ("runc", "/usr/sbin/runc", "")
    assert rc.resolve("auto", {"runc": "/usr/sbin/runc"}.get, ok) == ("runc", "/usr/sbin/runc", "")
    assert rc.resolve("runc", both, ok) == ("runc", "/usr/sbin/runc", "")
    assert rc.resolve("crun", both, hybrid) == ("crun", "/usr/bin/crun", "crun does not run containers on a hybrid cgroup host")
    assert rc.resolve("crun", {}.get, ok)[1:] == (None, "crun is not installed (Debian package crun)")


def test_an_unknown_oci_runtime_setting_stops_the_node_at_start_up():
    from gureum import settings
    from gureum.services.ecs.settings import EcsSettings

    assert settings.read(EcsSettings, {}.get).oci_runtime == "auto"
    assert settings.read(EcsSettings, {"ecs.oci_runtime": "crun"}.get).oci_runtime == "crun"
    with pytest.raises(settings.SettingError, match="ecs.oci_runtime"):
        settings.read(EcsSettings, {"ecs.oci_runtime": "youki"}.get)
