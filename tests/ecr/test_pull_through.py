"""Pull through cache through boto3 and the registry protocol: rules pointing at an upstream
OCI registry on loopback (Debian's docker-registry), pulls through gureum that fetch, cache
and serve the upstream's image (the HTTP API and skopeo), repository creation templates
applied to the repositories the cache creates, and ValidatePullThroughCacheRule."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess, free_port
from waiting import wait_for

from ecr.ocihttp import Registry, sha

pytestmark = pytest.mark.skipif(shutil.which("docker-registry") is None, reason="needs docker-registry (Debian package)")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def start_upstream(work: Path, htpasswd: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """A docker-registry on loopback (wanting HTTP Basic credentials when `htpasswd` is
    given): (its process, its host:port)."""
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cfg = work / "registry.yml"
    auth = f"auth:\n  htpasswd:\n    realm: gureum-test\n    path: {htpasswd}\n" if htpasswd else ""
    cfg.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {work / 'data'}\n"
                   f"http:\n  addr: 127.0.0.1:{port}\n{auth}")
    proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
        except urllib.error.HTTPError:
            return True  # 401: up, wants credentials
        except OSError:
            return False
        return True

    try:
        wait_for("the upstream registry", up, timeout=20, interval=0.05)
    except AssertionError:
        proc.kill()
        raise
    return proc, f"127.0.0.1:{port}"


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, address = start_upstream(tmp_path_factory.mktemp("upstream"))
    try:
        yield address
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def ecr(gureum):
    return gureum.client("ecr")


def code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def _push_blob(reg: Registry, repo: str, data: bytes) -> str:
    """POST then PUT (docker-registry 2.8 takes no single-POST upload)."""
    start = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
    assert start.status == 202, start.body
    location = str(start.header("location"))
    path = location.split("://", 1)[-1]
    path = path[path.index("/"):] if "://" in location else location
    d = sha(data)
    done = reg.req("PUT", f"{path}{'&' if '?' in path else '?'}digest={d}", data, {"Content-Type": "application/octet-stream"})
    assert done.status == 201, done.body
    return d


def push_upstream(upstream: str, repo: str, tag: str, payload: bytes, auth: str | None = None) -> tuple[str, bytes, list[bytes]]:
    reg = Registry(f"http://{upstream}", auth=auth)
    layers = [gzip.compress(payload, mtime=0), gzip.compress(b"second layer " + payload, mtime=0)]  # skopeo keeps gzip as is
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _push_blob(reg, repo, config),
                           "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": _push_blob(reg, repo, layer),
                            "size": len(layer)} for layer in layers]}
    data = json.dumps(manifest).encode()
    r = reg.push_manifest(repo, tag, data, OCI_MANIFEST)
    assert r.status == 201, r.body
    return sha(data), data, layers


def test_pull_through_cache_fetches_caches_and_serves_the_upstream_image(ecr, gureum, upstream):
    prefix = "up" + uuid.uuid4().hex[:6]
    rule = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream)
    assert rule["ecrRepositoryPrefix"] == prefix and rule["upstreamRegistryUrl"] == upstream
    ecr.create_repository_creation_template(
        prefix=prefix, appliedFor=["PULL_THROUGH_CACHE"], imageTagMutability="IMMUTABLE",
        resourceTags=[{"Key": "cached", "Value": "yes"}], description="cache")
    digest, data, layers = push_upstream(upstream, "library/app", "1.0", uuid.uuid4().bytes * 100)
    name = f"{prefix}/library/app"
    with pytest.raises(ClientError) as e:
        ecr.describe_repositories(repositoryNames=[name])
    assert code(e) == "RepositoryNotFoundException"

    reg = Registry(gureum.endpoint)
    r = reg.req("GET", f"/v2/{name}/manifests/1.0", headers={"Accept": OCI_MANIFEST})
    assert r.status == 200, r.body
    assert r.body == data and r.header("docker-content-digest") == digest
    for layer in layers:
        b = reg.req("GET", f"/v2/{name}/blobs/{sha(layer)}")
        assert b.status == 200 and b.body == layer

    repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert repo["imageTagMutability"] == "IMMUTABLE"  # the PULL_THROUGH_CACHE template
    assert ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"] == [{"Key": "cached", "Value": "yes"}]
    images = ecr.describe_images(repositoryName=name)["imageDetails"]
    assert [(i["imageDigest"], i["imageTags"]) for i in images] == [(digest, ["1.0"])]

    # a tag the upstream lacks: the registry's own 404, nothing cached
    missing = reg.req("GET", f"/v2/{name}/manifests/nope", headers={"Accept": OCI_MANIFEST})
    assert missing.status == 404 and missing.error_code == "MANIFEST_UNKNOWN"
    # a repository outside every rule is not fetched from anywhere
    assert reg.req("GET", "/v2/elsewhere/app/manifests/1.0").status == 404


def test_batch_get_image_pulls_through_the_cache(ecr, upstream):
    prefix = "bg" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=f"http://{upstream}",
                                       upstreamRepositoryPrefix="team")
    digest, data, _ = push_upstream(upstream, "team/tool", "v2", uuid.uuid4().bytes * 10)
    out = ecr.batch_get_image(repositoryName=f"{prefix}/tool", imageIds=[{"imageTag": "v2"}])
    assert out["failures"] == []
    assert out["images"][0]["imageId"] == {"imageDigest": digest, "imageTag": "v2"}
    assert out["images"][0]["imageManifest"] == data.decode()


def test_skopeo_pulls_through_gureum(ecr, gureum, upstream, tmp_path: Path):
    if shutil.which("skopeo") is None:
        pytest.skip("needs skopeo")
    prefix = "sk" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream)
    digest, _, layers = push_upstream(upstream, "org/img", "latest", uuid.uuid4().bytes * 50)
    host = gureum.endpoint.split("://", 1)[1]
    res = subprocess.run(["skopeo", "copy", "--src-tls-verify=false", f"docker://{host}/{prefix}/org/img:latest",
                          f"oci:{tmp_path / 'out'}:latest"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["manifests"][0]["digest"] == digest
    for layer in layers:
        assert (tmp_path / "out" / "blobs" / "sha256" / sha(layer).split(":")[1]).read_bytes() == layer


def test_rules_crud_limits_and_errors(ecr, upstream):
    prefix = "cr" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream)
    with pytest.raises(ClientError) as e:
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream)
    assert code(e) == "PullThroughCacheRuleAlreadyExistsException"
    got = ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"]
    assert [r["ecrRepositoryPrefix"] for r in got] == [prefix] and got[0]["registryId"] == "000000000000"
    valid = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
    assert valid["isValid"] is True and valid["upstreamRegistryUrl"] == upstream
    dead = "dd" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=dead, upstreamRegistryUrl=f"127.0.0.1:{free_port()}")
    bad = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=dead)
    assert bad["isValid"] is False and bad["failure"]
    ecr.update_pull_through_cache_rule(ecrRepositoryPrefix=prefix, customRoleArn="arn:aws:iam::000000000000:role/ptc")
    assert ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"][0]["customRoleArn"].endswith("role/ptc")
    with pytest.raises(ClientError) as e:
        ecr.create_pull_through_cache_rule(
            ecrRepositoryPrefix="sec" + uuid.uuid4().hex[:6], upstreamRegistryUrl="registry-1.docker.io",
            credentialArn="arn:aws:secretsmanager:us-east-1:000000000000:secret:ecr-pullthroughcache/hub-AbCdEf")
    assert code(e) == "SecretNotFoundException"
    pages = list(ecr.get_paginator("describe_pull_through_cache_rules").paginate(PaginationConfig={"PageSize": 1}))
    assert all(len(p["pullThroughCacheRules"]) <= 1 for p in pages)
    assert {prefix, dead} <= {r["ecrRepositoryPrefix"] for p in pages for r in p["pullThroughCacheRules"]}
    for p in (prefix, dead):
        assert ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=p)["ecrRepositoryPrefix"] == p
    with pytest.raises(ClientError) as e:
        ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
    assert code(e) == "PullThroughCacheRuleNotFoundException"
    with pytest.raises(ClientError) as e:
        ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])
    assert code(e) == "PullThroughCacheRuleNotFoundException"


def test_an_unreachable_upstream_is_a_404_not_a_500(ecr, gureum):
    prefix = "gone" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=f"127.0.0.1:{free_port()}")
    r = Registry(gureum.endpoint).req("GET", f"/v2/{prefix}/x/manifests/1", headers={"Accept": OCI_MANIFEST})
    assert r.status == 404 and r.error_code == "MANIFEST_UNKNOWN"
    try:
        urllib.request.urlopen(f"{gureum.endpoint}/v2/{prefix}/x/manifests/1", timeout=30)
    except urllib.error.HTTPError as e:
        assert e.code == 404


def test_an_index_is_cached_with_its_children(ecr, gureum, upstream):
    prefix = "ix" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream)
    up = Registry(f"http://{upstream}")
    children = []
    for arch in ("amd64", "arm64"):
        digest, data, layers = push_upstream(upstream, "multi/app", f"tmp-{arch}", (arch * 100).encode())
        children.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": len(data), "platform": {"os": "linux", "architecture": arch}})
    index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": children}).encode()
    assert up.push_manifest("multi/app", "v1", index, "application/vnd.oci.image.index.v1+json").status == 201
    reg = Registry(gureum.endpoint)
    r = reg.req("GET", f"/v2/{prefix}/multi/app/manifests/v1", headers={"Accept": "application/vnd.oci.image.index.v1+json"})
    assert r.status == 200 and r.body == index
    for child in children:
        c = reg.req("GET", f"/v2/{prefix}/multi/app/manifests/{child['digest']}", headers={"Accept": OCI_MANIFEST})
        assert c.status == 200 and c.header("docker-content-digest") == child["digest"]
    listed = ecr.list_images(repositoryName=f"{prefix}/multi/app")["imageIds"]
    assert {i["imageDigest"] for i in listed} == {sha(index)} | {c["digest"] for c in children}


def test_batch_get_image_reports_an_unreachable_upstream(ecr):
    prefix = "bf" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=f"127.0.0.1:{free_port()}")
    out = ecr.batch_get_image(repositoryName=f"{prefix}/x", imageIds=[{"imageTag": "v1"}])
    assert out["images"] == [] and out["failures"][0]["failureCode"] == "UpstreamUnavailable"


def test_a_cached_tag_is_refreshed_from_upstream_and_served_while_upstream_is_away(tmp_path: Path):
    """With ecr.pull_through_refresh_seconds=0 every pull of a tag asks the upstream again."""
    proc, address = start_upstream(tmp_path / "up")
    g = GureumProcess(tmp_path / "gureum", extra_args=["--set", "ecr.pull_through_refresh_seconds=0"])
    try:
        g.start()
        g.client("ecr").create_pull_through_cache_rule(ecrRepositoryPrefix="hub", upstreamRegistryUrl=address)
        reg = Registry(g.endpoint)
        first, _, _ = push_upstream(address, "app", "latest", b"one" * 50)
        r = reg.req("GET", "/v2/hub/app/manifests/latest", headers={"Accept": OCI_MANIFEST})
        assert r.status == 200 and r.header("docker-content-digest") == first
        second, _, _ = push_upstream(address, "app", "latest", b"two" * 50)
        r = reg.req("GET", "/v2/hub/app/manifests/latest", headers={"Accept": OCI_MANIFEST})
        assert r.status == 200 and r.header("docker-content-digest") == second
        proc.kill()
        proc.wait()
        r = reg.req("GET", "/v2/hub/app/manifests/latest", headers={"Accept": OCI_MANIFEST})
        assert r.status == 200 and r.header("docker-content-digest") == second
        assert reg.req("GET", f"/v2/hub/app/manifests/{first}", headers={"Accept": OCI_MANIFEST}).status == 200
    finally:
        g.stop()
        proc.kill()
        proc.wait()


def test_an_upstream_s_error_bodies_never_reach_the_caller(ecr, gureum):
    """Attack: a rule naming an internal HTTP service must not turn the registry into a reader
    of that service's answers (SSRF): only an HTTP status comes back."""
    import http.server
    import threading

    secret = "SECRET-" + uuid.uuid4().hex

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = secret.encode()
            self.send_response(500 if self.path != "/v2/" else 403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        prefix = "in" + uuid.uuid4().hex[:6]
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=f"127.0.0.1:{server.server_port}")
        v = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
        assert v["isValid"] is False and secret not in v["failure"] and "403" in v["failure"]
        r = Registry(gureum.endpoint).req("GET", f"/v2/{prefix}/x/manifests/1", headers={"Accept": OCI_MANIFEST})
        assert r.status == 404 and secret.encode() not in r.body
        out = ecr.batch_get_image(repositoryName=f"{prefix}/x", imageIds=[{"imageTag": "1"}])
        assert secret not in json.dumps(out["failures"])
    finally:
        server.shutdown()
        thread.join()


