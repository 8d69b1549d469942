"""The protocol table and the hooks lookups, on plain values."""

from __future__ import annotations

from gureum.aws import hooks, specs
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
