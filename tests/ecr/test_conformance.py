"""Our conformance suite, written from the OCI Distribution Spec v1.1 endpoint table
(end-1 … end-13) and its workflow categories: pull, push, content discovery, content
management; plus Docker's _catalog and the spec's error codes. Runs against a real
`gureum up` over raw HTTP."""

from __future__ import annotations

import json
import os
import uuid

import pytest

from ecr.ocihttp import Registry, sha

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
EMPTY = b"{}"


@pytest.fixture(scope="module")
def reg(gureum) -> Registry:
    return Registry(gureum.endpoint)


@pytest.fixture
def repo() -> str:
    return f"conf/{uuid.uuid4().hex[:10]}"


# --- end-1 ---------------------------------------------------------------------------------
def test_base_endpoint_answers_200_with_api_version(reg):
    r = reg.req("GET", "/v2/")
    assert r.status == 200
    assert r.header("Docker-Distribution-Api-Version") == "registry/2.0"


# --- push: blobs (end-4a/4b, end-5, end-6, end-13) -------------------------------------
def test_monolithic_post_with_digest_creates_blob(reg, repo):
    data = os.urandom(1000)
    d = sha(data)
    r = reg.req("POST", f"/v2/{repo}/blobs/uploads/?digest={d}", data, {"Content-Type": "application/octet-stream"})
    assert r.status == 201
    assert r.header("Location").endswith(f"/v2/{repo}/blobs/{d}")
    assert r.header("Docker-Content-Digest") == d
    h = reg.req("HEAD", f"/v2/{repo}/blobs/{d}")
    assert h.status == 200 and h.header("Content-Length") == "1000" and h.header("Docker-Content-Digest") == d
    g = reg.req("GET", f"/v2/{repo}/blobs/{d}")
    assert g.status == 200 and g.body == data


def test_post_then_put_with_body_creates_blob(reg, repo):
    data = os.urandom(4096)
    r = reg.req("POST", f"/v2/{repo}/blobs/uploads/")
    assert r.status == 202
    loc = r.header("Location")
    assert loc and "/blobs/uploads/" in loc
    assert r.header("Docker-Upload-UUID")
    p = reg.req("PUT", f"{loc}?digest={sha(data)}", data, {"Content-Type": "application/octet-stream"})
    assert p.status == 201
    assert reg.req("GET", f"/v2/{repo}/blobs/{sha(data)}").body == data


def test_chunked_upload_with_content_range_status_and_out_of_order_416(reg, repo):
    data = os.urandom(300_000)
    a, b, c = data[:100_000], data[100_000:250_000], data[250_000:]
    loc = reg.req("POST", f"/v2/{repo}/blobs/uploads/").header("Location")
    r = reg.req("PATCH", loc, a, {"Content-Range": f"0-{len(a) - 1}", "Content-Type": "application/octet-stream"})
    assert r.status == 202
    assert r.header("Range") == f"0-{len(a) - 1}"
    loc = r.header("Location")
    # out of order: starts past the end
    bad = reg.req("PATCH", loc, c, {"Content-Range": f"250000-{len(data) - 1}"})
    assert bad.status == 416
    s = reg.req("GET", loc)
    assert s.status == 204 and s.header("Range") == f"0-{len(a) - 1}"
    r = reg.req("PATCH", loc, b, {"Content-Range": f"100000-{250_000 - 1}"})
    assert r.status == 202 and r.header("Range") == "0-249999"
    # the last chunk comes with the closing PUT
    p = reg.req("PUT", f"{r.header('Location')}?digest={sha(data)}", c, {"Content-Range": f"250000-{len(data) - 1}"})
    assert p.status == 201, p.body
    assert reg.req("GET", f"/v2/{repo}/blobs/{sha(data)}").body == data


def test_streamed_patch_without_content_range_then_put_without_body(reg, repo):
    data = os.urandom(2_500_000)
    loc = reg.req("POST", f"/v2/{repo}/blobs/uploads/").header("Location")
    r = reg.req("PATCH", loc, data)
    assert r.status == 202 and r.header("Range") == f"0-{len(data) - 1}"
    p = reg.req("PUT", f"{r.header('Location')}?digest={sha(data)}")
    assert p.status == 201
    assert reg.req("HEAD", f"/v2/{repo}/blobs/{sha(data)}").header("Content-Length") == str(len(data))


