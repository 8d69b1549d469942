"""The ECR API through boto3 against a real gureum, and its agreement with the registry
protocol (what one pushes the other sees)."""

from __future__ import annotations

import base64
import json
import os
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from ecr.ocihttp import Registry, sha

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"


@pytest.fixture(scope="module")
def ecr(gureum):
    return gureum.client("ecr")


@pytest.fixture(scope="module")
def reg(gureum) -> Registry:
    return Registry(gureum.endpoint)


@pytest.fixture
def name() -> str:
    return f"api/{uuid.uuid4().hex[:10]}"


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def docker_image(reg: Registry, repo: str, layer: bytes) -> bytes:
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    cd, ld = reg.push_blob(repo, cfg), reg.push_blob(repo, layer)
    return json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cd, "size": len(cfg)},
                       "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": ld, "size": len(layer)}]}).encode()


# --- repositories ---------------------------------------------------------------------------
def test_create_describe_delete_repository(ecr, name):
    r = ecr.create_repository(repositoryName=name, tags=[{"Key": "team", "Value": "a"}],
                              imageScanningConfiguration={"scanOnPush": True},
                              encryptionConfiguration={"encryptionType": "KMS"})["repository"]
    assert r["repositoryName"] == name and r["registryId"] == "000000000000"
    assert r["repositoryArn"] == f"arn:aws:ecr:us-east-1:000000000000:repository/{name}"
    assert r["repositoryUri"].endswith(f"/{name}") and r["repositoryUri"].startswith("localhost:")
    assert r["imageTagMutability"] == "MUTABLE"
    assert r["encryptionConfiguration"]["encryptionType"] == "KMS" and r["encryptionConfiguration"]["kmsKey"]
    d = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    assert d["imageScanningConfiguration"] == {"scanOnPush": True}
    assert ecr.list_tags_for_resource(resourceArn=r["repositoryArn"])["tags"] == [{"Key": "team", "Value": "a"}]
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName=name)
    assert code(e) == "RepositoryAlreadyExistsException"
    ecr.delete_repository(repositoryName=name)
    with pytest.raises(ClientError) as e:
        ecr.describe_repositories(repositoryNames=[name])
    assert code(e) == "RepositoryNotFoundException"


def test_describe_repositories_paginates(gureum):
    ecr2 = gureum.client("ecr", region="ap-northeast-2")
    names = [f"page/{i}" for i in range(5)]
    for n in names:
        ecr2.create_repository(repositoryName=n)
    seen = []
    for page in ecr2.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["repositories"]) <= 2
        seen += [r["repositoryName"] for r in page["repositories"]]
    assert sorted(seen) == names


def test_delete_repository_with_images_needs_force(ecr, reg, name):
    ecr.create_repository(repositoryName=name)
    reg.image(name, "v1", [b"layer"])
    with pytest.raises(ClientError) as e:
        ecr.delete_repository(repositoryName=name)
    assert code(e) == "RepositoryNotEmptyException"
    ecr.delete_repository(repositoryName=name, force=True)
    assert reg.req("GET", f"/v2/{name}/tags/list").error_code == "NAME_UNKNOWN"


def test_repository_policy_and_resource_tags(ecr, name):
    arn = ecr.create_repository(repositoryName=name)["repository"]["repositoryArn"]
    with pytest.raises(ClientError) as e:
        ecr.get_repository_policy(repositoryName=name)
    assert code(e) == "RepositoryPolicyNotFoundException"
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})
    ecr.set_repository_policy(repositoryName=name, policyText=policy)
    assert ecr.get_repository_policy(repositoryName=name)["policyText"] == policy
    ecr.delete_repository_policy(repositoryName=name)
    with pytest.raises(ClientError):
        ecr.get_repository_policy(repositoryName=name)
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ecr.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "b", "Value": "2"}]


def test_push_to_missing_repository_creates_it_on_push(ecr, reg, name):
    reg.image(name, "v1", [b"x"])
    assert ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryName"] == name


