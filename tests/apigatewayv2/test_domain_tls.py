"""Custom domain names over HTTPS (`apigateway.https_port`) with ACM certificates issued by
gureum's CA, and mutual TLS: a client trusting only /_gureum/ca.pem verifies the domain's
certificate (chosen by SNI); with a truststore (s3://bucket/key, checked: warnings for
certificates it cannot use, BadRequestException for one it cannot read or use at all) a
client without a certificate chaining to it is refused at the handshake, and one with such a
certificate reaches the HTTP API (requestContext.authentication.clientCert, payload 2.0) and
the REST API ($context.identity.clientCert) mapped on the domain. Attacks: plain HTTP on the
API port with the mutual-TLS domain's Host, and TLS to another domain's SNI with that Host,
are both 403."""

from __future__ import annotations

import datetime
import http.client
import io
import json
import socket
import ssl
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess, free_port
from waiting import wait_for

from tests.apigateway.test_domains import mock_api

ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
'''
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


class Pki:
    """A client CA (the truststore) with a client certificate, an expired CA and a rogue
    self-signed client certificate, written as PEM files."""

    def __init__(self, where: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = datetime.datetime.now(datetime.timezone.utc)

        def name(cn: str) -> x509.Name:
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

        def cert(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool, start: datetime.datetime,
                 end: datetime.datetime) -> x509.Certificate:
            return (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
                    .public_key(key.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(start).not_valid_after(end)
                    .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
                    .sign(issuer_key, hashes.SHA256()))

        def pem(c: x509.Certificate) -> str:
            return c.public_bytes(serialization.Encoding.PEM).decode()

        def key_pem(k: Any) -> str:
            return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()).decode()

        day = datetime.timedelta(days=1)
        ca_key, client_key, rogue_key, old_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
        self.ca = pem(cert("client-ca", ca_key, "client-ca", ca_key, True, now - day, now + 30 * day))
        self.expired_ca = pem(cert("old-ca", old_key, "old-ca", old_key, True, now - 30 * day, now - day))
        self.client = pem(cert("device-1", client_key, "client-ca", ca_key, False, now - day, now + 30 * day))
        self.leaf_only = self.client
        self.rogue = pem(cert("rogue", rogue_key, "rogue", rogue_key, False, now - day, now + 30 * day))
        self.client_files = (where / "client.pem", where / "client.key")
        self.client_files[0].write_text(self.client)
        self.client_files[1].write_text(key_pem(client_key))
        self.rogue_files = (where / "rogue.pem", where / "rogue.key")
        self.rogue_files[0].write_text(self.rogue)
        self.rogue_files[1].write_text(key_pem(rogue_key))


@pytest.fixture(scope="module")
def tls_gureum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, int]]:
    port = free_port()
    proc = GureumProcess(tmp_path_factory.mktemp("apigw-tls") / "data",
                         extra_args=["--set", f"apigateway.https_port={port}"])
    proc.start()
    yield proc, port
    proc.stop()


def _issued(g: GureumProcess, zone: str, name: str) -> str:
    acm, r53 = g.client("acm"), g.client("route53")
    arn = acm.request_certificate(DomainName=name, ValidationMethod="DNS")["CertificateArn"]
    rr = wait_for("the validation record", lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"][
        "DomainValidationOptions"][0].get("ResourceRecord"), 30)
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": rr["Name"], "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": rr["Value"]}]}}]})
    wait_for("issued", lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED", 60)
    return str(arn)


def _function(g: GureumProcess) -> str:
    iam, lam = g.client("iam"), g.client("lambda")
    role = iam.create_role(RoleName=f"tls-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", ECHO)
    name = f"tls-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return str(arn)


def _https(port: int, server_name: str, host: str, path: str, ca: str,
           cert: tuple[Path, Path] | None = None) -> tuple[int, Any]:
    """GET over TLS to the custom domains' listener; raises ssl.SSLError / OSError when the
    server refuses the handshake (with TLS 1.3 the refusal of a client certificate arrives
    with the first read)."""
    ctx = ssl.create_default_context(cadata=ca)
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, \
            ctx.wrap_socket(raw, server_hostname=server_name) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    if not data:
        raise ConnectionResetError("no answer")
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        return status, json.loads(body)
    except ValueError:
        return status, body


def _refused(port: int, server_name: str, ca: str, cert: tuple[Path, Path] | None) -> bool:
    try:
        _https(port, server_name, server_name, "/v2/x", ca, cert)
    except (ssl.SSLError, OSError):
        return True
    return False


def test_https_custom_domains_and_mutual_tls(tls_gureum: tuple[GureumProcess, int], tmp_path: Path) -> None:
    g, port = tls_gureum
    apigw, rest, s3, r53 = g.client("apigatewayv2"), g.client("apigateway"), g.client("s3"), g.client("route53")
    pki = Pki(tmp_path)
    base = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=base, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    plain, mutual = f"plain.{base}", f"mtls.{base}"
    plain_cert, mutual_cert = _issued(g, zone, plain), _issued(g, zone, mutual)
    bucket = f"trust-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="truststore.pem", Body=(pki.ca + pki.expired_ca).encode())
    s3.put_object(Bucket=bucket, Key="leaves.pem", Body=pki.leaf_only.encode())

    # bad truststores: AWS's BadRequestException
    for uri in (f"s3://{bucket}/missing.pem", f"https://{bucket}/truststore.pem", f"s3://{bucket}/leaves.pem"):
        with pytest.raises(ClientError) as e:
            apigw.create_domain_name(DomainName=f"bad.{base}", DomainNameConfigurations=[{"CertificateArn": mutual_cert}],
                                     MutualTlsAuthentication={"TruststoreUri": uri})
        assert e.value.response["Error"]["Code"] == "BadRequestException", uri

    fn = _function(g)
    api = apigw.create_api(Name=f"t{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=fn)["ApiId"]
    rest_api = mock_api(rest, "rest")
    rest_id = rest_api
    # the REST API's answer names the client certificate's subject
    resources = rest.get_resources(restApiId=rest_id)["items"]
    proxy = next(r for r in resources if r["path"] == "/{proxy+}")
    rest.put_integration_response(restApiId=rest_id, resourceId=proxy["id"], httpMethod="ANY", statusCode="200",
                                  responseTemplates={"application/json": '{"subject": "$context.identity.clientCert.subjectDN"}'})
    rest.create_deployment(restApiId=rest_id, stageName="prod")

    apigw.create_domain_name(DomainName=plain, DomainNameConfigurations=[{"CertificateArn": plain_cert}])
    d = apigw.create_domain_name(DomainName=mutual, DomainNameConfigurations=[{"CertificateArn": mutual_cert}],
                                 MutualTlsAuthentication={"TruststoreUri": f"s3://{bucket}/truststore.pem"})
    assert d["MutualTlsAuthentication"]["TruststoreUri"] == f"s3://{bucket}/truststore.pem"
    warnings = d["MutualTlsAuthentication"]["TruststoreWarnings"]
    assert len(warnings) == 1 and "expired" in warnings[0]
    for name in (plain, mutual):
        apigw.create_api_mapping(DomainName=name, ApiId=api, Stage="$default", ApiMappingKey="v2")
        apigw.create_api_mapping(DomainName=name, ApiId=rest_id, Stage="prod", ApiMappingKey="rest")
    ca = urllib.request.urlopen(f"{g.endpoint}/_gureum/ca.pem", timeout=10).read().decode()

    # HTTPS with the domain's ACM certificate, verified against gureum's CA
    def served(name: str, path: str, cert: tuple[Path, Path] | None = None) -> Any:
        try:
            found = _https(port, name, name, path, ca, cert)
        except (ssl.SSLError, OSError):
            return None  # the listener learns the domain name from the store's event
        return found if found[0] == 200 else None

    status, event = wait_for("the plain domain over HTTPS", lambda: served(plain, "/v2/hello"), 60)
    assert event["requestContext"]["domainName"] == plain and "authentication" not in event["requestContext"]
    assert event["rawPath"] == "/v2/hello"

    # mutual TLS: a trusted client certificate reaches both APIs with its facts
    status, event = wait_for("the mutual TLS domain", lambda: served(mutual, "/v2/hello", pki.client_files), 60)
    client = event["requestContext"]["authentication"]["clientCert"]
    assert client["subjectDN"] == "CN=device-1" and client["issuerDN"] == "CN=client-ca"
    assert client["clientCertPem"].strip() == pki.client.strip()
    assert set(client["validity"]) == {"notBefore", "notAfter"} and client["serialNumber"]
    assert _https(port, mutual, mutual, "/rest/items", ca, pki.client_files) == (200, {"subject": "CN=device-1"})
    # no certificate, or one that does not chain to the truststore: refused at the handshake
    assert _refused(port, mutual, ca, None)
    assert _refused(port, mutual, ca, pki.rogue_files)
    # an unknown name gets no certificate at all
    assert _refused(port, f"other.{base}", ca, None)

    # attacks on the truststore: plain HTTP on the API port, or another domain's SNI
    api_port = int(g.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", api_port, timeout=30)
    conn.request("GET", "/v2/hello", headers={"Host": mutual})
    r = conn.getresponse()
    assert (r.status, json.loads(r.read())) == (403, {"message": "Forbidden"})
    conn.close()
    assert _https(port, plain, mutual, "/v2/hello", ca)[0] == 403

    # mutual TLS turned off: the domain serves any client again
    off = apigw.update_domain_name(DomainName=mutual, MutualTlsAuthentication={})
    assert "MutualTlsAuthentication" not in off
    wait_for("mutual TLS off", lambda: served(mutual, "/v2/hello"), 60)

    # the same through REST API Gateway's CreateDomainName (one namespace: the name is free once deleted)
    apigw.delete_domain_name(DomainName=mutual)
    with pytest.raises(ClientError) as e:
        rest.create_domain_name(domainName=mutual, regionalCertificateArn=mutual_cert,
                                endpointConfiguration={"types": ["REGIONAL"]},
                                mutualTlsAuthentication={"truststoreUri": f"s3://{bucket}/missing.pem"})
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    v1 = rest.create_domain_name(domainName=mutual, regionalCertificateArn=mutual_cert,
                                 endpointConfiguration={"types": ["REGIONAL"]},
                                 mutualTlsAuthentication={"truststoreUri": f"s3://{bucket}/truststore.pem"})
    assert v1["mutualTlsAuthentication"]["truststoreUri"] == f"s3://{bucket}/truststore.pem"
    assert len(v1["mutualTlsAuthentication"]["truststoreWarnings"]) == 1
    assert "_truststorePem" not in json.dumps(rest.get_domain_name(domainName=mutual))
    rest.create_base_path_mapping(domainName=mutual, basePath="rest", restApiId=rest_id, stage="prod")
    found = wait_for("the REST mapping over mutual TLS", lambda: served(mutual, "/rest/a", pki.client_files), 60)
    assert found == (200, {"subject": "CN=device-1"})
    assert _refused(port, mutual, ca, None)
    # REST API Gateway's patch operations: a truststore that cannot be read is refused, removing it turns it off
    with pytest.raises(ClientError) as e:
        rest.update_domain_name(domainName=mutual, patchOperations=[
            {"op": "replace", "path": "/mutualTlsAuthentication/truststoreUri", "value": f"s3://{bucket}/leaves.pem"}])
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    updated = rest.update_domain_name(domainName=mutual, patchOperations=[
        {"op": "replace", "path": "/mutualTlsAuthentication/truststoreUri", "value": ""}])
    assert "mutualTlsAuthentication" not in updated
    wait_for("mutual TLS off through REST API Gateway", lambda: served(mutual, "/rest/a"), 60)