def test_digest_mismatch_is_digest_invalid_and_nothing_is_stored(reg, repo):
    data = os.urandom(100)
    wrong = sha(b"something else")
    r = reg.req("POST", f"/v2/{repo}/blobs/uploads/?digest={wrong}", data)
    assert r.status == 400 and r.error_code == "DIGEST_INVALID"
    assert reg.req("HEAD", f"/v2/{repo}/blobs/{wrong}").status == 404
    assert reg.req("HEAD", f"/v2/{repo}/blobs/{sha(data)}").status == 404
    # chunked too: the session is gone afterwards
    loc = reg.req("POST", f"/v2/{repo}/blobs/uploads/").header("Location")
    r = reg.req("PUT", f"{loc}?digest={wrong}", data)
    assert r.status == 400 and r.error_code == "DIGEST_INVALID"
    assert reg.req("GET", loc).status == 404


def test_malformed_digest_is_rejected(reg, repo):
    r = reg.req("POST", f"/v2/{repo}/blobs/uploads/?digest=sha256:nothex", b"x")
    assert r.status == 400 and r.error_code == "DIGEST_INVALID"
    r = reg.req("HEAD", f"/v2/{repo}/blobs/md5:abc")
    assert r.status == 400


def test_put_without_digest_is_400(reg, repo):
    loc = reg.req("POST", f"/v2/{repo}/blobs/uploads/").header("Location")
    r = reg.req("PUT", loc, b"abc")
    assert r.status == 400 and r.error_code == "DIGEST_INVALID"


def test_cancel_upload_then_status_is_upload_unknown(reg, repo):
    loc = reg.req("POST", f"/v2/{repo}/blobs/uploads/").header("Location")
    reg.req("PATCH", loc, b"partial")
    assert reg.req("DELETE", loc).status == 204
    r = reg.req("GET", loc)
    assert r.status == 404 and r.error_code == "BLOB_UPLOAD_UNKNOWN"
    r = reg.req("PATCH", loc, b"more")
    assert r.status == 404 and r.error_code == "BLOB_UPLOAD_UNKNOWN"


def test_upload_session_is_bound_to_its_repository(reg, repo):
    loc = reg.req("POST", f"/v2/{repo}/blobs/uploads/").header("Location")
    upload_id = loc.rsplit("/", 1)[1]
    r = reg.req("GET", f"/v2/{repo}-other/blobs/uploads/{upload_id}")
    assert r.status == 404


def test_empty_blob_uploads(reg, repo):
    r = reg.req("POST", f"/v2/{repo}/blobs/uploads/?digest={sha(b'')}", b"")
    assert r.status == 201
    g = reg.req("GET", f"/v2/{repo}/blobs/{sha(b'')}")
    assert g.status == 200 and g.body == b""


# --- pull: blobs (end-2) ----------------------------------------------------------------
def test_blob_range_requests(reg, repo):
    data = bytes(range(256)) * 40
    d = reg.push_blob(repo, data)
    r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=10-19"})
    assert r.status == 206 and r.body == data[10:20]
    assert r.header("Content-Range") == f"bytes 10-19/{len(data)}"
    r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": "bytes=10000-"})
    assert r.status == 206 and r.body == data[10000:]
    r = reg.req("GET", f"/v2/{repo}/blobs/{d}", headers={"Range": f"bytes={len(data) + 5}-"})
    assert r.status == 416


def test_unknown_blob_is_blob_unknown(reg, repo):
    reg.push_blob(repo, b"make the repo exist")
    r = reg.req("GET", f"/v2/{repo}/blobs/{sha(b'never pushed')}")
    assert r.status == 404 and r.error_code == "BLOB_UNKNOWN"
    assert reg.req("HEAD", f"/v2/{repo}/blobs/{sha(b'never pushed')}").status == 404


