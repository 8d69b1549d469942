"""S3 end to end through boto3 (with its default aws-chunked uploads and checksums), the AWS
CLI and raw HTTP (virtual-hosted addressing, presigned URLs)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.client
import io
import urllib.parse
import urllib.request
import uuid
import zlib

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def _bucket() -> str:
    return f"bk-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture
def bucket(s3):
    name = _bucket()
    s3.create_bucket(Bucket=name)
    return name


def _code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


def test_bucket_lifecycle_and_not_empty(s3):
    name = _bucket()
    s3.create_bucket(Bucket=name)
    s3.head_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=name)
    assert _code(e) == "BucketNotEmpty"
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket=name)


def test_bucket_names_and_region_constraints(gureum, s3):
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket="Bad_Name")
    assert _code(e) == "InvalidBucketName"
    eu = gureum.client("s3", region="eu-west-1")
    name = _bucket()
    with pytest.raises(ClientError) as e:
        eu.create_bucket(Bucket=name)
    assert _code(e) == "IllegalLocationConstraintException"
    eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    with pytest.raises(ClientError) as e:
        eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert _code(e) == "BucketAlreadyOwnedByYou"
    other = gureum.client("s3", aws_access_key_id="111111111111")
    with pytest.raises(ClientError) as e:
        other.create_bucket(Bucket=name)
    assert _code(e) == "BucketAlreadyExists"


def test_put_get_metadata_and_headers(s3, bucket):
    out = s3.put_object(Bucket=bucket, Key="dir/ä b.txt", Body=b"hello world", ContentType="text/plain",
                        Metadata={"Color": "blue"}, CacheControl="max-age=60", ContentDisposition="inline")
    assert out["ETag"] == '"{}"'.format(hashlib.md5(b"hello world").hexdigest())
    got = s3.get_object(Bucket=bucket, Key="dir/ä b.txt")
    assert got["Body"].read() == b"hello world"
    assert got["ContentType"] == "text/plain" and got["Metadata"] == {"color": "blue"}
    assert got["CacheControl"] == "max-age=60" and got["ContentDisposition"] == "inline"
    assert got["ETag"] == out["ETag"] and got["ContentLength"] == 11
    head = s3.head_object(Bucket=bucket, Key="dir/ä b.txt")
    assert head["ContentLength"] == 11 and head["ETag"] == out["ETag"]
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="missing")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="missing")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_ranges(s3, bucket):
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=2-5")
    assert got["Body"].read() == b"2345" and got["ContentRange"] == "bytes 2-5/10"
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=7-")["Body"].read() == b"789"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=20-30")
    assert _code(e) == "InvalidRange"


def test_conditional_requests(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"v1")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfMatch='"nope"')
    assert _code(e) == "PreconditionFailed"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=future)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="c", Body=b"v2", IfNoneMatch="*")
    assert _code(e) == "PreconditionFailed"


def test_content_md5_is_checked(s3, bucket):
    good = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    s3.put_object(Bucket=bucket, Key="m", Body=b"data", ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="m", Body=b"data", ContentMD5=bad)
    assert _code(e) == "BadDigest"


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_checksums_as_boto3_sends_them(s3, bucket, algorithm):
    if algorithm == "CRC32C":
        pytest.importorskip("awscrt", reason="botocore computes CRC32C only with awscrt installed")
    body = b"checksum me" * 1000
    out = s3.put_object(Bucket=bucket, Key=f"ck-{algorithm}", Body=body, ChecksumAlgorithm=algorithm)
    value = out[f"Checksum{algorithm}"]
    if algorithm == "CRC32":
        assert value == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    if algorithm == "SHA256":
        assert value == base64.b64encode(hashlib.sha256(body).digest()).decode()
    got = s3.get_object(Bucket=bucket, Key=f"ck-{algorithm}", ChecksumMode="ENABLED")
    assert got[f"Checksum{algorithm}"] == value
    assert got["Body"].read() == body  # botocore validates the checksum while reading


def test_wrong_checksum_is_rejected(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="w", Body=b"abc", ChecksumSHA256=base64.b64encode(b"\0" * 32).decode())
    assert _code(e) in ("BadDigest", "InvalidRequest")


def test_multipart_upload_etag_and_min_part_size(s3, bucket):
    part1 = b"a" * (5 * 1024 * 1024)
    part2 = b"tail"
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp", Metadata={"k": "v"})["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=2, Body=part2)["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key="mp", UploadId=up)["Parts"]
    assert [p["PartNumber"] for p in parts] == [1, 2]
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == [up]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    md5s = hashlib.md5(part1).digest() + hashlib.md5(part2).digest()
    assert done["ETag"] == f'"{hashlib.md5(md5s).hexdigest()}-2"'
    got = s3.get_object(Bucket=bucket, Key="mp")
    assert got["ContentLength"] == len(part1) + 4 and got["Metadata"] == {"k": "v"}
    assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(part1 + part2).digest()
    assert s3.get_object(Bucket=bucket, Key="mp", PartNumber=2)["Body"].read() == b"tail"
    small = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    s1 = s3.upload_part(Bucket=bucket, Key="small", UploadId=small, PartNumber=1, Body=b"x")["ETag"]
    s2 = s3.upload_part(Bucket=bucket, Key="small", UploadId=small, PartNumber=2, Body=b"y")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=small, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": s1}, {"PartNumber": 2, "ETag": s2}]})
    assert _code(e) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket=bucket, Key="small", UploadId=small)
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.list_parts(Bucket=bucket, Key="small", UploadId=small)


def test_range_across_multipart_parts(s3, bucket):
    part1 = bytes(range(256)) * (5 * 4096 + 1)
    up = s3.create_multipart_upload(Bucket=bucket, Key="x")["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key="x", UploadId=up, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key="x", UploadId=up, PartNumber=2, Body=b"END")["ETag"]
    s3.complete_multipart_upload(Bucket=bucket, Key="x", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    n = len(part1)
    got = s3.get_object(Bucket=bucket, Key="x", Range=f"bytes={n - 2}-{n + 1}")["Body"].read()
    assert got == part1[-2:] + b"EN"


def test_upload_fileobj_multipart_with_default_checksums(s3, bucket):
    data = uuid.uuid4().bytes * (1024 * 1024)  # 16 MiB: boto3 uses multipart (8 MiB parts)
    s3.upload_fileobj(io.BytesIO(data), bucket, "big")
    head = s3.head_object(Bucket=bucket, Key="big")
    assert head["ContentLength"] == len(data) and head["ETag"].endswith('-2"')
    buf = io.BytesIO()
    s3.download_fileobj(bucket, "big", buf)
    assert buf.getvalue() == data


def test_list_objects_v2_prefix_delimiter_pagination(s3, bucket):
    keys = ["a/1", "a/2", "b/1", "b/c/1", "c", "d"]
    for k in keys:
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    out = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/", "b/"]
    assert [c["Key"] for c in out["Contents"]] == ["c", "d"]
    assert out["KeyCount"] == 4
    out = s3.list_objects_v2(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [c["Key"] for c in out["Contents"]] == ["b/1"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["b/c/"]
    seen, token = [], None
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, **kw)
        seen += [c["Key"] for c in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == keys
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket, StartAfter="b/c/1")["Contents"]] == ["c", "d"]
    seen, token = [], None
    while True:  # one entry per page, common prefixes included
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=1, Delimiter="/", **kw)
        seen += [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [c["Key"] for c in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == ["a/", "b/", "c", "d"]
    v1 = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=1)
    assert v1["NextMarker"] == "a/"
    v1 = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=1, Marker=v1["NextMarker"])
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["b/"]
    v1 = s3.list_objects(Bucket=bucket, Marker="a/2", MaxKeys=2)
    assert [c["Key"] for c in v1["Contents"]] == ["b/1", "b/c/1"] and v1["IsTruncated"]
    paginator = s3.get_paginator("list_objects_v2")
    assert sum(len(p.get("Contents", [])) for p in paginator.paginate(Bucket=bucket, PaginationConfig={
        "PageSize": 1})) == 6


def test_versioning_versions_and_delete_markers(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"two")["VersionId"]
    assert v1 != v2
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)["Body"].read() == b"one"
    d = s3.delete_object(Bucket=bucket, Key="doc")
    assert d["DeleteMarker"] is True
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="doc")
    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in listed["Versions"]] == [v2, v1]
    assert listed["DeleteMarkers"][0]["IsLatest"] is True
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=d["VersionId"])
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"two"


def test_a_delete_marker_version_is_405_with_the_marker_header_not_in_the_document(s3, bucket):
    # AWS: GetObject of a delete marker's version is 405 MethodNotAllowed with the response
    # header x-amz-delete-marker: true; the error document says Method and ResourceType.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="gone")["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="gone", VersionId=marker)
    assert _code(e) == "MethodNotAllowed" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"].get("x-amz-delete-marker") == "true"
    assert e.value.response["Error"].get("ResourceType") == "DeleteMarker"
    assert "x-amz-delete-marker" not in e.value.response["Error"]


def test_copy_object_and_metadata_directive(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"copy me", Metadata={"a": "1"}, ContentType="text/x")
    out = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    got = s3.get_object(Bucket=bucket, Key="dst")
    assert got["Body"].read() == b"copy me" and got["Metadata"] == {"a": "1"}
    assert out["CopyObjectResult"]["ETag"] == got["ETag"]
    s3.copy_object(Bucket=bucket, Key="dst2", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/y")
    got = s3.head_object(Bucket=bucket, Key="dst2")
    assert got["Metadata"] == {"b": "2"} and got["ContentType"] == "text/y"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="src", CopySource=f"{bucket}/src")
    assert _code(e) == "InvalidRequest"


def test_delete_objects(s3, bucket):
    for k in ("x1", "x2"):
        s3.put_object(Bucket=bucket, Key=k, Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "x1"}, {"Key": "x2"}, {"Key": "nope"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["nope", "x1", "x2"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_object_and_bucket_tagging_cors_policy(s3, bucket):
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="a=1&b=2")
    assert s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count") == "2"
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("a", "1"), ("b", "2")]
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "c", "Value": "3"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "c", "Value": "3"}]
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert _code(e) == "NoSuchTagSet"
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "team", "Value": "x"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "team", "Value": "x"}]
    rules = [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 300}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",' \
             f'"Resource":"arn:aws:s3:::{bucket}/*"}}]}}'
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as AWS's do
    s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == policy
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert _code(e) == "NoSuchBucketPolicy"


def test_virtual_hosted_style_addressing(gureum, s3, bucket):
    s3.put_object(Bucket=bucket, Key="vh/key.txt", Body=b"virtual")
    conn = http.client.HTTPConnection("127.0.0.1", gureum.port)
    conn.request("GET", "/vh/key.txt", headers={"Host": f"{bucket}.localhost:{gureum.port}"})
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b"virtual"
    conn.request("GET", "/?list-type=2", headers={"Host": f"{bucket}.s3.localhost:{gureum.port}"})
    body = conn.getresponse().read()
    assert b"<Key>vh/key.txt</Key>" in body


def test_presigned_get_and_put(gureum, s3, bucket):
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=60)
    req = urllib.request.Request(put_url, data=b"presigned body", method="PUT")
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "pre"}, ExpiresIn=60)
    with urllib.request.urlopen(get_url) as resp:
        assert resp.read() == b"presigned body"


def test_presigned_urls_in_strict_auth(tmp_path):
    from harness import GureumProcess

    proc = GureumProcess(tmp_path / "strict", extra_args=["--auth", "strict", "--set",
                                                          "auth.keys=AKIDSTRICT:sekrit"])
    proc.start()
    try:
        from botocore.config import Config

        # SigV4 presigning (boto3 may presign S3 URLs with SigV2, which strict mode does not verify)
        s3 = proc.client("s3", aws_access_key_id="AKIDSTRICT", aws_secret_access_key="sekrit",
                         config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
        s3.create_bucket(Bucket="strict-bucket")
        s3.put_object(Bucket="strict-bucket", Key="k", Body=b"signed")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "strict-bucket", "Key": "k"})
        with urllib.request.urlopen(url) as resp:
            assert resp.read() == b"signed"
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "strict-bucket", "Key": "up"})
        req = urllib.request.Request(put_url, data=b"presigned put", method="PUT")
        with urllib.request.urlopen(req) as resp:
            assert resp.status == 200
        assert s3.get_object(Bucket="strict-bucket", Key="up")["Body"].read() == b"presigned put"
        forged = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(forged)
        assert e.value.code == 403
    finally:
        proc.stop()


def test_aws_cli_cp_and_ls(gureum, tmp_path, bucket):
    src = tmp_path / "f.txt"
    src.write_text("from the cli")
    ep = ("--endpoint-url", gureum.endpoint)
    gureum.aws(*ep, "s3", "cp", str(src), f"s3://{bucket}/cli/f.txt")
    listing = gureum.aws(*ep, "s3", "ls", f"s3://{bucket}/cli/")
    assert "f.txt" in listing
    dst = tmp_path / "back.txt"
    gureum.aws(*ep, "s3", "cp", f"s3://{bucket}/cli/f.txt", str(dst))
    assert dst.read_text() == "from the cli"


def test_objects_survive_kill9(fresh_gureum):
    s3 = fresh_gureum.client("s3")
    s3.create_bucket(Bucket="durable-bucket")
    s3.put_object(Bucket="durable-bucket", Key="k", Body=b"kept")
    fresh_gureum.kill9()
    fresh_gureum.start()
    s3 = fresh_gureum.client("s3")
    assert s3.get_object(Bucket="durable-bucket", Key="k")["Body"].read() == b"kept"


def test_crc32c_supplied_by_the_client_is_checked(s3, bucket):
    crc32c = pytest.importorskip("crc32c")
    body = b"crc32c body"
    value = base64.b64encode(crc32c.crc32c(body).to_bytes(4, "big")).decode()
    out = s3.put_object(Bucket=bucket, Key="c32c", Body=body, ChecksumCRC32C=value)
    assert out["ChecksumCRC32C"] == value
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="c32c", Body=b"other", ChecksumCRC32C=value)
    assert _code(e) == "BadDigest"


def test_multipart_full_object_crc32(s3, bucket):
    part1, part2 = b"p" * (5 * 1024 * 1024), b"q" * 1000
    up = s3.create_multipart_upload(Bucket=bucket, Key="fo", ChecksumAlgorithm="CRC32",
                                    ChecksumType="FULL_OBJECT")["UploadId"]
    parts = []
    for n, data in ((1, part1), (2, part2)):
        out = s3.upload_part(Bucket=bucket, Key="fo", UploadId=up, PartNumber=n, Body=data, ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": n, "ETag": out["ETag"], "ChecksumCRC32": out["ChecksumCRC32"]})
    done = s3.complete_multipart_upload(Bucket=bucket, Key="fo", UploadId=up, MultipartUpload={"Parts": parts},
                                        ChecksumType="FULL_OBJECT")
    want = base64.b64encode(zlib.crc32(part1 + part2).to_bytes(4, "big")).decode()
    assert done["ChecksumCRC32"] == want and done["ChecksumType"] == "FULL_OBJECT"
    got = s3.get_object(Bucket=bucket, Key="fo", ChecksumMode="ENABLED")
    assert got["ChecksumCRC32"] == want
    assert got["Body"].read() == part1 + part2  # botocore validates the full-object CRC32


def test_list_object_versions_pagination(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    made = []
    for key in ("k1", "k2"):
        for body in (b"a", b"b"):
            made.append((key, s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]))
    seen, kw = [], {}
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=1, **kw)
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        if not page["IsTruncated"]:
            break
        kw = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    # newest first within a key
    assert seen == [made[1], made[0], made[3], made[2]]


def test_unreferenced_blobs_are_collected(tmp_path):
    from harness import GureumProcess

    proc = GureumProcess(tmp_path / "gc", extra_args=[
        "--set", "s3.gc_interval_seconds=0.3", "--set", "s3.gc_grace_seconds=0"])
    proc.start()
    try:
        s3 = proc.client("s3")
        s3.create_bucket(Bucket="gc-bucket")
        s3.put_object(Bucket="gc-bucket", Key="k", Body=b"first version")
        s3.put_object(Bucket="gc-bucket", Key="k", Body=b"second version")
        s3.put_object(Bucket="gc-bucket", Key="gone", Body=b"deleted soon")
        s3.delete_object(Bucket="gc-bucket", Key="gone")
        blob_dir = proc.data_dir / "s3" / "sha256"

        def count() -> int:
            return sum(1 for p in blob_dir.rglob("*") if p.is_file())

        wait_for("one blob left (the second version's)", lambda: count() == 1, timeout=30)
        assert s3.get_object(Bucket="gc-bucket", Key="k")["Body"].read() == b"second version"
    finally:
        proc.stop()


@pytest.mark.parametrize("key", ["a+b c", "100%/x%20y", "é/ü?q=1#frag", "trailing/", "  spaced  ", "a//b"])
def test_awkward_keys_round_trip(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    assert key in [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    # asked for explicitly, url-encoded keys come back encoded (botocore decodes only its own default)
    listed = s3.list_objects_v2(Bucket=bucket, EncodingType="url")["Contents"]
    assert any(urllib.parse.unquote_plus(c["Key"]) == key for c in listed)


def test_objects_are_sse_s3_encrypted_by_default(s3, bucket):
    # AWS (since January 2023): every new object is stored with SSE-S3, and the responses that
    # describe an object's encryption carry x-amz-server-side-encryption: AES256.
    assert s3.put_object(Bucket=bucket, Key="sse", Body=b"x")["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=bucket, Key="sse")["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="sse")["ServerSideEncryption"] == "AES256"
    assert s3.copy_object(Bucket=bucket, Key="sse2", CopySource=f"{bucket}/sse")["ServerSideEncryption"] == "AES256"
    up = s3.create_multipart_upload(Bucket=bucket, Key="sse3")
    assert up["ServerSideEncryption"] == "AES256"
    part = s3.upload_part(Bucket=bucket, Key="sse3", UploadId=up["UploadId"], PartNumber=1, Body=b"y")
    assert part["ServerSideEncryption"] == "AES256"
    done = s3.complete_multipart_upload(Bucket=bucket, Key="sse3", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert done["ServerSideEncryption"] == "AES256"


def test_acls_are_disabled_by_default(s3, bucket):
    # AWS (since April 2023): new buckets are BucketOwnerEnforced; an ACL that grants anyone but
    # the bucket owner is AccessControlListNotSupported, owner-only ACLs and none pass.
    def code_of(call, **kw):
        with pytest.raises(ClientError) as e:
            call(**kw)
        return (e.value.response["ResponseMetadata"]["HTTPStatusCode"], e.value.response["Error"]["Code"],
                e.value.response["Error"]["Message"])

    refused = (400, "AccessControlListNotSupported", "The bucket does not allow ACLs")
    assert code_of(s3.put_object, Bucket=bucket, Key="a", Body=b"x", ACL="public-read") == refused
    s3.put_object(Bucket=bucket, Key="a", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="a", Body=b"x", ACL="private")
    assert code_of(s3.put_object_acl, Bucket=bucket, Key="a", ACL="public-read") == refused
    assert code_of(s3.put_bucket_acl, Bucket=bucket, ACL="public-read") == refused
    assert code_of(s3.put_bucket_acl, Bucket=bucket, GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"') \
        == refused
    assert code_of(s3.copy_object, Bucket=bucket, Key="b", CopySource=f"{bucket}/a", ACL="public-read") == refused
    assert code_of(s3.create_multipart_upload, Bucket=bucket, Key="c", ACL="authenticated-read") == refused
    assert code_of(s3.create_bucket, Bucket=_bucket(), ACL="public-read") == (
        400, "InvalidBucketAclWithObjectOwnership",
        "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
    writer = _bucket()
    assert code_of(s3.create_bucket, Bucket=writer, ACL="public-read", ObjectOwnership="ObjectWriter") == (
        400, "InvalidBucketAclWithBlockPublicAccessError",
        "Bucket cannot have public ACLs set with BlockPublicAccess enabled")  # new buckets block public ACLs too
    s3.create_bucket(Bucket=writer, ObjectOwnership="ObjectWriter")
    assert code_of(s3.put_object, Bucket=writer, Key="a", Body=b"x", ACL="public-read") == (
        403, "AccessDenied", "Access Denied")
    s3.delete_public_access_block(Bucket=writer)
    s3.put_object(Bucket=writer, Key="a", Body=b"x", ACL="public-read")
