"""Container-image functions: an image built here (busybox-static plus a static C bootstrap
that speaks the Runtime API, see gureum/services/lambda_/README.md) is pushed to gureum's
ECR with skopeo, then created, invoked, overridden with ImageConfig and updated to a second
tag. A bad ImageUri is refused at once."""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from ecs.images import build_image, containers_skip_reason, push, run
from lambda_helpers import invoke_json
from waiting import wait_for

# The C bootstrap of test_runtimes_provided.py, answering with what an image function sees.
BOOTSTRAP = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static char *http(const char *method, const char *path, const char *body, char *headers, size_t hcap) {
    char host[256];
    snprintf(host, sizeof host, "%s", getenv("AWS_LAMBDA_RUNTIME_API"));
    char *colon = strrchr(host, ':');
    *colon = 0;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(atoi(colon + 1));
    inet_pton(AF_INET, host, &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) exit(3);
    size_t blen = body ? strlen(body) : 0;
    char *req = malloc(blen + 4096);
    int n = snprintf(req, blen + 4096, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, host, blen, body ? body : "");
    for (int off = 0; off < n;) { int w = write(fd, req + off, n - off); if (w <= 0) exit(4); off += w; }
    free(req);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    int r;
    while ((r = read(fd, buf + len, cap - len)) > 0) len += r;
    buf[len] = 0;
    close(fd);
    char *end = strstr(buf, "\r\n\r\n");
    if (!end) exit(5);
    *end = 0;
    snprintf(headers, hcap, "%s", buf);
    char *out = strdup(end + 4);
    free(buf);
    return out;
}

