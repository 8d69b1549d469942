"""`--auth strict` signatures cover the body (gureum.aws.auth, sigv4, chunksig): attacks that
swap a signed request's body, tamper with an aws-chunked upload, send large unsigned bodies or
stretch presigned URLs are refused with AWS's errors; real clients (boto3, the AWS CLI) keep
working over every protocol. Two accounts: the CLI's default key and a second one."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import io
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib
from base64 import b64encode
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from harness import GureumProcess

ALICE = "111111111111"  # key test:test, as the AWS CLI in tests uses
BOB = "222222222222"
EMPTY = hashlib.sha256(b"").hexdigest()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    data = tmp_path_factory.mktemp("sigv4") / "data"
    proc = GureumProcess(data, ["--auth", "strict", "--set", f"auth.keys=test:test:{ALICE},bobkey:bobsecret:{BOB}"])
    proc.start()
    yield proc
    proc.stop()


def _bob(g: GureumProcess, service: str) -> Any:
    return g.client(service, aws_access_key_id="bobkey", aws_secret_access_key="bobsecret")


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def _swap_body(client: Any, old: bytes, new: bytes, declare: bool = False) -> None:
    """After botocore has signed the request, replace `old` with `new` in its body; with
    `declare`, also claim the signed body's hash in an (unsigned) x-amz-content-sha256."""

    def swap(request: Any, **_: Any) -> None:
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        elif isinstance(body, str):
            body = body.encode()
        assert old in body
        if declare:
            request.headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
        request.body = body.replace(old, new)
        request.headers["Content-Length"] = str(len(request.body))

    client.meta.events.register("before-send", swap)


# ---- bodies swapped after signing -------------------------------------------------------


@pytest.mark.parametrize("declare", [True, False], ids=["declared-hash", "plain"])
@pytest.mark.parametrize("victim", ["mallory", "bobby"], ids=["different-length", "same-length"])
def test_a_signed_iam_create_user_with_its_body_swapped_is_refused(strict, victim, declare):
    iam = strict.client("iam")
    _swap_body(iam, b"UserName=alice", b"UserName=" + victim.encode(), declare)
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="alice")
    assert _code(exc) == ("SignatureDoesNotMatch", 403)
    users = [u["UserName"] for u in strict.client("iam").list_users()["Users"]]
    assert victim not in users and "alice" not in users
    assert victim not in [u["UserName"] for u in _bob(strict, "iam").list_users()["Users"]]


def test_a_signed_sqs_json_request_with_its_body_swapped_is_refused(strict):
    sqs = _bob(strict, "sqs")
    _swap_body(sqs, b'"QueueName": "good"', b'"QueueName": "evil"', declare=True)
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName="good")
    assert _code(exc) == ("SignatureDoesNotMatch", 403)
    assert not _bob(strict, "sqs").list_queues().get("QueueUrls")


@pytest.mark.parametrize("checksum", ["when_required", "when_supported"], ids=["sha256-only", "with-crc32"])
def test_an_s3_put_with_its_signed_bytes_swapped_is_refused_and_nothing_stored(strict, checksum):
    from botocore.config import Config

    s3 = strict.client("s3")
    s3.create_bucket(Bucket="swapped")
    # sha256-only: no x-amz-checksum-* header, the signed x-amz-content-sha256 is all that binds the bytes.
    tampered = strict.client("s3", config=Config(retries={"max_attempts": 1}, request_checksum_calculation=checksum))
    _swap_body(tampered, b"pay 10 dollars", b"pay 99 dollars")
    with pytest.raises(ClientError) as exc:
        tampered.put_object(Bucket="swapped", Key="cheque", Body=b"pay 10 dollars")
    assert _code(exc) == ("XAmzContentSHA256Mismatch", 400)
    err = exc.value.response["Error"]
    assert err["Message"] == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert s3.list_objects_v2(Bucket="swapped").get("KeyCount") == 0
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket="swapped", Key="cheque")
    assert _code(exc)[1] == 404
    # A non-streamed S3 body (bucket tagging) is held to its declared hash too.
    tags = strict.client("s3")
    _swap_body(tags, b"<Value>blue</Value>", b"<Value>gray</Value>")
    with pytest.raises(ClientError) as exc:
        tags.put_bucket_tagging(Bucket="swapped", Tagging={"TagSet": [{"Key": "c", "Value": "blue"}]})
    assert _code(exc) == ("XAmzContentSHA256Mismatch", 400)


