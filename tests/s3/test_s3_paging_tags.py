"""S3 ListObjectsV2's ContinuationToken is an opaque key token of gureum.aws.paging bound to
the bucket, prefix and delimiter (StartAfter stays a plain key), and S3's tag-set rules on
gureum.aws.tags, against a real gureum."""

from __future__ import annotations

import base64
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


def test_continuation_tokens_page_and_are_bound_to_their_listing(s3):
    bucket, other = f"pg-{uuid.uuid4().hex[:10]}", f"pg-{uuid.uuid4().hex[:10]}"
    for b in (bucket, other):
        s3.create_bucket(Bucket=b)
        for k in ("a/1", "a/2", "a/3", "b/1"):
            s3.put_object(Bucket=b, Key=k, Body=b"x")
    pages = [[c["Key"] for c in p.get("Contents", [])] for p in
             s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="a/", PaginationConfig={"PageSize": 2})]
    assert pages == [["a/1", "a/2"], ["a/3"]]
    token = s3.list_objects_v2(Bucket=bucket, Prefix="a/", MaxKeys=1)["NextContinuationToken"]
    forged = base64.urlsafe_b64encode(b"a/1").decode()  # the plain key gureum used to hand out
    for kw in ({"Bucket": other, "Prefix": "a/", "ContinuationToken": token},
               {"Bucket": bucket, "Prefix": "b/", "ContinuationToken": token},
               {"Bucket": bucket, "Prefix": "a/", "Delimiter": "/", "ContinuationToken": token},
               {"Bucket": bucket, "Prefix": "a/", "ContinuationToken": forged}):
        with pytest.raises(ClientError) as e:
            s3.list_objects_v2(MaxKeys=1, **kw)
        assert e.value.response["Error"]["Code"] == "InvalidArgument"
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket, StartAfter="a/2")["Contents"]] == ["a/3", "b/1"]


def test_tag_set_rules(s3):
    bucket = f"pgt-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(50)]})
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(10)]})
    cases = [
        (lambda ts: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": ts}), [{"Key": f"k{i}", "Value": "v"} for i in range(51)], "InvalidTag"),
        (lambda ts: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": ts}), [{"Key": f"k{i}", "Value": "v"} for i in range(11)], "BadRequest"),
        (lambda ts: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": ts}), [{"Key": "aws:x", "Value": "v"}], "InvalidTag"),
        (lambda ts: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": ts}), [{"Key": "a", "Value": "bad#value"}], "InvalidTag"),
        (lambda ts: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": ts}), [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}], "InvalidTag"),
        (lambda ts: s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": ts}), [{"Key": "k" * 129, "Value": "1"}], "InvalidTag"),
    ]
    for put, tag_set, code in cases:
        with pytest.raises(ClientError) as e:
            put(tag_set)
        assert e.value.response["Error"]["Code"] == code, tag_set[:2]
    assert len(s3.get_bucket_tagging(Bucket=bucket)["TagSet"]) == 50
    # PutObject's x-amz-tagging header is held to PutObjectTagging's rules.
    for header, code in (("aws%3Ax=1", "InvalidTag"), ("&".join(f"k{i}=v" for i in range(11)), "BadRequest")):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging=header)
        assert e.value.response["Error"]["Code"] == code, header
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="a=1&b=2")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
