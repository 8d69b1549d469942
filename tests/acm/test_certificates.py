"""ACM through boto3 against a real gureum: a requested certificate stays PENDING_VALIDATION
until its DNS validation CNAME exists in a gureum hosted zone, then gureum's CA issues it (the
chain verifies against /_gureum/ca.pem); imported certificates; listing, tags, deletion and
AWS's errors."""

from __future__ import annotations

import datetime as dt
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509.oid import NameOID
from waiting import wait_for


def code_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def test_dns_validated_certificate_is_issued_by_gureums_ca(gureum) -> None:  # type: ignore[no-untyped-def]
    acm, r53 = gureum.client("acm"), gureum.client("route53")
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=domain, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    arn = acm.request_certificate(DomainName=domain, SubjectAlternativeNames=[f"*.{domain}"], ValidationMethod="DNS",
                                  IdempotencyToken="tok1", Tags=[{"Key": "team", "Value": "web"}])["CertificateArn"]
    assert acm.request_certificate(DomainName=domain, ValidationMethod="DNS", IdempotencyToken="tok1")["CertificateArn"] == arn
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (cert["Status"], cert["Type"], cert["DomainName"]) == ("PENDING_VALIDATION", "AMAZON_ISSUED", domain)
    assert cert["SubjectAlternativeNames"] == [domain, f"*.{domain}"]
    options = cert["DomainValidationOptions"]
    rr = options[0]["ResourceRecord"]
    assert rr["Type"] == "CNAME" and rr["Name"].startswith("_") and rr["Name"].endswith(f".{domain}.")
    assert rr["Value"].endswith(".acm-validations.aws.")
    assert options[1]["ResourceRecord"] == rr  # the wildcard validates through the same record, as ACM's
    assert code_of(lambda: acm.get_certificate(CertificateArn=arn)) == "RequestInProgressException"
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
        "Name": rr["Name"], "Type": "CNAME", "TTL": 60, "ResourceRecords": [{"Value": rr["Value"]}]}}]})
    wait_for("issued", lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED", 30)
    got = acm.get_certificate(CertificateArn=arn)
    leaf = x509.load_pem_x509_certificate(got["Certificate"].encode())
    root_pem = urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ca.pem", timeout=10).read()
    root = x509.load_pem_x509_certificate(root_pem)
    assert x509.load_pem_x509_certificate(got["CertificateChain"].encode()) == root
    root.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes, padding.PKCS1v15(), leaf.signature_hash_algorithm)  # type: ignore[union-attr, arg-type]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    assert sans == [domain, f"*.{domain}"]
    listed = acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
    assert arn in [c["CertificateArn"] for c in listed]
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "team", "Value": "web"}]
    acm.delete_certificate(CertificateArn=arn)
    assert code_of(lambda: acm.describe_certificate(CertificateArn=arn)) == "ResourceNotFoundException"


def test_import_and_errors(gureum) -> None:  # type: ignore[no-untyped-def]
    acm = gureum.client("acm")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imported.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1234).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("imported.example")]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    arn = acm.import_certificate(Certificate=pem, PrivateKey=key_pem)["CertificateArn"]
    d = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert (d["Type"], d["Status"], d["DomainName"], d["KeyAlgorithm"]) == ("IMPORTED", "ISSUED", "imported.example", "EC_prime256v1")
    assert acm.get_certificate(CertificateArn=arn)["Certificate"].encode() == pem
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                                  serialization.NoEncryption())
    assert code_of(lambda: acm.import_certificate(Certificate=pem, PrivateKey=other)) == "ValidationException"
    assert code_of(lambda: acm.describe_certificate(CertificateArn="arn:aws:sqs:us-east-1:000000000000:nope")) == "ValidationException"  # the model's pattern
    missing = arn.rsplit("/", 1)[0] + "/" + str(uuid.uuid4())
    assert code_of(lambda: acm.describe_certificate(CertificateArn=missing)) == "ResourceNotFoundException"
