"""OpenID Connect identity providers (what EKS clusters and CI systems federate through),
and the checks AssumeRoleWithWebIdentity makes against them. Token signatures are not
verified yet: a token is trusted when its issuer is a registered provider of the role's
account and its audience one of that provider's client ids."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.errors import (
    EntityAlreadyExists,
    IamValidationError,
    LimitExceeded,
    NoSuchEntity,
)
from gureum.services.iam.model import Iam, merge_tags, remove_tags
from gureum.store.base import Doc

PROVIDERS = "iam_oidc_providers"  # {acct}/{url without https://} -> provider
MAX_THUMBPRINTS = 5
MAX_CLIENT_IDS = 100
# Identity providers AWS trusts without a provider resource in the account.
WELL_KNOWN = ("accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com")


class InvalidIdentityToken(AwsError):
    code, status = "InvalidIdentityToken", 400

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


class ExpiredToken(AwsError):
    code, status = "ExpiredTokenException", 400

    def __init__(self, message: str) -> None:
        super().__init__(None, message)


def _host_path(url: str) -> str:
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise IamValidationError("Invalid Open ID Connect Provider URL")
    return url[len("https://") :].rstrip("/")


class OidcProviders:
    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def _key(self, host_path: str) -> str:
        return self.iam.key(host_path.lower())

    def arn_for(self, host_path: str) -> str:
        return f"arn:aws:iam::{self.iam.account}:oidc-provider/{host_path}"

    def create(self, url: str, client_ids: list[str], thumbprints: list[str], tags: list[Doc]) -> Doc:
        host_path = _host_path(url)
        if len(thumbprints) > MAX_THUMBPRINTS:
            raise LimitExceeded(f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS + 1} entries.")
        if len(client_ids) > MAX_CLIENT_IDS:
            raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
        doc: Doc = {
            "Url": host_path,
            "Arn": self.arn_for(host_path),
            "ClientIDList": list(dict.fromkeys(client_ids)),
            "ThumbprintList": list(thumbprints),
            "CreateDate": ids.iso(ids.now()),
            "Tags": merge_tags([], tags, "OpenIDConnectProvider"),
        }
        if not self.t.insert(PROVIDERS, self._key(host_path), doc):
            raise EntityAlreadyExists(f"Provider with url https://{host_path} already exists.")
        return doc

    def get(self, arn: str) -> Doc:
        prefix = f"arn:aws:iam::{self.iam.account}:oidc-provider/"
        doc = self.t.get(PROVIDERS, self._key(arn[len(prefix) :])) if arn.startswith(prefix) else None
        if doc is None:
            raise NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")
        return doc

    def find_by_issuer(self, issuer: str) -> Doc | None:
        host_path = issuer.removeprefix("https://")
        return self.t.get(PROVIDERS, self._key(host_path.rstrip("/")))

    def put(self, doc: Doc) -> None:
        self.t.put(PROVIDERS, self._key(doc["Url"]), doc)

    def list(self) -> list[Doc]:
        return [d for _, d in self.t.scan(PROVIDERS, self.iam.account + "/")]

    def delete(self, arn: str) -> None:
        doc = self.get(arn)
        self.t.delete(PROVIDERS, self._key(doc["Url"]))

    def add_client_id(self, arn: str, client_id: str) -> None:
        doc = self.get(arn)
        if client_id not in doc["ClientIDList"]:
            if len(doc["ClientIDList"]) >= MAX_CLIENT_IDS:
                raise LimitExceeded(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
            doc["ClientIDList"].append(client_id)
            self.put(doc)

    def remove_client_id(self, arn: str, client_id: str) -> None:
        doc = self.get(arn)
        if client_id in doc["ClientIDList"]:
            doc["ClientIDList"].remove(client_id)
            self.put(doc)

    def set_thumbprints(self, arn: str, thumbprints: list[str]) -> None:
        if len(thumbprints) > MAX_THUMBPRINTS:
            raise LimitExceeded(f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS + 1} entries.")
        doc = self.get(arn)
        doc["ThumbprintList"] = list(thumbprints)
        self.put(doc)

    def tag(self, arn: str, tags: list[Doc]) -> None:
        doc = self.get(arn)
        doc["Tags"] = merge_tags(doc.get("Tags", []), tags, "OpenIDConnectProvider")
        self.put(doc)

    def untag(self, arn: str, keys: list[str]) -> None:
        doc = self.get(arn)
        doc["Tags"] = remove_tags(doc.get("Tags", []), keys)
        self.put(doc)


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT (signature not checked)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        raise InvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)") from None
    if not isinstance(claims, dict):
        raise InvalidIdentityToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
    return claims


def check_web_identity(iam: Iam, token: str) -> dict[str, Any]:
    """Claims of a token the role's account trusts: {iss, sub, aud (one string), ...}, with
    `provider`: the provider's ARN (or the bare issuer for the identity providers AWS knows)."""
    claims = token_claims(token)
    issuer = str(claims.get("iss", ""))
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp < time.time():
        raise ExpiredToken(f"Token expired: current date/time {int(time.time())} must be before the expiration date/time {int(exp)}")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud] if aud else []
    bare = issuer.removeprefix("https://")
    provider_name = bare
    if bare not in WELL_KNOWN:
        provider = OidcProviders(iam).find_by_issuer(issuer)
        if provider is None:
            raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {issuer}")
        matching = [a for a in audiences if a in provider["ClientIDList"]]
        if not matching:
            raise InvalidIdentityToken("Incorrect token audience")
        audiences = matching
        provider_name = provider["Arn"]
    claims["aud"] = audiences[0] if audiences else ""
    claims["provider"] = provider_name
    return claims
