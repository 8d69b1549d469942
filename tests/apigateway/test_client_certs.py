"""Client certificates end to end: GenerateClientCertificate issues a real self-signed
certificate, Get/GetClientCertificates/Update/Delete and tags, a stage's clientCertificateId,
and HTTP_PROXY and HTTP integrations presenting it to an HTTPS backend that requires client
certificates (Python ssl with CERT_REQUIRED)."""

from __future__ import annotations

import datetime as dt
import http.client
import http.server
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


def _server_identity(tmp: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "backend.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2)).sign(key, hashes.SHA256()))
    path = tmp / "server.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


class _Backend:
    """An HTTPS server that requires a client certificate issued by `trusted` (a PEM) and
    answers with the serial number of the certificate it was shown."""

    def __init__(self, tmp: Path) -> None:
        self.trusted = tmp / "trusted.pem"
        self.identity = _server_identity(tmp)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                der = self.connection.getpeercert(binary_form=True)  # type: ignore[attr-defined]
                serial = x509.load_der_x509_certificate(der).serial_number if der else None
                data = json.dumps({"serial": str(serial), "path": self.path}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def trust(self, pem: str) -> None:
        self.trusted.write_text(pem)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.identity)
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(self.trusted))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[_Backend]:
    b = _Backend(tmp_path)
    yield b
    b.server.shutdown()
    b.server.server_close()


def call(gureum: Any, path: str) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data)


def test_generate_get_list_update_tag_delete(apigw: Any) -> None:
    desc = f"cert-{uuid.uuid4().hex[:6]}"
    made = apigw.generate_client_certificate(description=desc, tags={"team": "a"})
    cert_id = made["clientCertificateId"]
    assert "privateKey" not in made and made["tags"] == {"team": "a"}
    cert = x509.load_pem_x509_certificate(made["pemEncodedCertificate"].encode())
    assert cert.issuer == cert.subject  # self-signed
    cert.verify_directly_issued_by(cert)  # its own key signed it
    assert 364 <= (made["expirationDate"] - made["createdDate"]).days <= 365
    got = apigw.get_client_certificate(clientCertificateId=cert_id)
    assert got["pemEncodedCertificate"] == made["pemEncodedCertificate"] and got["description"] == desc
    second = apigw.generate_client_certificate()["clientCertificateId"]
    seen = [c["clientCertificateId"] for page in apigw.get_paginator("get_client_certificates").paginate(
        PaginationConfig={"PageSize": 1}) for c in page["items"]]
    assert cert_id in seen and second in seen and len(seen) == len(set(seen))
    updated = apigw.update_client_certificate(clientCertificateId=cert_id, patchOperations=[
        {"op": "replace", "path": "/description", "value": "renamed"}])
    assert updated["description"] == "renamed"
    arn = f"arn:aws:apigateway:us-east-1::/clientcertificates/{cert_id}"
    apigw.tag_resource(resourceArn=arn, tags={"env": "dev"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"team": "a", "env": "dev"}
    for c in (cert_id, second):
        apigw.delete_client_certificate(clientCertificateId=c)
    with pytest.raises(ClientError) as e:
        apigw.get_client_certificate(clientCertificateId=cert_id)
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def _api(apigw: Any, port: int, kind: str, skip_verify: bool) -> tuple[str, str]:
    api = apigw.create_rest_api(name=f"mtls-{uuid.uuid4().hex[:6]}")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    rid = apigw.create_resource(restApiId=api, parentId=root, pathPart="hello")["id"]
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    extra: dict[str, Any] = {"tlsConfig": {"insecureSkipVerification": True}} if skip_verify else {}
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", type=kind, integrationHttpMethod="GET",
                          uri=f"https://127.0.0.1:{port}/up", **extra)
    if kind == "HTTP":
        apigw.put_method_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200")
        apigw.put_integration_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200", selectionPattern="")
    apigw.create_deployment(restApiId=api, stageName="s")
    return api, "s"


@pytest.mark.parametrize("kind", ["HTTP_PROXY", "HTTP"])
def test_integrations_present_the_stage_certificate(apigw: Any, gureum: Any, backend: _Backend, kind: str) -> None:
    made = apigw.generate_client_certificate(description="backend")
    backend.trust(made["pemEncodedCertificate"])
    serial = str(x509.load_pem_x509_certificate(made["pemEncodedCertificate"].encode()).serial_number)
    api, stage = _api(apigw, backend.port, kind, skip_verify=True)
    path = f"/_aws/execute-api/{api}/{stage}/hello"
    status, body = call(gureum, path)  # no certificate on the stage: the backend refuses the handshake
    assert (status, body) == (500, {"message": "Internal server error"})
    with pytest.raises(ClientError) as e:
        apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[
            {"op": "replace", "path": "/clientCertificateId", "value": "nosuch"}])
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    answer = apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/clientCertificateId", "value": made["clientCertificateId"]}])
    assert answer["clientCertificateId"] == made["clientCertificateId"]
    status, body = call(gureum, path)
    assert status == 200 and body == {"serial": serial, "path": "/up"}
    with pytest.raises(ClientError) as e:
        apigw.delete_client_certificate(clientCertificateId=made["clientCertificateId"])
    assert e.value.response["Error"]["Code"] == "ConflictException"
    apigw.delete_rest_api(restApiId=api)
    apigw.delete_client_certificate(clientCertificateId=made["clientCertificateId"])


def test_backend_certificate_is_verified_unless_skipped(apigw: Any, gureum: Any, backend: _Backend) -> None:
    made = apigw.generate_client_certificate()
    backend.trust(made["pemEncodedCertificate"])
    api, stage = _api(apigw, backend.port, "HTTP_PROXY", skip_verify=False)
    apigw.update_stage(restApiId=api, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/clientCertificateId", "value": made["clientCertificateId"]}])
    status, body = call(gureum, f"/_aws/execute-api/{api}/{stage}/hello")  # a self-signed backend: not trusted
    assert (status, body) == (500, {"message": "Internal server error"})