# --- immutability ---------------------------------------------------------------------------
def test_immutable_tags_refuse_overwrite_through_registry_and_put_image(ecr, reg, name):
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE")
    d1, m1 = reg.image(name, "v1", [b"one"])
    _, m2 = reg.image(name, None, [b"two"])
    r = reg.push_manifest(name, "v1", m2)
    assert r.status == 400 and r.error_code == "TAG_INVALID"
    assert reg.push_manifest(name, "v1", m1).status == 201  # same digest again is fine
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName=name, imageManifest=m2.decode(), imageTag="v1")
    assert code(e) == "ImageTagAlreadyExistsException"
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName=name, imageManifest=m1.decode(), imageTag="v1")
    assert code(e) == "ImageAlreadyExistsException"
    assert reg.req("GET", f"/v2/{name}/manifests/v1").header("Docker-Content-Digest") == d1


def test_mutability_exclusion_filters(ecr, reg, name):
    ecr.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
                          imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest*"}])
    _, m1 = reg.image(name, "latest", [b"a"])
    reg.push_manifest(name, "v1", m1)
    _, m2 = reg.image(name, None, [b"b"])
    assert reg.push_manifest(name, "latest", m2).status == 201  # excluded: mutable
    assert reg.push_manifest(name, "v1", m2).error_code == "TAG_INVALID"
    out = ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="MUTABLE_WITH_EXCLUSION",
                                       imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "release-*"}])
    assert out["imageTagMutability"] == "MUTABLE_WITH_EXCLUSION"
    assert reg.push_manifest(name, "v1", m2).status == 201
    reg.push_manifest(name, "release-1", m1)
    assert reg.push_manifest(name, "release-1", m2).error_code == "TAG_INVALID"
    with pytest.raises(ClientError) as e:
        ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="IMMUTABLE_WITH_EXCLUSION")
    assert code(e) == "InvalidParameterException"


# --- images ----------------------------------------------------------------------------------
def test_describe_and_list_images(ecr, reg, name):
    layer = os.urandom(1234)
    d1, _ = reg.image(name, "v1", [layer])
    d2, _ = reg.image(name, None, [b"untagged layer"])
    details = {i["imageDigest"]: i for i in ecr.describe_images(repositoryName=name)["imageDetails"]}
    assert details[d1]["imageTags"] == ["v1"] and details[d1]["imageSizeInBytes"] == 1234
    assert details[d1]["imageManifestMediaType"] == OCI_MANIFEST
    assert details[d1]["artifactMediaType"] == "application/vnd.oci.image.config.v1+json"
    assert "imageTags" not in details[d2] and "imagePushedAt" in details[d2]
    assert "lastRecordedPullTime" not in details[d1]
    reg.req("GET", f"/v2/{name}/manifests/v1")
    # recorded after the pull is answered
    wait_for("v1's lastRecordedPullTime", lambda: "lastRecordedPullTime" in ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "v1"}])["imageDetails"][0], timeout=10, interval=0.05)
    tagged = ecr.list_images(repositoryName=name, filter={"tagStatus": "TAGGED"})["imageIds"]
    assert tagged == [{"imageDigest": d1, "imageTag": "v1"}]
    untagged = ecr.list_images(repositoryName=name, filter={"tagStatus": "UNTAGGED"})["imageIds"]
    assert untagged == [{"imageDigest": d2}]
    with pytest.raises(ClientError) as e:
        ecr.describe_images(repositoryName=name, imageIds=[{"imageTag": "nope"}])
    assert code(e) == "ImageNotFoundException"