def test_an_upload_part_with_its_signed_bytes_swapped_is_refused_and_no_part_kept(strict):
    from botocore.config import Config

    s3 = strict.client("s3")
    s3.create_bucket(Bucket="swapped-parts")
    upload = s3.create_multipart_upload(Bucket="swapped-parts", Key="big")["UploadId"]
    tampered = strict.client("s3", config=Config(retries={"max_attempts": 1}, request_checksum_calculation="when_required"))
    part = b"a" * (5 << 20)
    _swap_body(tampered, b"a" * 64, b"b" * 64)
    with pytest.raises(ClientError) as exc:
        tampered.upload_part(Bucket="swapped-parts", Key="big", UploadId=upload, PartNumber=1, Body=part)
    assert _code(exc) == ("XAmzContentSHA256Mismatch", 400)
    assert not s3.list_parts(Bucket="swapped-parts", Key="big", UploadId=upload).get("Parts")


def test_an_s3_request_without_a_content_sha256_header_is_refused(strict):
    s3 = strict.client("s3")

    def drop(request: Any, **_: Any) -> None:
        del request.headers["x-amz-content-sha256"]

    s3.meta.events.register("before-send", drop)
    with pytest.raises(ClientError) as exc:
        s3.list_buckets()
    assert _code(exc) == ("InvalidRequest", 400)


# ---- aws-chunked uploads ----------------------------------------------------------------


def _signed_headers(g: GureumProcess, path: str, mode: str, extra: dict[str, str]) -> tuple[dict[str, str], str, str]:
    """Headers for a PUT signed by botocore with x-amz-content-sha256 = `mode`; the seed
    signature and x-amz-date."""

    class Streaming(S3SigV4Auth):
        def payload(self, request: Any) -> str:
            return mode

    req = AWSRequest("PUT", g.endpoint + path, headers=extra)
    Streaming(Credentials("test", "test"), "s3", "us-east-1").add_auth(req)
    headers = {k: v.decode() if isinstance(v, bytes) else v for k, v in req.headers.items()}
    seed = headers["Authorization"].rsplit("Signature=", 1)[1]
    return headers, seed, headers["X-Amz-Date"]


def _key(date: str) -> bytes:
    k = ("AWS4test").encode()
    for part in (date[:8], "us-east-1", "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def _chunked(pieces: list[bytes], seed: str, amz_date: str, trailer: bytes | None = None) -> bytes:
    """An aws-chunked body signed per S3's sigv4-streaming doc (the verifier itself is checked
    against AWS's published examples in test_chunksig.py)."""
    key, scope, prev, out = _key(amz_date), f"{amz_date[:8]}/us-east-1/s3/aws4_request", seed, b""
    for data in [*pieces, b""]:
        to_sign = f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev}\n{EMPTY}\n{hashlib.sha256(data).hexdigest()}"
        prev = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        out += b"%x;chunk-signature=%s\r\n" % (len(data), prev.encode()) + (data + b"\r\n" if data else b"")
    if trailer is not None:
        digest = hashlib.sha256(trailer.replace(b"\r\n", b"\n")).hexdigest()
        to_sign = f"AWS4-HMAC-SHA256-TRAILER\n{amz_date}\n{scope}\n{prev}\n{digest}"
        sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        out += trailer + b"x-amz-trailer-signature:" + sig.encode() + b"\r\n"
    return out + b"\r\n"


def _put(g: GureumProcess, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    u = urllib.parse.urlsplit(g.endpoint)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    try:
        conn.request("PUT", path, body=body, headers={**headers, "Content-Length": str(len(body))})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _crc32(data: bytes) -> str:
    return b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


CHUNKS = [b"x" * 65536, b"y" * 65536, b"z" * 1000]


def _chunk_headers(g: GureumProcess, key: str, mode: str, trailer: str | None = None) -> tuple[dict[str, str], str, str]:
    extra = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(sum(map(len, CHUNKS)))}
    if trailer:
        extra["x-amz-trailer"] = trailer
    return _signed_headers(g, f"/chunky/{key}", mode, extra)


