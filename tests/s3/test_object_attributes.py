"""GetObjectAttributes, RestoreObject over archived storage classes, and GetObjectTorrent,
end to end through boto3."""

from __future__ import annotations

import base64
import hashlib
import urllib.request
import uuid
import zlib

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"at-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _err(exc: pytest.ExceptionInfo) -> tuple[str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]


def test_attributes_of_a_plain_object(s3, bucket):
    body = b"hello attributes"
    put = s3.put_object(Bucket=bucket, Key="a", Body=body, ChecksumAlgorithm="SHA256")
    got = s3.get_object_attributes(Bucket=bucket, Key="a", ObjectAttributes=ALL)
    assert got["ETag"] == hashlib.md5(body).hexdigest() == put["ETag"].strip('"')
    assert got["ObjectSize"] == len(body)
    assert got["StorageClass"] == "STANDARD"
    assert got["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert "ObjectParts" not in got  # not a multipart object
    only = s3.get_object_attributes(Bucket=bucket, Key="a", ObjectAttributes=["ObjectSize"])
    assert only["ObjectSize"] == len(body) and "ETag" not in only and "StorageClass" not in only
    with pytest.raises(ClientError) as e:
        s3.get_object_attributes(Bucket=bucket, Key="missing", ObjectAttributes=["ETag"])
    assert _err(e) == ("NoSuchKey", 404)


def test_attributes_list_parts_of_a_multipart_object(s3, bucket):
    part = b"p" * (5 * 1024 * 1024)
    up = s3.create_multipart_upload(Bucket=bucket, Key="m", ChecksumAlgorithm="CRC32")["UploadId"]
    parts = []
    for n, data in ((1, part), (2, part), (3, b"tail")):
        r = s3.upload_part(Bucket=bucket, Key="m", UploadId=up, PartNumber=n, Body=data, ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
    s3.complete_multipart_upload(Bucket=bucket, Key="m", UploadId=up, MultipartUpload={"Parts": parts})
    got = s3.get_object_attributes(Bucket=bucket, Key="m", ObjectAttributes=ALL, MaxParts=2)
    op = got["ObjectParts"]
    assert op["TotalPartsCount"] == 3 and op["IsTruncated"] is True and op["NextPartNumberMarker"] == 2
    assert [(p["PartNumber"], p["Size"]) for p in op["Parts"]] == [(1, len(part)), (2, len(part))]
    crc = base64.b64encode(zlib.crc32(part).to_bytes(4, "big")).decode()
    assert op["Parts"][0]["ChecksumCRC32"] == crc
    assert got["ETag"].endswith("-3")
    rest = s3.get_object_attributes(Bucket=bucket, Key="m", ObjectAttributes=["ObjectParts"], PartNumberMarker=2)
    assert [p["PartNumber"] for p in rest["ObjectParts"]["Parts"]] == [3]
    assert rest["ObjectParts"]["IsTruncated"] is False


def test_archived_object_needs_a_restore(s3, bucket):
    s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass="GLACIER")
    assert s3.head_object(Bucket=bucket, Key="cold")["StorageClass"] == "GLACIER"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cold")
    assert _err(e) == ("InvalidObjectState", 403)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "cold"})
    assert _err(e) == ("InvalidObjectState", 403)
    # Standard takes 30 s by default (gureum's scale for AWS's hours): the restore is ongoing
    first = s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1,
                                                                        "GlacierJobParameters": {"Tier": "Standard"}})
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert s3.head_object(Bucket=bucket, Key="cold")["Restore"] == 'ongoing-request="true"'
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=bucket, Key="cold", RestoreRequest={"Days": 1})
    assert _err(e) == ("RestoreAlreadyInProgress", 409)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cold")
    assert _err(e) == ("InvalidObjectState", 403)
    listed = s3.list_objects_v2(Bucket=bucket, OptionalObjectAttributes=["RestoreStatus"])["Contents"]
    assert next(o for o in listed if o["Key"] == "cold")["RestoreStatus"] == {"IsRestoreInProgress": True}