def test_batch_get_image_with_accepted_media_types_and_conversion(ecr, reg, name):
    m = docker_image(reg, name, b"layer")
    assert reg.push_manifest(name, "v1", m, DOCKER_MANIFEST).status == 201
    r = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}, {"imageTag": "missing"}])
    assert r["images"][0]["imageManifest"] == m.decode()
    assert r["images"][0]["imageManifestMediaType"] == DOCKER_MANIFEST
    assert r["failures"][0]["failureCode"] == "ImageNotFound"
    oci = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}], acceptedMediaTypes=[OCI_MANIFEST])["images"][0]
    assert oci["imageManifestMediaType"] == OCI_MANIFEST
    doc = json.loads(oci["imageManifest"])
    assert doc["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    assert doc["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    assert doc["layers"][0]["digest"] == json.loads(m)["layers"][0]["digest"]
    # by digest: no conversion
    byd = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageDigest": sha(m)}], acceptedMediaTypes=[OCI_MANIFEST])
    assert byd["images"] == [] and byd["failures"]


def test_batch_delete_image_by_tag_and_digest(ecr, reg, name):
    d1, m1 = reg.image(name, "a", [b"1"])
    reg.push_manifest(name, "b", m1)
    d2, _ = reg.image(name, "c", [b"2"])
    r = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "a"}])
    assert r["imageIds"] == [{"imageDigest": d1, "imageTag": "a"}]
    assert ecr.describe_images(repositoryName=name, imageIds=[{"imageDigest": d1}])["imageDetails"][0]["imageTags"] == ["b"]
    ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "b"}])  # last tag: image goes
    with pytest.raises(ClientError):
        ecr.describe_images(repositoryName=name, imageIds=[{"imageDigest": d1}])
    r = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageDigest": d2}, {"imageTag": "zzz"}])
    assert r["imageIds"] == [{"imageDigest": d2, "imageTag": "c"}]
    assert r["failures"][0]["failureCode"] == "ImageNotFound"


# --- the layer upload API ----------------------------------------------------------------------
def test_layer_upload_api_with_byte_range_checks_then_put_image_and_pull(ecr, reg, name):
    ecr.create_repository(repositoryName=name)
    layer = os.urandom(3_000_000)
    digest = sha(layer)
    avail = ecr.batch_check_layer_availability(repositoryName=name, layerDigests=[digest, "bad"])
    assert avail["layers"][0]["layerAvailability"] == "UNAVAILABLE"
    assert avail["failures"][0]["failureCode"] == "InvalidLayerDigest"
    up = ecr.initiate_layer_upload(repositoryName=name)
    uid = up["uploadId"]
    assert up["partSize"] > 0
    r = ecr.upload_layer_part(repositoryName=name, uploadId=uid, partFirstByte=0, partLastByte=999_999, layerPartBlob=layer[:1_000_000])
    assert r["lastByteReceived"] == 999_999
    with pytest.raises(ClientError) as e:  # a gap
        ecr.upload_layer_part(repositoryName=name, uploadId=uid, partFirstByte=2_000_000, partLastByte=2_999_999,
                              layerPartBlob=layer[2_000_000:])
    assert code(e) == "InvalidLayerPartException"
    assert e.value.response["lastValidByteReceived"] == 999_999
    with pytest.raises(ClientError) as e:  # range and length disagree
        ecr.upload_layer_part(repositoryName=name, uploadId=uid, partFirstByte=1_000_000, partLastByte=1_000_009, layerPartBlob=b"x")
    assert code(e) == "InvalidLayerPartException"
    ecr.upload_layer_part(repositoryName=name, uploadId=uid, partFirstByte=1_000_000, partLastByte=2_999_999,
                          layerPartBlob=layer[1_000_000:])
    done = ecr.complete_layer_upload(repositoryName=name, uploadId=uid, layerDigests=[digest])
    assert done["layerDigest"] == digest
    assert ecr.batch_check_layer_availability(repositoryName=name, layerDigests=[digest])["layers"][0]["layerSize"] == 3_000_000
    # config through the API too
    cfg = b'{"architecture":"amd64","os":"linux"}'
    uid2 = ecr.initiate_layer_upload(repositoryName=name)["uploadId"]
    ecr.upload_layer_part(repositoryName=name, uploadId=uid2, partFirstByte=0, partLastByte=len(cfg) - 1, layerPartBlob=cfg)
    ecr.complete_layer_upload(repositoryName=name, uploadId=uid2, layerDigests=[sha(cfg)])
    manifest = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                           "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": sha(cfg), "size": len(cfg)},
                           "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": digest, "size": len(layer)}]})
    img = ecr.put_image(repositoryName=name, imageManifest=manifest, imageTag="v1")["image"]
    assert img["imageId"] == {"imageDigest": sha(manifest.encode()), "imageTag": "v1"}
    g = reg.req("GET", f"/v2/{name}/manifests/v1", headers={"Accept": DOCKER_MANIFEST})
    assert g.body == manifest.encode()
    url = ecr.get_download_url_for_layer(repositoryName=name, layerDigest=digest)["downloadUrl"]
    with urllib.request.urlopen(url) as resp:
        assert resp.read() == layer