def test_signed_aws_chunked_uploads_are_verified_chunk_by_chunk(strict):
    s3 = strict.client("s3")
    s3.create_bucket(Bucket="chunky")
    headers, seed, date = _chunk_headers(strict, "good", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    status, body = _put(strict, "/chunky/good", headers, _chunked(CHUNKS, seed, date))
    assert status == 200, body
    assert s3.get_object(Bucket="chunky", Key="good")["Body"].read() == b"".join(CHUNKS)

    headers, seed, date = _chunk_headers(strict, "bad", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    body = _chunked(CHUNKS, seed, date)
    tampered = body.replace(b"y" * 100, b"Y" * 100, 1)  # same framing, one chunk's bytes changed
    status, answer = _put(strict, "/chunky/bad", headers, tampered)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket="chunky", Key="bad")
    assert _code(exc)[1] == 404


def test_signed_aws_chunked_uploads_with_a_signed_checksum_trailer(strict):
    s3 = strict.client("s3")
    s3.create_bucket(Bucket="chunky")
    whole = b"".join(CHUNKS)
    trailer = f"x-amz-checksum-crc32:{_crc32(whole)}\r\n".encode()
    headers, seed, date = _chunk_headers(strict, "trailed", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "x-amz-checksum-crc32")
    status, body = _put(strict, "/chunky/trailed", headers, _chunked(CHUNKS, seed, date, trailer))
    assert status == 200, body
    got = s3.get_object(Bucket="chunky", Key="trailed", ChecksumMode="ENABLED")
    assert got["Body"].read() == whole and got["ChecksumCRC32"] == _crc32(whole)

    headers, seed, date = _chunk_headers(strict, "retrailed", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", "x-amz-checksum-crc32")
    body = _chunked(CHUNKS, seed, date, trailer).replace(_crc32(whole).encode(), _crc32(b"other").encode())
    status, answer = _put(strict, "/chunky/retrailed", headers, body)
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in answer
    with pytest.raises(ClientError):
        s3.head_object(Bucket="chunky", Key="retrailed")


def test_unsigned_aws_chunked_uploads_with_a_checksum_trailer_still_work(strict):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER (what boto3 sends over HTTPS): the chunks are not
    signed, the trailing checksum is what S3 holds the bytes to."""
    s3 = strict.client("s3")
    s3.create_bucket(Bucket="chunky")
    whole = b"".join(CHUNKS)

    def unsigned(checksum: str) -> bytes:
        out = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in CHUNKS)
        return out + b"0\r\nx-amz-checksum-crc32:" + checksum.encode() + b"\r\n\r\n"

    headers, _, _ = _chunk_headers(strict, "plain", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-checksum-crc32")
    status, body = _put(strict, "/chunky/plain", headers, unsigned(_crc32(whole)))
    assert status == 200, body
    assert s3.get_object(Bucket="chunky", Key="plain")["Body"].read() == whole
    headers, _, _ = _chunk_headers(strict, "plain2", "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "x-amz-checksum-crc32")
    status, body = _put(strict, "/chunky/plain2", headers, unsigned(_crc32(b"other")))
    assert status == 400 and b"BadDigest" in body


# ---- refused before the body is read ----------------------------------------------------


def _headers_only(g: GureumProcess, head: str) -> bytes:
    """Send a request line and headers that promise 100 MiB, never the body; the answer."""
    u = urllib.parse.urlsplit(g.endpoint)
    with socket.create_connection((u.hostname, u.port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"Content-Length: 104857600\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
        sock.settimeout(30)
        while True:  # the server closes after answering: it will not read the body
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    return answer


@pytest.mark.parametrize(
    "head, code",
    [
        ("POST / HTTP/1.1\nHost: x\nContent-Type: application/x-amz-json-1.0\nX-Amz-Target: AmazonSQS.ListQueues\n",
         b"MissingAuthenticationToken"),
        ("POST / HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\n", b"MissingAuthenticationToken"),
        ("PUT /bucket/key HTTP/1.1\nHost: x\n", b"MissingAuthenticationToken"),
        ("POST / HTTP/1.1\nHost: x\nContent-Type: application/x-www-form-urlencoded\nX-Amz-Date: 20260101T000000Z\n"
         "Authorization: AWS4-HMAC-SHA256 Credential=AKIANOBODY/20260101/us-east-1/iam/aws4_request, "
         "SignedHeaders=host, Signature=00\n", b"InvalidClientTokenId"),
    ],
    ids=["json-unsigned", "query-unsigned", "s3-unsigned", "unknown-key"],
)
def test_a_large_unauthenticated_body_is_refused_before_it_is_sent(strict, head, code):
    answer = _headers_only(strict, head)
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
    assert code in answer
    assert strict.health()["ready"]


def test_a_client_still_sending_a_refused_body_reads_the_answer_not_a_reset(strict):
    """The server answers early and closes; what the client is still sending is discarded
    meanwhile, so the answer is not lost to a TCP reset."""
    u = urllib.parse.urlsplit(strict.endpoint)
    with socket.create_connection((u.hostname, u.port), timeout=30) as sock:
        sock.sendall(b"PUT /bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
        sock.sendall(b"\0" * (4 << 20))  # sent before reading anything back
        answer = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
    assert answer.startswith(b"HTTP/1.1 403 ") and b"MissingAuthenticationToken" in answer


# ---- presigned URLs ---------------------------------------------------------------------


def test_presigned_urls_live_at_most_a_week(strict):
    from botocore.config import Config

    s3 = strict.client("s3", config=Config(signature_version="s3v4", retries={"max_attempts": 1}))
    s3.create_bucket(Bucket="presign")
    s3.put_object(Bucket="presign", Key="k", Body=b"v")
    week = s3.generate_presigned_url("get_object", Params={"Bucket": "presign", "Key": "k"}, ExpiresIn=604800)
    with urllib.request.urlopen(week, timeout=10) as resp:
        assert resp.read() == b"v"
    for url, message in [
        (s3.generate_presigned_url("get_object", Params={"Bucket": "presign", "Key": "k"}, ExpiresIn=604801),
         "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than "
         "604800 seconds"),
        (week.replace("X-Amz-Expires=604800", "X-Amz-Expires=abc"), "X-Amz-Expires should be a number"),
    ]:
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(url, timeout=10)
        body = exc.value.read().decode()
        assert exc.value.code == 400, body
        assert "<Code>AuthorizationQueryParametersError</Code>" in body and f"<Message>{message}</Message>" in body
    # An expired one (signed an hour ago for a minute) is AccessDenied "Request has expired".
    old = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(hours=1)
    from unittest import mock

    with mock.patch("botocore.auth.get_current_datetime", return_value=old):
        expired = s3.generate_presigned_url("get_object", Params={"Bucket": "presign", "Key": "k"}, ExpiresIn=60)
    old = old.strftime("%Y%m%dT%H%M%SZ")
    assert f"X-Amz-Date={old}" in expired
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(expired, timeout=10)
    body = exc.value.read().decode()
    assert exc.value.code == 403 and "<Code>AccessDenied</Code>" in body and "Request has expired" in body


# ---- real clients keep working ----------------------------------------------------------


def test_boto3_s3_small_and_multipart_uploads(strict):
    s3 = _bob(strict, "s3")
    s3.create_bucket(Bucket="bob-real")
    s3.put_object(Bucket="bob-real", Key="small", Body=b"tiny")
    assert s3.get_object(Bucket="bob-real", Key="small")["Body"].read() == b"tiny"
    data = bytes(range(256)) * (9 * 4096)  # 9 MiB: two parts
    cfg = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
    s3.upload_fileobj(io.BytesIO(data), "bob-real", "big", Config=cfg)
    got = s3.get_object(Bucket="bob-real", Key="big")
    assert got["ETag"].endswith('-2"') and got["Body"].read() == data


def test_aws_cli_s3_cp_of_10_mb(strict, tmp_path: Path):
    src = tmp_path / "ten.bin"
    src.write_bytes(hashlib.sha256(b"seed").digest() * (10 * 1024 * 1024 // 32))
    strict.aws("s3", "mb", "s3://cli-strict")
    strict.aws("s3", "cp", str(src), "s3://cli-strict/ten.bin")
    back = tmp_path / "back.bin"
    strict.aws("s3", "cp", "s3://cli-strict/ten.bin", str(back))
    assert back.read_bytes() == src.read_bytes()


def test_query_json_rest_json_and_rest_xml_protocols(strict):
    from lambda_.lambda_helpers import TRUST, zip_of

    iam = _bob(strict, "iam")  # query
    iam.create_user(UserName="carol")
    assert iam.get_user(UserName="carol")["User"]["Arn"] == f"arn:aws:iam::{BOB}:user/carol"
    assert "carol" not in [u["UserName"] for u in strict.client("iam").list_users()["Users"]]

    sqs = strict.client("sqs")  # json
    url = sqs.create_queue(QueueName="strict-q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "hi"

    role = strict.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = strict.client("lambda")  # rest-json with a zip
    zipped = zip_of({"app.py": "def handler(e, c):\n    return 1\n"})
    out = lam.create_function(FunctionName="strict-fn", Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": zipped})
    assert out["CodeSize"] == len(zipped)

    r53 = _bob(strict, "route53")  # rest-xml
    zone = r53.create_hosted_zone(Name="strict.test", CallerReference=str(uuid.uuid4()))["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": "www.strict.test", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "10.0.0.1"}]}}]})
    names = [r["Name"] for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]]
    assert "www.strict.test." in names