int main(int argc, char **argv) {
    static char headers[65536], id[1024], path[2048], args[4096], cwd[1024];
    args[0] = 0;
    for (int i = 0; i < argc; i++) { strcat(args, i ? " " : ""); strncat(args, argv[i], 256); }
    if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "?");
    printf("bootstrap started: %s\n", args);
    fflush(stdout);
    for (;;) {
        char *event = http("GET", "/2018-06-01/runtime/invocation/next", NULL, headers, sizeof headers);
        char *h = strcasestr(headers, "Lambda-Runtime-Aws-Request-Id");
        id[0] = 0;
        if (h) sscanf(h + strlen("Lambda-Runtime-Aws-Request-Id"), ": %1023[^\r\n]", id);
        printf("handling %s\n", id);
        fflush(stdout);
        if (strstr(event, "\"sleep\"")) sleep(60);
        char *out = malloc(strlen(event) + 16384);
        const char *g = getenv("GREETING"), *t = getenv("TAG"), *hd = getenv("_HANDLER"), *fn = getenv("AWS_LAMBDA_FUNCTION_NAME");
        sprintf(out, "{\"tag\": \"%s\", \"argv\": \"%s\", \"cwd\": \"%s\", \"handler\": \"%s\", \"greeting\": \"%s\", "
                     "\"function\": \"%s\", \"uid\": %d, \"rid\": \"%s\", \"event\": %s}",
                t ? t : "", args, cwd, hd ? hd : "", g ? g : "", fn ? fn : "", (int)getuid(), id, event);
        snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response", id);
        free(http("POST", path, out, headers, sizeof headers));
        free(out);
        free(event);
    }
}
"""


@pytest.fixture(scope="module")
def images(gureum, tmp_path_factory):
    """{"v1": uri, "v2": uri, "repo": name}: the example image under two tags."""
    reason = containers_skip_reason()
    if reason:
        pytest.skip(reason)
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler (apt-get install gcc)")
    tmp = tmp_path_factory.mktemp("lambda-image")
    (tmp / "bootstrap.c").write_text(BOOTSTRAP)
    proc = subprocess.run([cc, "-O2", "-static", "-o", str(tmp / "bootstrap"), str(tmp / "bootstrap.c")], capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        pytest.skip(f"gcc -static failed (libc6-dev static archives?): {proc.stderr[-500:]}")
    layout = tmp / "layout"
    repo = f"lambda-img-{uuid.uuid4().hex[:8]}"
    gureum.client("ecr").create_repository(repositoryName=repo)
    out = {"repo": repo}
    for tag in ("v1", "v2"):
        build_image(
            layout, tag, entrypoint=["/bootstrap"], cmd=["app.handler"], env=[f"TAG={tag}", "PATH=/bin"],
            workdir="/var/task", extra_files={"/var/task/README": "task root\n"},
        )
        _add_bootstrap(layout, tag, tmp / "bootstrap")
        uri = f"127.0.0.1:{gureum.port}/{repo}:{tag}"
        push(layout, tag, uri)
        out[tag] = uri
    return out


def _add_bootstrap(layout: Path, tag: str, binary: Path) -> None:
    """One more layer with the static bootstrap at /bootstrap."""
    bundle = layout.parent / f"bundle-{tag}"
    shutil.rmtree(bundle, ignore_errors=True)
    run("umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle))
    shutil.copy2(binary, bundle / "rootfs" / "bootstrap")
    (bundle / "rootfs" / "bootstrap").chmod(0o755)
    run("umoci", "repack", "--image", f"{layout}:{tag}", str(bundle))
    shutil.rmtree(bundle, ignore_errors=True)


def _digest(gureum, repo: str, tag: str) -> str:
    detail = gureum.client("ecr").describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])["imageDetails"][0]
    return detail["imageDigest"]


def settled_configuration(lam, name: str, timeout: float = 60.0) -> dict:
    """The configuration once State and LastUpdateStatus have settled."""

    def settled() -> dict | None:
        cfg = lam.get_function_configuration(FunctionName=name)
        return cfg if cfg["State"] != "Pending" and cfg.get("LastUpdateStatus") != "InProgress" else None

    return wait_for(f"function {name} settled (State not Pending, LastUpdateStatus not InProgress)", settled, timeout)


@pytest.fixture
def image_function(lam, role_arn):
    created: list[str] = []

    def make(uri: str, **kwargs) -> tuple[str, dict]:
        name = f"img-{uuid.uuid4().hex[:10]}"
        resp = lam.create_function(FunctionName=name, Role=role_arn, PackageType="Image", Code={"ImageUri": uri}, **kwargs)
        created.append(name)
        return name, resp

    yield make
    for name in created:
        with contextlib.suppress(lam.exceptions.ResourceNotFoundException):
            lam.delete_function(FunctionName=name)


def test_image_function_pending_then_active_and_invoked(gureum, lam, images, image_function):
    digest = _digest(gureum, images["repo"], "v1")
    name, created = image_function(images["v1"], Timeout=10, Environment={"Variables": {"GREETING": "hello"}})
    assert created["PackageType"] == "Image"
    assert created["State"] == "Pending" and created["StateReasonCode"] == "Creating"
    assert created["CodeSha256"] == digest.split(":", 1)[1]
    assert "Runtime" not in created and "Handler" not in created
    cfg = settled_configuration(lam, name)
    assert cfg["State"] == "Active" and cfg["LastUpdateStatus"] == "Successful", cfg
    got = lam.get_function(FunctionName=name)
    assert got["Code"]["RepositoryType"] == "ECR"
    assert got["Code"]["ImageUri"] == images["v1"]
    assert got["Code"]["ResolvedImageUri"].endswith("@" + digest)

    resp, out = invoke_json(lam, name, {"n": 1}, LogType="Tail")
    assert "FunctionError" not in resp, out
    assert out["tag"] == "v1"  # the image's Env
    assert out["argv"] == "/bootstrap app.handler"  # ENTRYPOINT + CMD
    assert out["handler"] == "app.handler"
    assert out["cwd"] == "/var/task"  # the image's WorkingDir
    assert out["greeting"] == "hello" and out["function"] == name
    assert out["event"] == {"n": 1} and out["rid"] == resp["ResponseMetadata"]["RequestId"]
    assert out["uid"] != 0
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert f"handling {out['rid']}" in tail
    assert "REPORT RequestId:" in tail and "Max Memory Used:" in tail and "Init Duration:" in tail
    # warm: the same environment answers again
    _, again = invoke_json(lam, name, {"n": 2})
    assert again["event"] == {"n": 2}


def test_image_config_overrides_entrypoint_command_and_workdir(lam, images, image_function):
    override = {"EntryPoint": ["/bin/sh", "-c", 'cd /etc && exec /bootstrap from-sh "$0"'], "Command": ["other.handler"], "WorkingDirectory": "/tmp"}
    name, created = image_function(images["v1"], ImageConfig=override)
    assert created["ImageConfigResponse"] == {"ImageConfig": override}
    settled_configuration(lam, name)
    _, out = invoke_json(lam, name, {})
    assert out["argv"] == "/bootstrap from-sh other.handler"  # run by busybox sh from the image
    assert out["cwd"] == "/etc" and out["handler"] == "other.handler"

    lam.update_function_configuration(FunctionName=name, ImageConfig={"Command": ["third.handler"], "WorkingDirectory": "/tmp"})
    settled_configuration(lam, name)
    _, out = invoke_json(lam, name, {})
    assert out["argv"] == "/bootstrap third.handler" and out["cwd"] == "/tmp"


def test_update_function_code_to_second_tag_and_by_digest(gureum, lam, images, image_function):
    name, _ = image_function(images["v1"])
    settled_configuration(lam, name)
    assert invoke_json(lam, name, {})[1]["tag"] == "v1"
    d2 = _digest(gureum, images["repo"], "v2")
    updated = lam.update_function_code(FunctionName=name, ImageUri=images["v2"])
    assert updated["CodeSha256"] == d2.split(":", 1)[1]
    assert updated["LastUpdateStatus"] == "InProgress"
    cfg = settled_configuration(lam, name)
    assert cfg["LastUpdateStatus"] == "Successful" and cfg["CodeSha256"] == d2.split(":", 1)[1]
    assert invoke_json(lam, name, {})[1]["tag"] == "v2"

    d1 = _digest(gureum, images["repo"], "v1")
    by_digest = images["v1"].rsplit(":", 1)[0] + "@" + d1
    lam.update_function_code(FunctionName=name, ImageUri=by_digest)
    settled_configuration(lam, name)
    assert invoke_json(lam, name, {})[1]["tag"] == "v1"
    assert lam.get_function(FunctionName=name)["Code"]["ImageUri"] == by_digest


def test_bad_image_uri_is_refused(gureum, lam, role_arn, images, make_function):
    missing = images["v1"].rsplit(":", 1)[0] + ":no-such-tag"
    for uri, words in [
        (missing, "does not exist"),
        (f"127.0.0.1:{gureum.port}/no-such-repo-{uuid.uuid4().hex[:6]}:v1", "does not exist"),
        ("Not A Valid::Uri", "not valid"),
    ]:
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            lam.create_function(FunctionName=f"img-{uuid.uuid4().hex[:8]}", Role=role_arn, PackageType="Image", Code={"ImageUri": uri})
        assert words in e.value.response["Error"]["Message"], (uri, e.value.response["Error"]["Message"])
    zip_fn = make_function("def handler(e, c):\n    return 1\n")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.update_function_code(FunctionName=zip_fn, ImageUri=images["v1"])
    assert json.loads(lam.invoke(FunctionName=zip_fn)["Payload"].read()) == 1


def test_image_function_timeout_is_reported_like_zip_functions(lam, images, image_function):
    name, _ = image_function(images["v1"], Timeout=1, MemorySize=256)
    settled_configuration(lam, name)
    resp, out = invoke_json(lam, name, {"sleep": True}, LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Sandbox.Timedout" and "Task timed out after 1.00 seconds" in out["errorMessage"]
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert "Status: timeout" in tail and "Memory Size: 256 MB" in tail
    _, again = invoke_json(lam, name, {})  # a new environment after the timeout
    assert again["tag"] == "v1"


def test_flatten_applies_layers_whiteouts_and_opaque_directories(tmp_path):
    import os
    import stat as st

    from gureum.services.lambda_.images import flatten, launch_spec

    low, high = tmp_path / "l1", tmp_path / "l2"
    (low / "etc/keep").mkdir(parents=True)
    (low / "etc/keep/a").write_text("a")
    (low / "etc/gone").write_text("x")
    (low / "opq").mkdir()
    (low / "opq/old").write_text("old")
    (low / "bin").mkdir()
    (low / "bin/tool").write_text("v1")
    os.symlink("tool", low / "bin/alias")
    (high / "etc").mkdir(parents=True)
    os.mknod(high / "etc/gone", st.S_IFCHR | 0o000, os.makedev(0, 0))  # whiteout
    (high / "opq").mkdir()
    try:
        os.setxattr(high / "opq", "trusted.overlay.opaque", b"y")
        opaque = True
    except OSError:
        opaque = False
    (high / "opq/new").write_text("new")
    (high / "bin").mkdir()
    (high / "bin/tool").write_text("v2")
    out = tmp_path / "root"
    flatten([low, high], out)
    assert (out / "etc/keep/a").read_text() == "a"
    assert not (out / "etc/gone").exists()
    assert (out / "bin/tool").read_text() == "v2" and os.readlink(out / "bin/alias") == "tool"
    assert (out / "opq/new").read_text() == "new"
    if opaque:
        assert not (out / "opq/old").exists()

    image = {"Entrypoint": ["/e"], "Cmd": ["h", "x"], "Env": ["A=1", "B=two=2"], "WorkingDir": "/w"}
    assert launch_spec({}, image) == (["/e", "h", "x"], "h", "/w", {"A": "1", "B": "two=2"})
    cfg = {"ImageConfigResponse": {"ImageConfig": {"Command": ["other"], "WorkingDirectory": "/t"}}}
    assert launch_spec(cfg, image)[:3] == (["/e", "other"], "other", "/t")