def test_expedited_restore_completes_with_an_expiry(s3, bucket):
    s3.put_object(Bucket=bucket, Key="deep", Body=b"thawed", StorageClass="GLACIER")
    r = s3.restore_object(Bucket=bucket, Key="deep", RestoreRequest={"Days": 2,
                                                                    "GlacierJobParameters": {"Tier": "Expedited"}})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 202
    done = wait_for("the restore to finish",
                    lambda: 'ongoing-request="false"' in (s3.head_object(Bucket=bucket, Key="deep").get("Restore") or ""),
                    timeout=60, interval=0.5)
    assert done
    restore = s3.head_object(Bucket=bucket, Key="deep")["Restore"]
    assert "expiry-date=" in restore and "00:00:00 GMT" in restore
    assert s3.get_object(Bucket=bucket, Key="deep")["Body"].read() == b"thawed"
    listed = s3.list_objects_v2(Bucket=bucket, OptionalObjectAttributes=["RestoreStatus"])["Contents"]
    status = next(o for o in listed if o["Key"] == "deep")["RestoreStatus"]
    assert status["IsRestoreInProgress"] is False and status["RestoreExpiryDate"].hour == 0
    assert "RestoreStatus" not in s3.list_objects_v2(Bucket=bucket)["Contents"][0]
    again = s3.restore_object(Bucket=bucket, Key="deep", RestoreRequest={"Days": 5})
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200  # a restored copy: only its expiry moves
    assert s3.head_object(Bucket=bucket, Key="deep")["Restore"] != restore


def test_restore_refused_outside_archive_classes(s3, bucket):
    s3.put_object(Bucket=bucket, Key="warm", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=bucket, Key="warm", RestoreRequest={"Days": 1})
    assert _err(e) == ("InvalidObjectState", 403)
    s3.put_object(Bucket=bucket, Key="deep", Body=b"x", StorageClass="DEEP_ARCHIVE")
    with pytest.raises(ClientError) as e:
        s3.restore_object(Bucket=bucket, Key="deep", RestoreRequest={"Days": 1,
                                                                    "GlacierJobParameters": {"Tier": "Expedited"}})
    assert _err(e)[1] == 400


def _bdecode(data: bytes, i: int = 0):
    c = data[i:i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1:end]), end + 1
    if c in (b"l", b"d"):
        items, i = [], i + 1
        while data[i:i + 1] != b"e":
            v, i = _bdecode(data, i)
            items.append(v)
        return (dict(zip(items[::2], items[1::2], strict=True)) if c == b"d" else items), i + 1
    colon = data.index(b":", i)
    n = int(data[i:colon])
    return data[colon + 1:colon + 1 + n], colon + 1 + n


def test_torrent_describes_the_object_and_seeds_from_gureum(gureum, s3, bucket):
    body = bytes(range(256)) * 2048 + b"end"  # two pieces of 256 KiB and a short third
    s3.put_object(Bucket=bucket, Key="dir/file.bin", Body=body)
    meta, _ = _bdecode(s3.get_object_torrent(Bucket=bucket, Key="dir/file.bin")["Body"].read())
    info = meta[b"info"]
    assert info[b"name"] == b"file.bin" and info[b"length"] == len(body)
    size = info[b"piece length"]
    want = b"".join(hashlib.sha1(body[i:i + size]).digest() for i in range(0, len(body), size))
    assert info[b"pieces"] == want and len(want) == 20 * 3
    seed = meta[b"url-list"][0].decode()
    assert seed.endswith(f"/{bucket}/dir/file.bin")
    with urllib.request.urlopen(urllib.request.Request(seed, headers={"Range": "bytes=262144-262147"})) as r:
        assert r.read() == body[262144:262148]  # the web seed serves the pieces
