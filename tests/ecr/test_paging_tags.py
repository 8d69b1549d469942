"""ECR listings paged with boto3's paginators (key tokens of gureum.aws.paging) and the tag
rules of gureum.aws.tags, against a real gureum."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from ecr.ocihttp import Registry

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


@pytest.fixture(scope="module")
def ecr(gureum):
    return gureum.client("ecr")


@pytest.fixture(scope="module")
def reg(gureum) -> Registry:
    return Registry(gureum.endpoint)


@pytest.fixture
def name() -> str:
    return f"pg/{uuid.uuid4().hex[:10]}"


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def _images(ecr, reg, name) -> list[str]:
    ecr.create_repository(repositoryName=name)
    digests = [reg.image(name, f"v{i}", [f"layer {i}".encode()])[0] for i in range(4)]
    reg.image(name, None, [b"untagged"])
    reg.push_manifest(name, "v0-again", reg.req("GET", f"/v2/{name}/manifests/v0", headers={"Accept": OCI_MANIFEST}).body, OCI_MANIFEST)
    return digests


def test_describe_and_list_images_page_through_every_image_once(ecr, reg, name):
    _images(ecr, reg, name)
    pages = list(ecr.get_paginator("describe_images").paginate(repositoryName=name, PaginationConfig={"PageSize": 2}))
    flat = [d["imageDigest"] for p in pages for d in p["imageDetails"]]
    assert len(pages) == 3 and len(flat) == 5 == len(set(flat))
    tagged = [d["imageDigest"] for p in ecr.get_paginator("describe_images").paginate(
        repositoryName=name, filter={"tagStatus": "TAGGED"}, PaginationConfig={"PageSize": 1}) for d in p["imageDetails"]]
    assert len(tagged) == 4
    pages = list(ecr.get_paginator("list_images").paginate(repositoryName=name, PaginationConfig={"PageSize": 2}))
    ids = [(i["imageDigest"], i.get("imageTag")) for p in pages for i in p["imageIds"]]
    assert len(pages) == 3 and len(ids) == 6 == len(set(ids))  # 4 tags + a second tag + one untagged
    assert {t for _, t in ids} == {"v0", "v1", "v2", "v3", "v0-again", None}


def test_list_image_referrers_pages(ecr, reg, name):
    ecr.create_repository(repositoryName=name)
    subject, sdata = reg.image(name, "v1", [b"s"])
    cfg = reg.push_blob(name, b"{}")
    made = set()
    for i in range(3):
        art = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.sig", "layers": [],
               "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfg, "size": 2},
               "annotations": {"n": str(i)}, "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": len(sdata)}}
        made.add(reg.push_manifest(name, f"sig{i}", art).header("Docker-Content-Digest"))
    seen, kw = [], {}
    while True:
        out = ecr.list_image_referrers(repositoryName=name, subjectId={"imageDigest": subject}, maxResults=2, **kw)
        seen += [r["digest"] for r in out["referrers"]]
        if "nextToken" not in out:
            break
        kw = {"nextToken": out["nextToken"]}
    assert seen == sorted(made)


def test_a_token_of_another_repository_is_refused(ecr, reg, name):
    _images(ecr, reg, name)
    other = name + "-other"
    ecr.create_repository(repositoryName=other)
    token = ecr.describe_images(repositoryName=name, maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as e:
        ecr.describe_images(repositoryName=other, maxResults=1, nextToken=token)
    assert code(e) == "InvalidParameterException"
    token = ecr.list_images(repositoryName=name, maxResults=1)["nextToken"]
    for bad in (token[:-3], "MQ"):  # truncated; the offset token ("1") gureum used to hand out
        with pytest.raises(ClientError) as e:
            ecr.list_images(repositoryName=name, maxResults=1, nextToken=bad)
        assert code(e) == "InvalidParameterException"


def test_tag_rules(ecr, name):
    arn = ecr.create_repository(repositoryName=name)["repository"]["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as e:
        ecr.tag_resource(resourceArn=arn, tags=[{"Key": "one-more", "Value": "v"}])
    assert code(e) == "TooManyTagsException"
    for bad in ({"Key": "aws:x", "Value": "v"}, {"Key": "k1", "Value": "bad#value"}, {"Key": "bad*key", "Value": "v"}):
        with pytest.raises(ClientError) as e:
            ecr.tag_resource(resourceArn=arn, tags=[bad])
        assert code(e) == "InvalidTagParameterException"
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName=name + "x", tags=[{"Key": "aws:x", "Value": "v"}])
    assert code(e) == "InvalidTagParameterException"
    ecr.untag_resource(resourceArn=arn, tagKeys=[f"k{i}" for i in range(1, 50)])
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "k0", "Value": "v"}]


def test_lifecycle_policy_preview_pages(ecr, reg, name):
    from ecr.test_lifecycle import _pad, policy, rule

    ecr.create_repository(repositoryName=name)
    digests = {reg.image(name, f"v{i}", [f"life {i}".encode()])[0] for i in range(5)}
    ecr.start_lifecycle_policy_preview(repositoryName=name, lifecyclePolicyText=_pad(policy(rule(1, "tagged", n=1, tagPrefixList=["v"]))))
    pages = [p["previewResults"] for p in ecr.get_paginator("get_lifecycle_policy_preview").paginate(
        repositoryName=name, PaginationConfig={"PageSize": 2})]
    flat = [r["imageDigest"] for p in pages for r in p]
    assert len(pages) == 2 and len(flat) == 4 == len(set(flat)) and set(flat) < digests