def test_complete_layer_upload_errors(ecr, name):
    ecr.create_repository(repositoryName=name)
    uid = ecr.initiate_layer_upload(repositoryName=name)["uploadId"]
    with pytest.raises(ClientError) as e:
        ecr.complete_layer_upload(repositoryName=name, uploadId=uid, layerDigests=[sha(b"")])
    assert code(e) == "EmptyUploadException"
    ecr.upload_layer_part(repositoryName=name, uploadId=uid, partFirstByte=0, partLastByte=2, layerPartBlob=b"abc")
    with pytest.raises(ClientError) as e:
        ecr.complete_layer_upload(repositoryName=name, uploadId=uid, layerDigests=[sha(b"abd")])
    assert code(e) == "InvalidLayerException"
    with pytest.raises(ClientError) as e:
        ecr.upload_layer_part(repositoryName=name, uploadId=str(uuid.uuid4()), partFirstByte=0, partLastByte=0, layerPartBlob=b"a")
    assert code(e) == "UploadNotFoundException"


def test_put_image_errors(ecr, reg, name):
    ecr.create_repository(repositoryName=name)
    cfg = reg.push_blob(name, b"{}")
    m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(b"gone"), "size": 4}]})
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName=name, imageManifest=m, imageTag="x")
    assert code(e) == "LayersNotFoundException"
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName=name, imageManifest=m, imageDigest=sha(b"other"))
    assert code(e) == "ImageDigestDoesNotMatchException"
    with pytest.raises(ClientError) as e:
        ecr.put_image(repositoryName="api/does-not-exist", imageManifest=m)
    assert code(e) == "RepositoryNotFoundException"


def test_list_image_referrers(ecr, reg, name):
    subject, sdata = reg.image(name, "v1", [b"s"])
    cfg = reg.push_blob(name, b"{}")
    art = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.sig", "layers": [],
           "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2},
           "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(sdata)}}
    d = reg.push_manifest(name, "sig", art).header("Docker-Content-Digest")
    out = ecr.list_image_referrers(repositoryName=name, subjectId={"imageDigest": subject})["referrers"]
    assert [(r["digest"], r["artifactType"]) for r in out] == [(d, "application/vnd.example.sig")]


# --- auth ----------------------------------------------------------------------------------------
def test_repository_uri_and_token_work_with_skopeo(ecr, gureum, tmp_path, name):
    from ecr.images import build_busybox_image, run, tools_missing

    if tools_missing("skopeo", "umoci"):
        pytest.skip("needs skopeo and umoci")
    uri = ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(data["authorizationToken"]).decode().split(":", 1)
    assert user == "AWS" and data["proxyEndpoint"].endswith(uri.split("/")[0])
    layout = build_busybox_image(tmp_path / "img", "v1")
    run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", f"AWS:{password}", f"oci:{layout}:v1", f"docker://{uri}:v1")
    assert ecr.list_images(repositoryName=name)["imageIds"][0]["imageTag"] == "v1"


