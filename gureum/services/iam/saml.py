"""IAM SAML 2.0 identity providers: the IdP's metadata document, kept as given once parsed.

Table (rows.py) `iam_saml_providers`: {acct}/{lower-cased name} -> {"Name", "Arn"
(arn:aws:iam::{acct}:saml-provider/{name}), "SAMLProviderUUID", "SAMLMetadataDocument",
"CreateDate", ["ValidUntil"], "Tags", ["AssertionEncryptionMode"], "PrivateKeys":
[{"KeyId", "Timestamp", "Pem"}]}. At most MAX_PROVIDERS per account, MAX_PRIVATE_KEYS keys each.

A metadata document must be XML (parsed with defusedxml: no DTDs, no entities) whose root
is an md:EntityDescriptor with an IDPSSODescriptor; its `validUntil` is the provider's
ValidUntil. Private keys (for encrypted assertions) are PEM, parsed with `cryptography`;
their ids are derived from the key. The signing certificates in the metadata are what
AssumeRoleWithSAML checks assertions against (STS's part, not here).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import SAML_PROVIDERS, lower, merge_tags, remove_tags
from gureum.store.base import Doc

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
MAX_PROVIDERS = 100
MAX_PRIVATE_KEYS = 2


def invalid_input(message: str) -> AwsError:
    return AwsError.modeled("iam", "InvalidInput", message)


def parse_metadata(document: str) -> str | None:
    """Check a SAML metadata document; its validUntil (ISO 8601) if it has one."""
    try:
        root = fromstring(document.encode("utf-8"))
    except (ParseError, DefusedXmlException, ValueError):
        raise invalid_input("Could not parse metadata") from None
    if root.tag != MD + "EntityDescriptor" or root.find(MD + "IDPSSODescriptor") is None:
        raise invalid_input("Could not parse metadata")
    valid = root.get("validUntil")
    if valid is None:
        return None
    try:
        return ids.iso(datetime.fromisoformat(valid.replace("Z", "+00:00")))
    except ValueError:
        raise invalid_input("Could not parse metadata") from None


def private_key(pem: str) -> Doc:
    """A private key entry {"KeyId", "Timestamp", "Pem"} of a PEM private key."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode("latin-1"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise invalid_input("The private key is not a valid unencrypted PEM private key.") from None
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    key_id = base64.b32encode(hashlib.sha256(spki).digest()).decode().rstrip("=")[:32]
    return {"KeyId": key_id, "Timestamp": ids.iso(ids.now()), "Pem": pem}


class SamlProviders:
    """One account's SAML providers inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def _key_of_arn(self, arn: str) -> str:
        name = arns.iam_resource_rest(arn, self.iam.account, "saml-provider")
        if not name:
            raise invalid_input(f"ARN {arn} is not valid.")
        return self.iam.key(lower(name))

    def get(self, arn: str) -> Doc:
        doc = self.t.get(SAML_PROVIDERS, self._key_of_arn(arn))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"Manifest not found for arn {arn}")
        return doc

    def create(self, name: str, document: str, valid_until: str | None, tags: list[Doc] | None,
               mode: str | None, key: Doc | None) -> Doc:
        doc: Doc = {
            "Name": name,
            "Arn": arns.iam_resource(self.iam.account, "saml-provider", "/", name),
            "SAMLProviderUUID": "p-" + uuid.uuid4().hex,
            "SAMLMetadataDocument": document,
            "CreateDate": ids.iso(ids.now()),
            "Tags": merge_tags([], tags or [], "SAMLProvider"),
            "PrivateKeys": [key] if key else [],
        }
        if valid_until:
            doc["ValidUntil"] = valid_until
        if mode:
            doc["AssertionEncryptionMode"] = mode
        if not self.t.insert(SAML_PROVIDERS, self.iam.key(lower(name)), doc):
            raise AwsError.modeled("iam", "EntityAlreadyExists", f"SAMLProvider {name} already exists")
        if self.t.count(SAML_PROVIDERS, self.iam.key("")) > MAX_PROVIDERS:
            raise AwsError.modeled("iam", "LimitExceeded", f"Cannot exceed quota for SAMLProvidersPerAccount: {MAX_PROVIDERS}")
        return doc

    def listing(self) -> list[Doc]:
        return [d for _, d in self.t.scan(SAML_PROVIDERS, self.iam.key(""))]

    def _put(self, doc: Doc) -> None:
        self.t.put(SAML_PROVIDERS, self.iam.key(lower(doc["Name"])), doc)

    def update(self, arn: str, changes: dict[str, Any]) -> Doc:
        doc = self.get(arn)
        if changes.get("document") is not None:
            doc["SAMLMetadataDocument"] = changes["document"]
            doc.pop("ValidUntil", None)
            if changes.get("valid_until"):
                doc["ValidUntil"] = changes["valid_until"]
        if changes.get("mode"):
            doc["AssertionEncryptionMode"] = changes["mode"]
        keys: list[Doc] = doc["PrivateKeys"]
        if changes.get("remove_key"):
            if not any(k["KeyId"] == changes["remove_key"] for k in keys):
                raise invalid_input(f"Private key {changes['remove_key']} is not attached to the SAML provider.")
            keys = [k for k in keys if k["KeyId"] != changes["remove_key"]]
        if changes.get("add_key"):
            if len(keys) >= MAX_PRIVATE_KEYS:
                raise AwsError.modeled("iam", "LimitExceeded", f"Cannot exceed quota for PrivateKeysPerSAMLProvider: {MAX_PRIVATE_KEYS}")
            keys = [*keys, changes["add_key"]]
        if doc.get("AssertionEncryptionMode") == "Required" and not keys:
            raise invalid_input("A private key is needed when assertion encryption is Required.")
        doc["PrivateKeys"] = keys
        self._put(doc)
        return doc

    def delete(self, arn: str) -> None:
        doc = self.get(arn)
        self.t.delete(SAML_PROVIDERS, self.iam.key(lower(doc["Name"])))

    def tag(self, arn: str, tags: list[Doc]) -> None:
        doc = self.get(arn)
        doc["Tags"] = merge_tags(doc["Tags"], tags, "SAMLProvider")
        self._put(doc)

    def untag(self, arn: str, keys: list[str]) -> None:
        doc = self.get(arn)
        doc["Tags"] = remove_tags(doc["Tags"], keys, "SAMLProvider")
        self._put(doc)
