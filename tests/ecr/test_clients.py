"""Real registry clients against a real gureum: skopeo, podman, docker (Debian's dockerd)
and oras-py push to and pull from the registry on gureum's main port. Images are built
here with umoci from a busybox-static rootfs; nothing is pulled from the network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from waiting import wait_for

from ecr.images import build_busybox_image, run, tools_missing
from ecr.ocihttp import Registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Path:
    missing = tools_missing("umoci", "skopeo")
    if missing:
        pytest.skip(f"needs {missing} (Debian packages umoci, skopeo, busybox-static)")
    return build_busybox_image(tmp_path_factory.mktemp("img") / "layout", "v1")


@pytest.fixture(scope="module")
def host(gureum) -> str:
    return f"localhost:{gureum.port}"


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return run("skopeo", *args)


def test_skopeo_copies_an_image_in_and_out_byte_for_byte(layout, host, tmp_path, gureum):
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:v1", f"docker://{host}/clients/skopeo:v1")
    info = json.loads(skopeo("inspect", "--tls-verify=false", f"docker://{host}/clients/skopeo:v1").stdout)
    assert info["RepoTags"] == ["v1"]
    out = tmp_path / "out"
    skopeo("copy", "--src-tls-verify=false", f"docker://{host}/clients/skopeo:v1", f"oci:{out}:v1")
    src_index = json.loads((layout / "index.json").read_text())
    src_manifest = next(m for m in src_index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "v1")
    out_index = json.loads((out / "index.json").read_text())
    assert out_index["manifests"][0]["digest"] == src_manifest["digest"]  # identical manifest bytes
    for blob in (out / "blobs" / "sha256").iterdir():
        assert (layout / "blobs" / "sha256" / blob.name).read_bytes() == blob.read_bytes()
    # a registry-to-registry copy mounts/reuses the blobs
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false",
           f"docker://{host}/clients/skopeo:v1", f"docker://{host}/clients/skopeo-copy:v1")
    assert Registry(gureum.endpoint).req("GET", "/v2/clients/skopeo-copy/tags/list").json()["tags"] == ["v1"]


def test_skopeo_pushes_docker_schema2_and_oci_and_deletes(layout, host, gureum):
    skopeo("copy", "--dest-tls-verify=false", "--format", "v2s2", f"oci:{layout}:v1", f"docker://{host}/clients/s2:v1")
    reg = Registry(gureum.endpoint)
    r = reg.req("GET", "/v2/clients/s2/manifests/v1", headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    assert r.header("Content-Type") == "application/vnd.docker.distribution.manifest.v2+json"
    skopeo("delete", "--tls-verify=false", f"docker://{host}/clients/s2:v1")
    assert reg.req("GET", "/v2/clients/s2/manifests/v1").status == 404


@pytest.fixture(scope="module")
def podman() -> Iterator[list[str]]:
    if tools_missing("podman", "runc"):
        pytest.skip("needs podman and runc (Debian)")
    root = Path(tempfile.mkdtemp(prefix="gp-", dir="/tmp"))  # podman: runroot <= 50 characters
    yield ["podman", "--root", str(root / "root"), "--runroot", str(root / "run"), "--storage-driver", "vfs",
           "--cgroup-manager", "cgroupfs", "--runtime", "runc"]
    shutil.rmtree(root, ignore_errors=True)


def test_podman_pushes_pulls_and_runs(layout, host, podman):
    skopeo("copy", "--dest-tls-verify=false", f"oci:{layout}:v1", f"docker://{host}/clients/podman-src:v1")
    run(*podman, "pull", "-q", "--tls-verify=false", f"{host}/clients/podman-src:v1")
    run(*podman, "tag", f"{host}/clients/podman-src:v1", f"{host}/clients/podman:v2")
    run(*podman, "push", "-q", "--tls-verify=false", f"{host}/clients/podman:v2")
    run(*podman, "rmi", "-a", "-f")
    run(*podman, "pull", "-q", "--tls-verify=false", f"{host}/clients/podman:v2")
    out = run(*podman, "run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
              f"{host}/clients/podman:v2", "/bin/echo", "hello from podman")
    assert "hello from podman" in out.stdout


@pytest.fixture(scope="module")
def docker(tmp_path_factory) -> Iterator[list[str]]:
    if tools_missing("dockerd", "docker"):
        pytest.skip("needs dockerd and the docker CLI (Debian docker.io)")
    root = Path("/tmp") / f"gureum-dockerd-{os.getpid()}"  # unix socket paths must be short
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    sock = root / "docker.sock"
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - lives as long as dockerd
    proc = subprocess.Popen(
        ["dockerd", "--iptables=false", "--bridge=none", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "-H", f"unix://{sock}", "--pidfile", str(root / "docker.pid")],
        stdout=log, stderr=subprocess.STDOUT,
    )
    cli = ["docker", "-H", f"unix://{sock}"]
    try:
        wait_for("dockerd answering (or exited)", lambda: proc.poll() is not None or subprocess.run([*cli, "version"], check=False, capture_output=True).returncode == 0, timeout=30, interval=0.25)
    except AssertionError:
        proc.terminate()
        pytest.skip("dockerd did not start within 30 s")
    if proc.poll() is not None:
        pytest.skip(f"dockerd exited: {(root / 'dockerd.log').read_text()[-2000:]}")
    yield cli
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()
    subprocess.run(["umount", "-R", str(root / "data")], check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def test_docker_pushes_pulls_and_runs(layout, host, docker, tmp_path):
    archive = tmp_path / "img.tar"
    skopeo("copy", f"oci:{layout}:v1", f"docker-archive:{archive}:clients/docker:v1")
    run(*docker, "load", "-i", str(archive))
    run(*docker, "tag", "clients/docker:v1", f"{host}/clients/docker:v1")
    out = run(*docker, "push", f"{host}/clients/docker:v1").stdout
    assert "digest: sha256:" in out
    run(*docker, "rmi", f"{host}/clients/docker:v1", "clients/docker:v1")
    run(*docker, "pull", f"{host}/clients/docker:v1")
    out = run(*docker, "run", "--rm", "--network", "none", f"{host}/clients/docker:v1", "/bin/echo", "hello from docker")
    assert "hello from docker" in out.stdout


def test_oras_py_pushes_and_pulls_an_artifact(host, tmp_path):
    oras_client = pytest.importorskip("oras.client")
    src = tmp_path / "notes.txt"
    src.write_text("an artifact that is not an image\n")
    client = oras_client.OrasClient(hostname=host, insecure=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)  # oras-py names layers by their relative path
    try:
        resp = client.push(files=["notes.txt"], target=f"{host}/clients/oras:v1")
    finally:
        os.chdir(cwd)
    assert resp.status_code == 201
    assert client.get_tags(f"{host}/clients/oras") == ["v1"]
    out = tmp_path / "pulled"
    files = client.pull(target=f"{host}/clients/oras:v1", outdir=str(out))
    assert [Path(f).read_text() for f in files] == ["an artifact that is not an image\n"]


def test_docker_login_with_ecr_password_against_strict_auth(layout, docker, tmp_path):
    from harness import GureumProcess

    g = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict"])
    g.start()
    try:
        host = f"localhost:{g.port}"
        cli = [*docker[:1], "--config", str(tmp_path / "docker-config"), *docker[1:]]
        password = g.aws("ecr", "get-login-password")
        archive = tmp_path / "img.tar"
        skopeo("copy", f"oci:{layout}:v1", f"docker-archive:{archive}:clients/strict:v1")
        run(*cli, "load", "-i", str(archive))
        run(*cli, "tag", "clients/strict:v1", f"{host}/clients/strict:v1")
        denied = subprocess.run([*cli, "push", f"{host}/clients/strict:v1"], check=False, capture_output=True, text=True)
        assert denied.returncode != 0 and "no basic auth credentials" in denied.stderr + denied.stdout
        res = subprocess.run([*cli, "login", "-u", "AWS", "--password-stdin", host], input=password, check=False,
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        run(*cli, "push", f"{host}/clients/strict:v1")
        assert g.client("ecr").list_images(repositoryName="clients/strict")["imageIds"][0]["imageTag"] == "v1"
        run(*cli, "rmi", f"{host}/clients/strict:v1", "clients/strict:v1")
    finally:
        g.stop()