def test_a_repository_only_sees_blobs_it_was_given(reg, repo):
    d = reg.push_blob(repo, b"private layer " + os.urandom(8))
    other = repo + "-b"
    reg.push_blob(other, b"x")
    assert reg.req("HEAD", f"/v2/{other}/blobs/{d}").status == 404


# --- cross-repository mount (end-11) ------------------------------------------------------
def test_mount_from_another_repository_is_201(reg, repo):
    data = os.urandom(500)
    d = reg.push_blob(repo, data)
    target = repo + "-mounted"
    r = reg.req("POST", f"/v2/{target}/blobs/uploads/?mount={d}&from={repo}")
    assert r.status == 201
    assert r.header("Docker-Content-Digest") == d
    assert reg.req("GET", f"/v2/{target}/blobs/{d}").body == data


def test_mount_of_unknown_blob_falls_back_to_an_upload_session(reg, repo):
    reg.push_blob(repo, b"y")
    r = reg.req("POST", f"/v2/{repo}-t/blobs/uploads/?mount={sha(b'nope')}&from={repo}")
    assert r.status == 202 and "/blobs/uploads/" in r.header("Location")


def test_mount_never_crosses_accounts(gureum, reg, repo):
    data = os.urandom(64)
    d = reg.push_blob(repo, data)  # default account
    other = Registry(gureum.endpoint, host=f"111122223333.dkr.ecr.us-east-1.localhost:{gureum.port}")
    r = other.req("POST", f"/v2/{repo}/blobs/uploads/?mount={d}&from={repo}")
    assert r.status == 202
    assert other.req("HEAD", f"/v2/{repo}/blobs/{d}").status == 404


# --- manifests (end-3, end-7) -----------------------------------------------------------------
def test_manifest_put_get_head_by_tag_and_digest(reg, repo):
    digest, data = reg.image(repo, "v1", [os.urandom(300)])
    for ref in ("v1", digest):
        g = reg.req("GET", f"/v2/{repo}/manifests/{ref}", headers={"Accept": OCI_MANIFEST})
        assert g.status == 200 and g.body == data
        assert g.header("Docker-Content-Digest") == digest
        assert g.header("Content-Type") == OCI_MANIFEST
        h = reg.req("HEAD", f"/v2/{repo}/manifests/{ref}", headers={"Accept": OCI_MANIFEST})
        assert h.status == 200 and h.header("Content-Length") == str(len(data)) and h.body == b""


def test_manifest_head_by_tag_answers_the_converted_representation_as_get_does(reg, repo):
    """HEAD reads no manifest bytes unless a conversion needs them: a schema2 Accept on an OCI
    image by tag answers the converted manifest's digest, type and length, as GET does."""
    cfg = reg.push_blob(repo, EMPTY)
    layer = os.urandom(100)
    lay = reg.push_blob(repo, layer)
    m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": lay, "size": 100}]}).encode()
    assert reg.push_manifest(repo, "conv", m, OCI_MANIFEST).status == 201
    g = reg.req("GET", f"/v2/{repo}/manifests/conv", headers={"Accept": DOCKER_MANIFEST})
    h = reg.req("HEAD", f"/v2/{repo}/manifests/conv", headers={"Accept": DOCKER_MANIFEST})
    assert g.status == h.status == 200
    assert g.header("Content-Type") == h.header("Content-Type") == DOCKER_MANIFEST
    assert g.header("Docker-Content-Digest") == h.header("Docker-Content-Digest") == sha(g.body) != sha(m)
    assert h.header("Content-Length") == str(len(g.body)) and h.body == b""


def test_manifest_put_answers_location_and_digest(reg, repo):
    cfg = reg.push_blob(repo, EMPTY)
    m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2}, "layers": []}).encode()
    r = reg.push_manifest(repo, "t", m, OCI_MANIFEST)
    assert r.status == 201
    assert r.header("Docker-Content-Digest") == sha(m)
    assert r.header("Location").endswith(f"/v2/{repo}/manifests/{sha(m)}")


def test_manifest_by_digest_must_match_body(reg, repo):
    cfg = reg.push_blob(repo, EMPTY)
    m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2}, "layers": []}).encode()
    r = reg.push_manifest(repo, sha(b"other"), m, OCI_MANIFEST)
    assert r.status == 400 and r.error_code == "DIGEST_INVALID"
    r = reg.push_manifest(repo, sha(m), m, OCI_MANIFEST)
    assert r.status == 201