def test_strict_auth_requires_an_ecr_token(fresh_gureum_strict):
    g = fresh_gureum_strict
    reg = Registry(g.endpoint)
    r = reg.req("GET", "/v2/")
    assert r.status == 401 and r.error_code == "UNAUTHORIZED"
    assert r.header("WWW-Authenticate").startswith("Basic realm=")
    assert r.header("Docker-Distribution-Api-Version") == "registry/2.0"
    bad = Registry(g.endpoint, auth="Basic " + base64.b64encode(b"AWS:forged").decode())
    assert bad.req("GET", "/v2/").status == 401
    token = g.client("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    good = Registry(g.endpoint, auth="Basic " + token)
    assert good.req("GET", "/v2/").status == 200
    good.image("strict/repo", "v1", [b"x"])
    assert good.req("GET", "/v2/strict/repo/tags/list").json()["tags"] == ["v1"]


@pytest.fixture
def fresh_gureum_strict(tmp_path):
    from harness import GureumProcess

    proc = GureumProcess(tmp_path / "data", extra_args=["--auth", "strict"])
    proc.start()
    yield proc
    proc.stop()


def test_describe_registry_and_replication_copies_images_between_regions(ecr, gureum, reg, name):
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{
        "destinations": [{"region": "us-west-2", "registryId": "000000000000"}],
        "repositoryFilters": [{"filter": "api/repl", "filterType": "PREFIX_MATCH"}]}]})
    try:
        assert ecr.describe_registry()["replicationConfiguration"]["rules"][0]["destinations"][0]["region"] == "us-west-2"
        repl = "api/repl-" + uuid.uuid4().hex[:6]
        layer = os.urandom(999)
        digest, _ = reg.image(repl, "v1", [layer])
        west = gureum.client("ecr", region="us-west-2")

        def west_images() -> list[dict]:
            try:
                return west.describe_images(repositoryName=repl)["imageDetails"]
            except ClientError:
                return []

        imgs = wait_for("the image replicated to us-west-2", west_images, timeout=30, interval=0.1)
        assert imgs[0]["imageDigest"] == digest and imgs[0]["imageTags"] == ["v1"]
        # the status turns COMPLETE once the copy is recorded (IN_PROGRESS until then)
        st = wait_for("replication status COMPLETE", lambda: [
            s for s in ecr.describe_image_replication_status(repositoryName=repl, imageId={"imageTag": "v1"})["replicationStatuses"]
            if s["status"] == "COMPLETE"], timeout=30, interval=0.1)
        assert st == [{"region": "us-west-2", "registryId": "000000000000", "status": "COMPLETE"}]
        # the west copy serves the bytes through the ECR API
        assert west.batch_check_layer_availability(repositoryName=repl, layerDigests=[sha(layer)])["layers"][0]["layerAvailability"] == "AVAILABLE"
        # non-matching repositories are not replicated
        reg.image(name, "v1", [b"stay"])
        with pytest.raises(ClientError):
            west.describe_repositories(repositoryNames=[name])
    finally:
        ecr.put_replication_configuration(replicationConfiguration={"rules": []})


# --- scanning ----------------------------------------------------------------------------------------
def test_scan_reports_inventory_and_no_invented_findings(ecr, gureum, tmp_path, name):
    from ecr.images import build_busybox_image, run, tools_missing

    if tools_missing("skopeo", "umoci"):
        pytest.skip("needs skopeo and umoci")
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    layout = build_busybox_image(tmp_path / "img", "v1")
    run("skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:v1", f"docker://localhost:{gureum.port}/{name}:v1")
    # scan on push ran
    wait_for("the scan on push COMPLETE", lambda: ecr.describe_images(repositoryName=name)["imageDetails"][0].get("imageScanStatus", {}).get("status") == "COMPLETE", timeout=30, interval=0.1)
    ecr.start_image_scan(repositoryName=name, imageId={"imageTag": "v1"})
    f = ecr.describe_image_scan_findings(repositoryName=name, imageId={"imageTag": "v1"})
    assert f["imageScanStatus"]["status"] == "COMPLETE"
    assert "no vulnerability database" in f["imageScanStatus"]["description"]
    assert "1 package" in f["imageScanStatus"]["description"]  # busybox
    assert f["imageScanFindings"]["findings"] == [] and f["imageScanFindings"]["findingSeverityCounts"] == {}


def test_registry_and_repository_scanning_configuration(ecr, name):
    ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True})
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"]["scanType"] == "BASIC"
    rules = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=rules)
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"]["rules"] == rules
    out = ecr.batch_get_repository_scanning_configuration(repositoryNames=[name, "api/absent"])
    assert out["scanningConfigurations"][0]["scanFrequency"] == "SCAN_ON_PUSH"
    assert out["failures"][0]["failureCode"] == "REPOSITORY_NOT_FOUND"
    ecr.put_image_scanning_configuration(repositoryName=name, imageScanningConfiguration={"scanOnPush": False})
    assert ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["imageScanningConfiguration"] == {"scanOnPush": False}
