"""Registry state across restarts and kill -9, resumable and expiring uploads, streaming
without holding blobs in memory, and per-account visibility through ECR tokens."""

from __future__ import annotations

import base64
import hashlib
import http.client
import os

import pytest
from harness import GureumProcess
from waiting import wait_for

from ecr.ocihttp import Registry, sha


def test_pushed_images_survive_kill_9(fresh_gureum):
    reg = Registry(fresh_gureum.endpoint)
    layer = os.urandom(5000)
    _, manifest = reg.image("dur/img", "v1", [layer])
    fresh_gureum.kill9()
    fresh_gureum.start()
    reg = Registry(fresh_gureum.endpoint)
    assert reg.req("GET", "/v2/dur/img/manifests/v1").body == manifest
    assert reg.req("GET", f"/v2/dur/img/blobs/{sha(layer)}").body == layer


def test_an_upload_resumes_after_a_restart(fresh_gureum):
    reg = Registry(fresh_gureum.endpoint)
    data = os.urandom(200_000)
    loc = reg.req("POST", "/v2/dur/resume/blobs/uploads/").header("Location")
    assert reg.req("PATCH", loc, data[:120_000], {"Content-Range": "0-119999"}).status == 202
    fresh_gureum.restart()
    reg = Registry(fresh_gureum.endpoint)
    s = reg.req("GET", loc)
    assert s.status == 204 and s.header("Range") == "0-119999"
    assert reg.req("PATCH", loc, data[120_000:], {"Content-Range": "120000-199999"}).status == 202
    assert reg.req("PUT", f"{loc}?digest={sha(data)}").status == 201
    assert reg.req("GET", f"/v2/dur/resume/blobs/{sha(data)}").body == data


def test_abandoned_uploads_expire(tmp_path):
    g = GureumProcess(tmp_path / "data", extra_args=["--set", "ecr.upload_ttl_seconds=0.5"])
    g.start()
    try:
        reg = Registry(g.endpoint)
        loc = reg.req("POST", "/v2/dur/expire/blobs/uploads/").header("Location")
        reg.req("PATCH", loc, b"partial data")
        r = wait_for("the abandoned upload expired", lambda: (got := reg.req("GET", loc)).status != 204 and got, timeout=30, interval=0.1)
        assert r.status == 404 and r.error_code == "BLOB_UPLOAD_UNKNOWN"
        assert list((g.data_dir / "registry" / "uploads").iterdir()) == []
    finally:
        g.stop()


@pytest.mark.slow
def test_a_large_blob_streams_through_without_sitting_in_memory(fresh_gureum):
    psutil = pytest.importorskip("psutil")
    proc = psutil.Process(fresh_gureum.proc.pid)
    block = os.urandom(1 << 20)
    n = 768  # MiB
    h = hashlib.sha256()
    for _ in range(n):
        h.update(block)
    digest = "sha256:" + h.hexdigest()
    reg = Registry(fresh_gureum.endpoint)
    loc = reg.req("POST", "/v2/dur/large/blobs/uploads/").header("Location")
    conn = http.client.HTTPConnection("127.0.0.1", fresh_gureum.port, timeout=300)
    conn.putrequest("PATCH", loc)
    conn.putheader("Content-Length", str(n << 20))
    conn.putheader("Content-Type", "application/octet-stream")
    conn.endheaders()
    peak = 0
    for i in range(n):
        conn.send(block)
        if i % 64 == 0:
            peak = max(peak, proc.memory_info().rss)
    r = conn.getresponse()
    r.read()
    assert r.status == 202
    assert reg.req("PUT", f"{loc}?digest={digest}").status == 201
    # and back out
    conn = http.client.HTTPConnection("127.0.0.1", fresh_gureum.port, timeout=300)
    conn.request("GET", f"/v2/dur/large/blobs/{digest}")
    resp = conn.getresponse()
    got = hashlib.sha256()
    total = 0
    while chunk := resp.read(1 << 20):
        got.update(chunk)
        total += len(chunk)
        if total % (64 << 20) < (1 << 20):
            peak = max(peak, proc.memory_info().rss)
    assert total == n << 20 and "sha256:" + got.hexdigest() == digest
    assert peak < 300 << 20, f"gureum's RSS reached {peak >> 20} MiB for a {n} MiB blob"


def test_ecr_tokens_select_the_account(gureum):
    acct = "123456789012"
    ecr_other = gureum.client("ecr", aws_access_key_id=acct)
    token = ecr_other.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    assert base64.b64decode(token).startswith(b"AWS:")
    reg = Registry(gureum.endpoint, auth="Basic " + token)
    digest, _ = reg.image("dur/acct", "v1", [b"per-account layer"])
    assert ecr_other.describe_images(repositoryName="dur/acct")["imageDetails"][0]["imageDigest"] == digest
    default = gureum.client("ecr")
    with pytest.raises(Exception) as e:
        default.describe_images(repositoryName="dur/acct")
    assert "RepositoryNotFoundException" in str(e.value)
    assert Registry(gureum.endpoint).req("GET", "/v2/dur/acct/tags/list").status == 404


def test_a_client_disconnecting_mid_chunk_can_resume_from_the_status(gureum):
    import socket

    reg = Registry(gureum.endpoint)
    data = os.urandom(3 << 20)
    loc = reg.req("POST", "/v2/dur/disconnect/blobs/uploads/").header("Location")
    s = socket.create_connection(("127.0.0.1", gureum.port))
    s.sendall(f"PATCH {loc} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data[: 1 << 20])
    s.close()  # the bytes sent so far still reach the server, then it sees the connection end
    wait_for("the partial chunk kept", lambda: (got := reg.req("GET", loc)).status == 204 and got.header("Range") != "0-0", timeout=30, interval=0.05)

    def resume() -> bool:
        # Read the status, send the rest from there. While the server still writes bytes of
        # the dropped connection that had arrived, the offset moves on and the PATCH is a 416
        # (nothing written): read the status again, as a resuming client does.
        st = reg.req("GET", loc)
        have = int(st.header("Range").split("-")[1]) + 1
        assert 0 < have <= 1 << 20
        r = reg.req("PATCH", loc, data[have:], {"Content-Range": f"{have}-{len(data) - 1}"})
        assert r.status in (202, 416), r.status
        return r.status == 202

    wait_for("a resume from the upload's status", resume, timeout=30, interval=0.05)
    assert reg.req("PUT", f"{loc}?digest={sha(data)}").status == 201
    assert reg.req("GET", f"/v2/dur/disconnect/blobs/{sha(data)}").body == data
