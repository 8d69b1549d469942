"""The aws-chunked signature chain (gureum.aws.chunksig) against the examples AWS publishes in
S3's "sigv4-streaming" and "sigv4-streaming-trailers" pages, and tampered variants of them;
the presigned-URL expiry rules of gureum.aws.sigv4."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from gureum.aws import chunksig, sigv4
from gureum.aws.errors import AwsError
from gureum.http.server import Headers, Request

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DATE = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
KEY = sigv4.signing_key(SECRET, "20130524", "us-east-1", "s3")
# AWS's documented example 1 (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): 64 KiB + 1 KiB of "a".
SEED1 = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
SIGS1 = (
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
)
# Example 2 (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER), trailer x-amz-checksum-crc32c.
SEED2 = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
SIGS2 = (
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
)
TRAILER = b"x-amz-checksum-crc32c:sOO8/Q==\r\n"
TRAILER_SIG = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435"
A1, A2 = b"a" * 65536, b"a" * 1024


def _chunk(data: bytes, sig: str) -> bytes:
    return b"%x;chunk-signature=%s\r\n%s\r\n" % (len(data), sig.encode(), data)


def _body(sigs: tuple[str, str, str], trailer: bytes = b"") -> bytes:
    return _chunk(A1, sigs[0]) + _chunk(A2, sigs[1]) + b"0;chunk-signature=" + sigs[2].encode() + b"\r\n" + trailer + b"\r\n"


def _body2(trailer: bytes = TRAILER, sig: str = TRAILER_SIG) -> bytes:
    return _body(SIGS2, trailer + b"x-amz-trailer-signature:" + sig.encode() + b"\r\n")


def _check(body: bytes, seed: str, trailer: bool, step: int = 4096) -> None:
    checker = chunksig.ChunkSignatures(KEY, DATE, SCOPE, seed, trailer)
    for i in range(0, len(body), step):
        checker.feed(body[i : i + step])
    checker.finish()


@pytest.mark.parametrize("step", [1, 7, 4096, 65536, 1 << 20])
def test_aws_published_chunked_example_verifies_in_any_slicing(step):
    _check(_body(SIGS1), SEED1, trailer=False, step=step)


def test_aws_published_trailer_example_verifies():
    _check(_body2(), SEED2, trailer=True)


@pytest.mark.parametrize(
    "body",
    [
        _body(SIGS1).replace(b"a\r\n400;", b"b\r\n400;", 1),  # a data byte changed
        _body(SIGS1).replace(SIGS1[1].encode(), b"0" * 64, 1),  # a chunk signature changed
        _body(SIGS1).replace(b"400;chunk-signature=" + SIGS1[1].encode(), b"400", 1),  # one missing
        _chunk(A2, SIGS1[1]) + _chunk(A1, SIGS1[0]) + b"0;chunk-signature=" + SIGS1[2].encode() + b"\r\n\r\n",  # reordered
        _chunk(A1, SIGS1[0]) + b"0;chunk-signature=" + SIGS1[2].encode() + b"\r\n\r\n",  # a chunk dropped
        _chunk(A1, SIGS1[0]) + b"0;chunk-signature=" + SIGS1[1].encode() + b"\r\n\r\n",  # cut short
    ],
    ids=["data", "signature", "no-signature", "reordered", "dropped", "cut-short"],
)
def test_any_change_to_a_signed_chunked_body_breaks_the_chain(body):
    with pytest.raises(AwsError) as exc:
        _check(body, SEED1, trailer=False)
    assert exc.value.code == "SignatureDoesNotMatch" and exc.value.status == 403


def test_a_body_that_stops_before_its_final_chunk_is_incomplete():
    with pytest.raises(AwsError) as exc:
        _check(_chunk(A1, SIGS1[0]), SEED1, trailer=False)
    assert exc.value.code == "IncompleteBody"


@pytest.mark.parametrize(
    "body",
    [
        _body2(trailer=b"x-amz-checksum-crc32c:AAAAAA==\r\n"),  # the checksum changed
        _body2(trailer=TRAILER + b"x-amz-meta-extra:1\r\n"),  # a trailer added
        _body2(trailer=b""),  # the trailer dropped
        _body2(sig=SEED2),  # the trailer signature changed
        _body(SIGS2, TRAILER),  # the trailer signature missing
    ],
    ids=["changed", "added", "dropped", "bad-signature", "no-signature"],
)
def test_any_change_to_a_signed_trailer_is_refused(body):
    with pytest.raises(AwsError) as exc:
        _check(body, SEED2, trailer=True)
    assert exc.value.code == "SignatureDoesNotMatch"


def test_a_trailer_on_a_body_signed_without_one_is_refused():
    with pytest.raises(AwsError):
        _check(_body(SIGS1, TRAILER), SEED1, trailer=False)


async def _drain(stream) -> bytes:
    out = b""
    async for piece in stream:
        out += piece
    return out


async def _pieces(*parts: bytes):
    for p in parts:
        yield p


def test_the_declared_sha256_is_checked_at_the_end_of_the_stream():
    good = hashlib.sha256(b"hello world").hexdigest()
    assert asyncio.run(_drain(chunksig.verify_sha256(_pieces(b"hello ", b"world"), good))) == b"hello world"
    with pytest.raises(AwsError) as exc:
        asyncio.run(_drain(chunksig.verify_sha256(_pieces(b"hello ", b"World"), good)))
    assert exc.value.code == "XAmzContentSHA256Mismatch" and exc.value.status == 400
    assert exc.value.message == "The provided 'x-amz-content-sha256' header does not match what was computed."


def _presigned(expires: str) -> Request:
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        f"&X-Amz-Date=20130524T000000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
    )
    return Request("GET", "/b/k", query, Headers([("host", "h")]), ("", 0), ("", 0), None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "expires, message",
    [
        ("604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
                   "must be less than 604800 seconds"),
        ("315360000", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
                      "must be less than 604800 seconds"),
        ("abc", "X-Amz-Expires should be a number"),
        ("-1", "X-Amz-Expires must be non-negative"),
    ],
)
def test_presigned_expiry_out_of_range_is_an_authorization_query_parameters_error(expires, message):
    with pytest.raises(AwsError) as exc:
        sigv4.parse(_presigned(expires))
    assert (exc.value.code, exc.value.status, exc.value.message) == ("AuthorizationQueryParametersError", 400, message)


def test_a_week_is_the_longest_presigned_expiry():
    assert sigv4.parse(_presigned("604800")).expires == 604800