def test_a_private_upstream_is_pulled_with_the_rule_s_secret(ecr, gureum, tmp_path: Path):
    """credentialArn names a Secrets Manager secret (`ecr-pullthroughcache/…`, JSON with
    username and accessToken): the rule is refused while it is missing or malformed, and pulls
    authenticate with it; a rotated secret applies to the next pull."""
    import base64
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt as c

        (tmp_path / "htpasswd").write_text(f"dave:{c.crypt('tok-1', c.mksalt(c.METHOD_BLOWFISH))}\n")
    proc, address = start_upstream(tmp_path / "private", tmp_path / "htpasswd")
    try:
        auth = "Basic " + base64.b64encode(b"dave:tok-1").decode()
        digest, _, _ = push_upstream(address, "team/app", "v1", uuid.uuid4().bytes * 40, auth=auth)
        sm = gureum.client("secretsmanager")
        prefix = "pv" + uuid.uuid4().hex[:6]
        name = f"ecr-pullthroughcache/{prefix}"
        arn = f"arn:aws:secretsmanager:us-east-1:000000000000:secret:{name}"
        with pytest.raises(ClientError) as e:  # no such secret yet
            ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=address, credentialArn=arn)
        assert code(e) == "SecretNotFoundException"
        arn = sm.create_secret(Name=name, SecretString=json.dumps({"user": "dave"}))["ARN"]
        with pytest.raises(ClientError) as e:  # not AWS's format
            ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=address, credentialArn=arn)
        assert code(e) == "UnableToAccessSecretException"
        other = sm.create_secret(Name="plain-" + prefix, SecretString=json.dumps({"username": "dave", "accessToken": "tok-1"}))
        with pytest.raises(ClientError) as e:  # the name lacks the prefix (the model's pattern, or our check)
            ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=address,
                                               credentialArn=other["ARN"])
        assert code(e) in ("UnableToAccessSecretException", "InvalidParameterException")
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"username": "dave", "accessToken": "wrong"}))
        rule = ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=address, credentialArn=arn)
        assert rule["credentialArn"] == arn
        assert ecr.describe_pull_through_cache_rules(ecrRepositoryPrefixes=[prefix])["pullThroughCacheRules"][0]["credentialArn"] == arn
        bad = ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)
        assert bad["isValid"] is False and "credentials" in bad["failure"]
        gone = Registry(gureum.endpoint).req("GET", f"/v2/{prefix}/team/app/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert gone.status == 404  # the upstream refused the wrong token
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"username": "dave", "accessToken": "tok-1"}))
        assert ecr.validate_pull_through_cache_rule(ecrRepositoryPrefix=prefix)["isValid"] is True
        got = Registry(gureum.endpoint).req("GET", f"/v2/{prefix}/team/app/manifests/v1", headers={"Accept": OCI_MANIFEST})
        assert got.status == 200 and got.header("docker-content-digest") == digest
    finally:
        proc.kill()
        proc.wait()
