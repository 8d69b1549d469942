"""S3 static website hosting end to end: configurations through boto3, and the website endpoint
(`<bucket>.s3-website.localhost` and `<bucket>.s3-website-us-east-1.amazonaws.com` on gureum's
port) read with plain HTTP: index and error documents, redirects, anonymous access only
where the bucket policy allows it."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


def _get(gureum: Any, host: str, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", gureum.port, timeout=30)
    try:
        conn.request(method, path, headers={"Host": host})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@pytest.fixture
def s3(gureum: Any) -> Any:
    return gureum.client("s3")


def _public_site(s3: Any, **config: Any) -> str:
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=config or {
        "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
    return name


def test_website_configuration_round_trips_and_is_validated(s3: Any) -> None:
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=name)
    assert exc.value.response["Error"]["Code"] == "NoSuchWebsiteConfiguration"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    config = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "err.html"},
              "RoutingRules": [{"Condition": {"KeyPrefixEquals": "docs/"},
                                "Redirect": {"ReplaceKeyPrefixWith": "documents/"}}]}
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=config)
    got = s3.get_bucket_website(Bucket=name)
    assert {k: got[k] for k in config} == config
    for bad in ({"ErrorDocument": {"Key": "e.html"}},
                {"IndexDocument": {"Suffix": "a/index.html"}},
                {"RedirectAllRequestsTo": {"HostName": "example.com"}, "IndexDocument": {"Suffix": "i.html"}},
                {"IndexDocument": {"Suffix": "i.html"}, "RoutingRules": [
                    {"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}]}):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_website(Bucket=name, WebsiteConfiguration=bad)
        assert exc.value.response["Error"]["Code"] == "InvalidArgument", bad
    s3.delete_bucket_website(Bucket=name)
    with pytest.raises(ClientError):
        s3.get_bucket_website(Bucket=name)


def test_website_serves_index_and_error_documents(gureum: Any, s3: Any) -> None:
    name = _public_site(s3)
    s3.put_object(Bucket=name, Key="index.html", Body=b"<h1>home</h1>", ContentType="text/html")
    s3.put_object(Bucket=name, Key="blog/index.html", Body=b"<h1>blog</h1>", ContentType="text/html")
    s3.put_object(Bucket=name, Key="error.html", Body=b"<h1>oops</h1>", ContentType="text/html")
    host = f"{name}.s3-website.localhost:{gureum.port}"
    status, headers, body = _get(gureum, host, "/")
    assert (status, headers["content-type"], body) == (200, "text/html", b"<h1>home</h1>")
    assert _get(gureum, host, "/blog/")[::2] == (200, b"<h1>blog</h1>")
    status, headers, _ = _get(gureum, host, "/blog")
    assert (status, headers["location"]) == (302, "/blog/")
    assert _get(gureum, host, "/missing.html")[::2] == (404, b"<h1>oops</h1>")
    status, _, body = _get(gureum, host, "/index.html", method="HEAD")
    assert (status, body) == (200, b"")
    status, _, body = _get(gureum, host, "/index.html", method="DELETE")
    assert status == 405 and b"MethodNotAllowed" in body
    # the AWS-style endpoint name answers the same
    aws_host = f"{name}.s3-website-us-east-1.amazonaws.com"
    assert _get(gureum, aws_host, "/")[::2] == (200, b"<h1>home</h1>")


def test_website_without_error_document_answers_html_errors(gureum: Any, s3: Any) -> None:
    name = _public_site(s3, IndexDocument={"Suffix": "index.html"})
    host = f"{name}.s3-website.localhost"
    status, headers, body = _get(gureum, host, "/nothing")
    assert status == 404 and headers["content-type"].startswith("text/html")
    assert b"<li>Code: NoSuchKey</li>" in body and b"<li>Key: nothing</li>" in body
    status, _, body = _get(gureum, f"nobucket-{uuid.uuid4().hex[:8]}.s3-website.localhost", "/")
    assert status == 404 and b"NoSuchBucket" in body
    plain = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=plain)
    status, _, body = _get(gureum, f"{plain}.s3-website.localhost", "/")
    assert status == 404 and b"NoSuchWebsiteConfiguration" in body


def test_website_is_private_without_a_public_policy(gureum: Any, s3: Any) -> None:
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_object(Bucket=name, Key="index.html", Body=b"secret")
    status, _, body = _get(gureum, f"{name}.s3-website.localhost", "/")
    assert status == 403 and b"AccessDenied" in body and b"secret" not in body
    # a public policy counts for nothing while RestrictPublicBuckets is on
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))
    assert _get(gureum, f"{name}.s3-website.localhost", "/")[0] == 403
    s3.delete_public_access_block(Bucket=name)
    assert _get(gureum, f"{name}.s3-website.localhost", "/")[::2] == (200, b"secret")


def test_website_redirects(gureum: Any, s3: Any) -> None:
    name = _public_site(s3, IndexDocument={"Suffix": "index.html"}, RoutingRules=[
        {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
        {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
         "Redirect": {"HostName": "example.com", "HttpRedirectCode": "307", "ReplaceKeyWith": "notfound"}}])
    host = f"{name}.s3-website.localhost"
    status, headers, _ = _get(gureum, host, "/docs/a.html")
    assert (status, headers["location"]) == (301, f"http://{host}/documents/a.html")
    status, headers, _ = _get(gureum, host, "/gone")
    assert (status, headers["location"]) == (307, "http://example.com/notfound")
    s3.put_object(Bucket=name, Key="old", Body=b"", WebsiteRedirectLocation="/new")
    status, headers, _ = _get(gureum, host, "/old")
    assert (status, headers["location"]) == (301, "/new")
    everything = _public_site(s3, RedirectAllRequestsTo={"HostName": "www.example.org", "Protocol": "https"})
    status, headers, _ = _get(gureum, f"{everything}.s3-website.localhost", "/a/b?x=1")
    assert (status, headers["location"]) == (301, "https://www.example.org/a/b?x=1")