def test_manifest_with_missing_blob_is_manifest_blob_unknown(reg, repo):
    cfg = reg.push_blob(repo, EMPTY)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 2},
         "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(b"absent"), "size": 6}]}
    r = reg.push_manifest(repo, "x", m)
    assert r.status == 400 and r.error_code == "MANIFEST_BLOB_UNKNOWN"


def test_manifest_with_wrong_blob_size_is_rejected(reg, repo):
    cfg = reg.push_blob(repo, EMPTY)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg, "size": 3}, "layers": []}
    r = reg.push_manifest(repo, "x", m)
    assert r.status == 400 and r.error_code in ("MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID")


def test_invalid_manifests_are_manifest_invalid(reg, repo):
    reg.push_blob(repo, EMPTY)
    assert reg.push_manifest(repo, "a", b"not json", OCI_MANIFEST).error_code == "MANIFEST_INVALID"
    assert reg.push_manifest(repo, "a", {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "layers": []}).error_code == "MANIFEST_INVALID"
    schema1 = {"schemaVersion": 1, "name": repo, "tag": "a", "fsLayers": [], "history": []}
    r = reg.push_manifest(repo, "a", schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws")
    assert r.status == 400 and r.error_code == "MANIFEST_INVALID" and b"schema 1" in r.body


def test_manifest_over_4_mib_is_413(reg, repo):
    cfg = reg.push_blob(repo, EMPTY)
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2},
         "layers": [], "annotations": {"pad": "x" * (4 * 1024 * 1024)}}
    r = reg.push_manifest(repo, "big", m)
    assert r.status == 413


def test_docker_schema2_manifest_and_manifest_list(reg, repo):
    cfg_data = b'{"architecture":"amd64","os":"linux"}'
    layer = os.urandom(200)
    cfg, ld = reg.push_blob(repo, cfg_data), reg.push_blob(repo, layer)
    m = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
         "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": cfg, "size": len(cfg_data)},
         "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": ld, "size": len(layer)}]}
    data = json.dumps(m).encode()
    assert reg.push_manifest(repo, "amd64", data, DOCKER_MANIFEST).status == 201
    lst = json.dumps({"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": [
        {"mediaType": DOCKER_MANIFEST, "digest": sha(data), "size": len(data), "platform": {"architecture": "amd64", "os": "linux"}}]}).encode()
    assert reg.push_manifest(repo, "multi", lst, DOCKER_LIST).status == 201
    g = reg.req("GET", f"/v2/{repo}/manifests/multi", headers={"Accept": f"{DOCKER_LIST}, {DOCKER_MANIFEST}"})
    assert g.status == 200 and g.header("Content-Type") == DOCKER_LIST and g.body == lst


def test_index_with_unknown_child_is_rejected(reg, repo):
    reg.push_blob(repo, EMPTY)
    idx = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{"mediaType": OCI_MANIFEST, "digest": sha(b"nope"), "size": 4}]}
    r = reg.push_manifest(repo, "i", idx)
    assert r.status == 400 and r.error_code == "MANIFEST_BLOB_UNKNOWN"


def test_unknown_manifest_and_repository_errors(reg, repo):
    r = reg.req("GET", f"/v2/{repo}/manifests/latest")
    assert r.status == 404 and r.error_code == "NAME_UNKNOWN"
    reg.image(repo, "v1", [b"l"])
    r = reg.req("GET", f"/v2/{repo}/manifests/nope")
    assert r.status == 404 and r.error_code == "MANIFEST_UNKNOWN"
    r = reg.req("GET", f"/v2/{repo}/manifests/{sha(b'nope')}")
    assert r.status == 404 and r.error_code == "MANIFEST_UNKNOWN"


def test_invalid_repository_name_is_name_invalid(reg):
    r = reg.req("GET", "/v2/Bad_Name/tags/list")
    assert r.status == 400 and r.error_code == "NAME_INVALID"


