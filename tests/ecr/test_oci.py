"""The sans-IO registry vocabulary: values in, values (or RegistryError) out."""

from __future__ import annotations

import json

import pytest

from gureum.services.ecr import auth, oci

CFG = {"mediaType": oci.OCI_CONFIG, "digest": "sha256:" + "a" * 64, "size": 10}
LAYER = {"mediaType": oci.OCI_LAYER_GZIP, "digest": "sha256:" + "b" * 64, "size": 20}


def manifest(**extra) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST, "config": CFG, "layers": [LAYER], **extra}).encode()


def test_parse_image_manifest():
    data = manifest(annotations={"a": "b"})
    m = oci.parse_manifest(data, oci.OCI_MANIFEST)
    assert m.digest == oci.sha256_digest(data) and m.size == len(data)
    assert [d.digest for d in m.blob_refs()] == [CFG["digest"], LAYER["digest"]]
    assert m.image_size == 20 and m.artifact_type == oci.OCI_CONFIG and not m.is_index


def test_media_type_may_be_omitted_and_is_inferred():
    data = json.dumps({"schemaVersion": 2, "config": CFG, "layers": []}).encode()
    assert oci.parse_manifest(data, None).media_type == oci.OCI_MANIFEST
    idx = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    assert oci.parse_manifest(idx, "application/json").media_type == oci.OCI_INDEX


@pytest.mark.parametrize("data,ctype", [
    (b"{", oci.OCI_MANIFEST),
    (b"[]", oci.OCI_MANIFEST),
    (json.dumps({"schemaVersion": 1, "fsLayers": []}).encode(), oci.SCHEMA1[1]),
    (json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST, "layers": []}).encode(), oci.OCI_MANIFEST),
    (json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST, "config": dict(CFG, size=-1), "layers": []}).encode(), oci.OCI_MANIFEST),
    (json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST, "config": dict(CFG, digest="sha256:xyz"), "layers": []}).encode(), oci.OCI_MANIFEST),
    (manifest(), oci.DOCKER_MANIFEST),  # body and Content-Type disagree
    (json.dumps({"schemaVersion": 2, "mediaType": "application/x-unknown"}).encode(), "application/x-unknown"),
])
def test_invalid_manifests(data, ctype):
    with pytest.raises(oci.RegistryError) as e:
        oci.parse_manifest(data, ctype)
    assert e.value.code == "MANIFEST_INVALID" and e.value.status == 400


def test_manifest_size_limit():
    with pytest.raises(oci.RegistryError) as e:
        oci.parse_manifest(b" " * (oci.MAX_MANIFEST_BYTES + 1), oci.OCI_MANIFEST)
    assert e.value.status == 413


def test_foreign_layers_are_not_required_in_the_repository():
    foreign = {"mediaType": oci.DOCKER_FOREIGN_LAYER, "digest": "sha256:" + "c" * 64, "size": 5, "urls": ["http://x"]}
    data = json.dumps({"schemaVersion": 2, "mediaType": oci.DOCKER_MANIFEST,
                       "config": dict(CFG, mediaType=oci.DOCKER_CONFIG), "layers": [foreign]}).encode()
    assert oci.parse_manifest(data, oci.DOCKER_MANIFEST).blob_refs()[1:] == []


def test_names_references_digests():
    for good in ("a", "library/busybox", "a.b_c__d-e/f--g"):
        assert oci.check_name(good) == good
    for bad in ("A", "a//b", "-a", "a_", "a/", ""):
        with pytest.raises(oci.RegistryError) as e:
            oci.check_name(bad)
        assert e.value.code == "NAME_INVALID"
    assert oci.check_reference("v1.0_x-y") == "v1.0_x-y"
    with pytest.raises(oci.RegistryError):
        oci.check_reference(".bad")
    with pytest.raises(oci.RegistryError) as e:
        oci.check_digest("sha256:ABC")
    assert e.value.code == "DIGEST_INVALID"
    with pytest.raises(oci.RegistryError) as e:
        oci.check_digest("sha512:" + "a" * 128)
    assert e.value.code == "UNSUPPORTED"


def test_ranges():
    assert oci.parse_content_range("0-99") == (0, 99)
    assert oci.parse_content_range("bytes 100-199/*") == (100, 199)
    with pytest.raises(oci.RegistryError) as e:
        oci.parse_content_range("9-1")
    assert e.value.status == 416
    assert oci.parse_range("bytes=0-9", 100) == (0, 10)
    assert oci.parse_range("bytes=90-", 100) == (90, 100)
    assert oci.parse_range("bytes=-10", 100) == (90, 100)
    assert oci.parse_range("bytes=50-1000", 100) == (50, 100)
    with pytest.raises(oci.RegistryError):
        oci.parse_range("bytes=100-", 100)
    assert oci.upload_range_header(0) == "0-0" and oci.upload_range_header(10) == "0-9"


def test_schema2_oci_conversion_keeps_blobs():
    s2 = json.dumps({"schemaVersion": 2, "mediaType": oci.DOCKER_MANIFEST,
                     "config": dict(CFG, mediaType=oci.DOCKER_CONFIG), "layers": [dict(LAYER, mediaType=oci.DOCKER_LAYER)]}).encode()
    out = json.loads(oci.convert_manifest(s2, oci.DOCKER_MANIFEST, oci.OCI_MANIFEST))
    assert out["mediaType"] == oci.OCI_MANIFEST and out["config"]["mediaType"] == oci.OCI_CONFIG
    assert out["layers"][0] == LAYER
    back = json.loads(oci.convert_manifest(json.dumps(out).encode(), oci.OCI_MANIFEST, oci.DOCKER_MANIFEST))
    assert back["layers"][0]["mediaType"] == oci.DOCKER_LAYER
    zstd = manifest().replace(oci.OCI_LAYER_GZIP.encode(), oci.OCI_LAYER_ZSTD.encode())
    assert oci.convert_manifest(zstd, oci.OCI_MANIFEST, oci.DOCKER_MANIFEST) is None
    assert oci.choose_media_type(oci.DOCKER_MANIFEST, [oci.OCI_MANIFEST]) == oci.OCI_MANIFEST
    assert oci.choose_media_type(oci.DOCKER_MANIFEST, []) == oci.DOCKER_MANIFEST
    assert oci.choose_media_type(oci.OCI_INDEX, [oci.DOCKER_MANIFEST]) is None


def test_registry_passwords_are_signed_and_expire():
    secret = "s" * 64
    token, expires = auth.make_token(secret, "123456789012", "eu-west-1", now=1000.0)
    user, password = auth.parse_basic("Basic " + token)
    assert user == "AWS" and expires == 1000.0 + 12 * 3600
    assert auth.verify_password(secret, password, now=2000.0) == ("123456789012", "eu-west-1")
    assert auth.verify_password(secret, password, now=expires + 1) is None
    assert auth.verify_password("other" * 13, password, now=2000.0) is None
    body, _, mac = password.partition(".")
    assert auth.verify_password(secret, body[:-2] + "AA." + mac, now=2000.0) is None
