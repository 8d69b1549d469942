"""IAM SAML identity providers end to end through boto3: metadata parsed (validUntil read),
refused when it is not IdP metadata, private keys for encrypted assertions added and removed,
tags, and deletion."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def metadata(valid_until: str = "2031-01-02T03:04:05Z") -> str:
    cert = "MIIB" + "A" * 1200  # the IdP's signing certificate as metadata carries it (base64 DER)
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/"'
        f' validUntil="{valid_until}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f"<ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"'
        ' Location="https://idp.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture
def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def iam(gureum, account):
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def error_of(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def test_saml_provider_lifecycle(iam, account):
    arn = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=metadata(),
                                   Tags=[{"Key": "team", "Value": "sec"}])["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{account}:saml-provider/corp"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == metadata()
    assert got["ValidUntil"] == datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert got["Tags"] == [{"Key": "team", "Value": "sec"}]
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [p["Arn"] for p in listed] == [arn]

    with pytest.raises(ClientError) as exc:
        iam.create_saml_provider(Name="corp", SAMLMetadataDocument=metadata())
    assert error_of(exc)[:2] == ("EntityAlreadyExists", 409)

    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=metadata("2032-06-01T00:00:00Z"),
                             AddPrivateKey=private_key_pem(), AssertionEncryptionMode="Required")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["ValidUntil"].year == 2032 and got["AssertionEncryptionMode"] == "Required"
    key_id = got["PrivateKeyList"][0]["KeyId"]
    with pytest.raises(ClientError) as exc:  # encryption is required: the last key cannot go
        iam.update_saml_provider(SAMLProviderArn=arn, RemovePrivateKey=key_id)
    assert error_of(exc)[:2] == ("InvalidInput", 400)
    iam.update_saml_provider(SAMLProviderArn=arn, AssertionEncryptionMode="Allowed", RemovePrivateKey=key_id)
    assert "PrivateKeyList" not in iam.get_saml_provider(SAMLProviderArn=arn)

    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == []
    iam.delete_saml_provider(SAMLProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_saml_provider(SAMLProviderArn=arn)
    assert error_of(exc) == ("NoSuchEntity", 404, f"Manifest not found for arn {arn}")


def test_saml_metadata_that_is_not_idp_metadata_is_refused(iam):
    not_xml = "x" * 1200
    sp_only = metadata().replace("IDPSSODescriptor", "SPSSODescriptor")
    entity_bomb = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>' + " " * 1000
    for doc in (not_xml, sp_only, entity_bomb):
        with pytest.raises(ClientError) as exc:
            iam.create_saml_provider(Name="bad", SAMLMetadataDocument=doc)
        assert error_of(exc) == ("InvalidInput", 400, "Could not parse metadata")
    assert iam.list_saml_providers()["SAMLProviderList"] == []
