"""The protocol table and the hooks lookups, on plain values."""

from __future__ import annotations

import datetime as dt

import pytest

from gureum.aws import hooks, sigv4, specs
from gureum.aws.errors import AwsError
from gureum.aws.protocols.table import PROTOCOLS, pick
from gureum.services.s3.wire import bucket_from_host


def test_every_protocol_a_served_model_names_is_in_the_table() -> None:
    from gureum.services.registry import SERVED

    assert {specs.load(s).protocol for s in SERVED} <= set(PROTOCOLS)
    assert {"query", "query-compat", "json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor"} == set(PROTOCOLS)


def test_pick_follows_what_the_request_speaks_else_the_model() -> None:
    assert pick(specs.load("s3"), None).name == "rest-xml"
    assert pick(specs.load("lambda"), None).name == "rest-json"
    assert pick(specs.load("iam"), "query").name == "query"
    assert pick(specs.load("sqs"), "query").name == "query-compat"  # awsQueryCompatible json model
    assert pick(specs.load("sqs"), "json").name == "json"
    assert pick(specs.load("servicediscovery"), "smithy-rpc-v2-cbor").name == "smithy-rpc-v2-cbor"


def test_services_without_hooks_get_the_generic_ones_and_s3_its_own() -> None:
    assert hooks.for_service("lambda") is hooks.GENERIC
    assert hooks.for_service(None) is hooks.GENERIC
    s3 = hooks.for_service("s3")
    assert s3 is not hooks.GENERIC and hooks.for_signing_name("s3") is s3
    assert s3.payload_hash_from_header() and not hooks.GENERIC.payload_hash_from_header()
    err = s3.label_error()
    assert err is not None and err.code == "InvalidURI"


def test_s3_virtual_hosts_name_their_bucket() -> None:
    assert bucket_from_host("photos.localhost:4566") == "photos"
    assert bucket_from_host("photos.s3.localhost") == "photos"
    assert bucket_from_host("my.bucket.s3.us-west-2.amazonaws.com") == "my.bucket"
    assert bucket_from_host("s3.localhost") is None
    assert bucket_from_host("localhost:4566") is None


def _signed(when: dt.datetime) -> sigv4.Signed:
    return sigv4.Signed(False, when.strftime("%Y%m%dT%H%M%SZ"), when, "host", "0" * 64, (), None, None)


def test_a_stale_signature_is_s3s_request_time_too_skewed_and_request_expired_elsewhere() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    stale = _signed(now - dt.timedelta(minutes=20))
    with pytest.raises(AwsError) as s3:
        sigv4.check_time(stale, "s3", now)
    assert (s3.value.code, s3.value.status) == ("RequestTimeTooSkewed", 403)
    assert s3.value.fields["RequestTime"] == stale.amz_date
    with pytest.raises(AwsError) as other:
        sigv4.check_time(stale, "lambda", now)
    assert (other.value.code, other.value.status) == ("RequestExpired", 403)


def test_s3_errors_are_error_documents_with_amz_request_ids_and_others_error_responses() -> None:
    err = AwsError("NoSuchBucket", "The specified bucket does not exist", 404, BucketName="b")
    s3 = PROTOCOLS["rest-xml"].serialize_error(specs.load("s3"), err, "rid")
    assert isinstance(s3.body, bytes)
    assert s3.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchBucket</Code>')
    assert b"<BucketName>b</BucketName><RequestId>rid</RequestId><HostId>rid</HostId></Error>" in s3.body
    assert ("x-amz-request-id", "rid") in s3.headers and ("x-amz-id-2", "rid") in s3.headers
    r53 = PROTOCOLS["rest-xml"].serialize_error(specs.load("route53"), AwsError("NoSuchHostedZone", "x", 404), "rid")
    assert isinstance(r53.body, bytes) and b"<ErrorResponse" in r53.body and ("x-amzn-requestid", "rid") in r53.headers