def test_error_bodies_have_the_spec_shape(reg, repo):
    r = reg.req("GET", f"/v2/{repo}/tags/list")
    body = r.json()
    assert set(body) == {"errors"} and {"code", "message"} <= set(body["errors"][0])
    assert r.header("Content-Type") == "application/json"


# --- content discovery (end-8, end-12, catalog) --------------------------------------------
def test_tags_list_lexical_order_and_pagination(reg, repo):
    _, data = reg.image(repo, None, [b"a"])
    tags = ["b", "a", "C", "10", "2", "latest"]
    for t in tags:
        assert reg.push_manifest(repo, t, data).status == 201
    r = reg.req("GET", f"/v2/{repo}/tags/list")
    assert r.json() == {"name": repo, "tags": sorted(tags)}
    r = reg.req("GET", f"/v2/{repo}/tags/list?n=2")
    assert r.json()["tags"] == sorted(tags)[:2]
    link = r.header("Link")
    assert link and 'rel="next"' in link
    nxt = link[link.index("<") + 1 : link.index(">")]
    r2 = reg.req("GET", nxt)
    assert r2.json()["tags"] == sorted(tags)[2:4]
    r3 = reg.req("GET", f"/v2/{repo}/tags/list?n=10&last={sorted(tags)[3]}")
    assert r3.json()["tags"] == sorted(tags)[4:] and r3.header("Link") is None
    r0 = reg.req("GET", f"/v2/{repo}/tags/list?n=0")
    assert r0.json()["tags"] == [] and r0.header("Link") is None


def test_tags_list_of_unknown_repository_is_name_unknown(reg, repo):
    r = reg.req("GET", f"/v2/{repo}/tags/list")
    assert r.status == 404 and r.error_code == "NAME_UNKNOWN"


def test_referrers_api_with_subject_and_artifact_type_filter(reg, repo):
    subject, sdata = reg.image(repo, "v1", [b"base"])
    subj = {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(sdata)}
    cfg = reg.push_blob(repo, EMPTY)
    empty = {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2}
    sig = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.sig", "config": empty,
           "layers": [empty], "subject": subj, "annotations": {"k": "v"}}
    sbom = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.sbom", "config": empty,
            "layers": [empty], "subject": subj}
    r1 = reg.push_manifest(repo, sha(json.dumps(sig).encode()), sig)
    assert r1.status == 201 and r1.header("OCI-Subject") == subject
    r2 = reg.push_manifest(repo, sha(json.dumps(sbom).encode()), sbom)
    assert r2.status == 201
    r = reg.req("GET", f"/v2/{repo}/referrers/{subject}")
    assert r.status == 200 and r.header("Content-Type") == OCI_INDEX
    idx = r.json()
    assert idx["mediaType"] == OCI_INDEX and idx["schemaVersion"] == 2
    got = {m["artifactType"]: m for m in idx["manifests"]}
    assert set(got) == {"application/vnd.example.sig", "application/vnd.example.sbom"}
    assert got["application/vnd.example.sig"]["annotations"] == {"k": "v"}
    assert got["application/vnd.example.sig"]["digest"] == r1.header("Docker-Content-Digest")
    f = reg.req("GET", f"/v2/{repo}/referrers/{subject}?artifactType=application/vnd.example.sbom")
    assert f.header("OCI-Filters-Applied") == "artifactType"
    assert [m["artifactType"] for m in f.json()["manifests"]] == ["application/vnd.example.sbom"]
    # the subject need not exist; an unknown subject is an empty index
    e = reg.req("GET", f"/v2/{repo}/referrers/{sha(b'unknown')}")
    assert e.status == 200 and e.json()["manifests"] == []
    assert reg.req("GET", f"/v2/{repo}/referrers/sha256:zz").status == 400


def test_referrer_artifact_type_defaults_to_config_media_type(reg, repo):
    subject, sdata = reg.image(repo, "v1", [b"s"])
    cfg = reg.push_blob(repo, b'{"x":1}')
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": "application/vnd.example.cfg", "digest": cfg, "size": 7},
         "layers": [], "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(sdata)}}
    assert reg.push_manifest(repo, "ref", m).status == 201
    idx = reg.req("GET", f"/v2/{repo}/referrers/{subject}").json()
    assert [x["artifactType"] for x in idx["manifests"]] == ["application/vnd.example.cfg"]


def test_catalog_lists_repositories_with_pagination(gureum, repo):
    acct = Registry(gureum.endpoint, host=f"444455556666.dkr.ecr.eu-west-1.localhost:{gureum.port}")
    names = sorted(f"cat/{x}" for x in ("a", "b", "c"))
    for n in names:
        acct.push_blob(n, b"z")
    r = acct.req("GET", "/v2/_catalog")
    assert r.json()["repositories"] == names
    r = acct.req("GET", "/v2/_catalog?n=2")
    assert r.json()["repositories"] == names[:2] and 'rel="next"' in r.header("Link")
    r = acct.req("GET", f"/v2/_catalog?n=2&last={names[1]}")
    assert r.json()["repositories"] == names[2:]


def test_accounts_do_not_see_each_others_repositories(gureum, reg, repo):
    reg.image(repo, "v1", [b"mine"])
    other = Registry(gureum.endpoint, host=f"999988887777.dkr.ecr.us-east-1.localhost:{gureum.port}")
    r = other.req("GET", f"/v2/{repo}/manifests/v1")
    assert r.status == 404 and r.error_code == "NAME_UNKNOWN"
    assert repo not in other.req("GET", "/v2/_catalog").json()["repositories"]


# --- content management (end-9, end-10) ------------------------------------------------------
def test_delete_tag_keeps_the_manifest(reg, repo):
    digest, _ = reg.image(repo, "v1", [b"x"])
    assert reg.req("DELETE", f"/v2/{repo}/manifests/v1").status == 202
    assert reg.req("GET", f"/v2/{repo}/manifests/v1").status == 404
    assert reg.req("GET", f"/v2/{repo}/manifests/{digest}").status == 200


def test_delete_manifest_by_digest_removes_it_and_its_tags(reg, repo):
    digest, _ = reg.image(repo, "v1", [b"x"])
    r = reg.req("DELETE", f"/v2/{repo}/manifests/{digest}")
    assert r.status == 202
    assert reg.req("GET", f"/v2/{repo}/manifests/{digest}").error_code == "MANIFEST_UNKNOWN"
    assert reg.req("GET", f"/v2/{repo}/manifests/v1").status == 404
    assert reg.req("GET", f"/v2/{repo}/tags/list").json()["tags"] == []
    assert reg.req("DELETE", f"/v2/{repo}/manifests/{digest}").status == 404


def test_delete_referrer_removes_it_from_the_referrers_list(reg, repo):
    subject, sdata = reg.image(repo, "v1", [b"base"])
    cfg = reg.push_blob(repo, EMPTY)
    art = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/x", "layers": [],
           "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2},
           "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(sdata)}}
    d = reg.push_manifest(repo, "sig", art).header("Docker-Content-Digest")
    assert len(reg.req("GET", f"/v2/{repo}/referrers/{subject}").json()["manifests"]) == 1
    reg.req("DELETE", f"/v2/{repo}/manifests/{d}")
    assert reg.req("GET", f"/v2/{repo}/referrers/{subject}").json()["manifests"] == []


def test_delete_blob(reg, repo):
    d = reg.push_blob(repo, os.urandom(50))
    assert reg.req("DELETE", f"/v2/{repo}/blobs/{d}").status == 202
    assert reg.req("HEAD", f"/v2/{repo}/blobs/{d}").status == 404
    assert reg.req("DELETE", f"/v2/{repo}/blobs/{d}").error_code == "BLOB_UNKNOWN"


def test_delete_blob_still_referenced_by_a_manifest_is_refused(reg, repo):
    layer = os.urandom(40)
    reg.image(repo, "v1", [layer])
    r = reg.req("DELETE", f"/v2/{repo}/blobs/{sha(layer)}")
    assert r.status == 405 and r.error_code == "UNSUPPORTED"


def test_unsupported_method_is_405(reg, repo):
    reg.push_blob(repo, b"q")
    assert reg.req("POST", f"/v2/{repo}/tags/list").status == 405
