"""OpenID Connect identity providers (what EKS clusters and CI systems federate through),
and the checks AssumeRoleWithWebIdentity makes against them.

A web identity token is trusted only when (`verify_token`, then `check_web_identity`):
- it is a signed JWT (alg RS256/384/512 or ES256/384/512; never `none`, never HMAC) whose
  signature verifies with a key of its issuer's JWKS (gureum.services.iam.jwks: gureum's own
  issuers, configured ones, loopback issuers) chosen by the token's `kid`;
- `exp` is present and in the future, `nbf` and `iat` (when present) are not in the future;
- `iss` is an OIDC provider registered in the role's account (or one of the identity
  providers AWS knows by name, whose keys, though, are not to be had here unless configured),
  and `aud` is one of that provider's client ids;
then the role's trust policy decides (federated principal = the provider's ARN, condition
keys `<provider url>:aud`, `:sub`, `:amr`, ...: `trust_context`).
"""

from __future__ import annotations

import base64
import builtins
import json
import time
from typing import TYPE_CHECKING, Any

from joserfc import jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.iam import ids, jwks
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import merge_tags, remove_tags
from gureum.store.base import Doc

if TYPE_CHECKING:
    from gureum.app import App

PROVIDERS = "iam_oidc_providers"  # {acct}/{url without https://} -> provider
MAX_THUMBPRINTS = 5
MAX_CLIENT_IDS = 100
# Identity providers AWS trusts without a provider resource in the account.
WELL_KNOWN = ("accounts.google.com", "graph.facebook.com", "www.amazon.com", "cognito-identity.amazonaws.com")


def _host_path(url: str) -> str:
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise AwsError.modeled("iam", "ValidationError", "Invalid Open ID Connect Provider URL")
    return url[len("https://") :].rstrip("/")


class OidcProviders:
    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def _key(self, host_path: str) -> str:
        return self.iam.key(host_path.lower())

    def arn_for(self, host_path: str) -> str:
        return arns.iam_oidc_provider(self.iam.account, host_path)

    def create(self, url: str, client_ids: list[str], thumbprints: list[str], tags: list[Doc]) -> Doc:
        host_path = _host_path(url)
        if len(thumbprints) > MAX_THUMBPRINTS:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS + 1} entries."
            )
        if len(client_ids) > MAX_CLIENT_IDS:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}"
            )
        doc: Doc = {
            "Url": host_path,
            "Arn": self.arn_for(host_path),
            "ClientIDList": list(dict.fromkeys(client_ids)),
            "ThumbprintList": list(thumbprints),
            "CreateDate": ids.iso(ids.now()),
            "Tags": merge_tags([], tags, "OpenIDConnectProvider"),
        }
        if not self.t.insert(PROVIDERS, self._key(host_path), doc):
            raise AwsError.modeled(
                "iam", "EntityAlreadyExists", f"Provider with url https://{host_path} already exists."
            )
        return doc

    def get(self, arn: str) -> Doc:
        host_path = arns.iam_resource_rest(arn, self.iam.account, "oidc-provider")
        doc = self.t.get(PROVIDERS, self._key(host_path)) if host_path is not None else None
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"OpenIDConnect Provider not found for arn {arn}")
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
                raise AwsError.modeled(
                    "iam",
                    "LimitExceeded",
                    f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}",
                )
            doc["ClientIDList"].append(client_id)
            self.put(doc)

    def remove_client_id(self, arn: str, client_id: str) -> None:
        doc = self.get(arn)
        if client_id in doc["ClientIDList"]:
            doc["ClientIDList"].remove(client_id)
            self.put(doc)

    def set_thumbprints(self, arn: str, thumbprints: builtins.list[str]) -> None:
        if len(thumbprints) > MAX_THUMBPRINTS:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Thumbprint list must contain fewer than {MAX_THUMBPRINTS + 1} entries."
            )
        doc = self.get(arn)
        doc["ThumbprintList"] = list(thumbprints)
        self.put(doc)

    def tag(self, arn: str, tags: builtins.list[Doc]) -> None:
        doc = self.get(arn)
        doc["Tags"] = merge_tags(doc.get("Tags", []), tags, "OpenIDConnectProvider")
        self.put(doc)

    def untag(self, arn: str, keys: builtins.list[str]) -> None:
        doc = self.get(arn)
        doc["Tags"] = remove_tags(doc.get("Tags", []), keys)
        self.put(doc)


ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)"
NO_KEYS = ("Couldn't retrieve verification key from your identity provider,  please reference "
           "AssumeRoleWithWebIdentity documentation for requirements")
BAD_SIGNATURE = "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request."


def _segment(part: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (ValueError, TypeError):
        raise AwsError.modeled("sts", "InvalidIdentityToken", NOT_A_JWT) from None


def token_header_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a JWT, unverified (to find the issuer's keys)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AwsError.modeled("sts", "InvalidIdentityToken", NOT_A_JWT)
    header, claims = _segment(parts[0]), _segment(parts[1])
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise AwsError.modeled("sts", "InvalidIdentityToken", NOT_A_JWT)
    return header, claims


async def verify_token(app: App, token: str, *, now: float | None = None) -> dict[str, Any]:
    """The claims of a token whose signature verifies with its issuer's keys, in its validity
    window. Raises STS's InvalidIdentityToken / ExpiredTokenException as STS does."""
    header, unverified = token_header_claims(token)
    if header.get("alg") not in ALGORITHMS:
        raise AwsError.modeled(
            "sts", "InvalidIdentityToken", f"Unsupported token signing algorithm: {header.get('alg')}"
        )
    issuer = unverified.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise AwsError.modeled("sts", "InvalidIdentityToken", "Missing a required claim: iss")
    try:
        keys = await jwks.key_set(app, issuer)
        verified = _decode(token, keys)
        if verified is None:  # a key id the cached set lacks: the issuer may have rotated
            verified = _decode(token, await jwks.key_set(app, issuer, refresh=True))
    except jwks.KeysUnavailable:
        raise AwsError.modeled("sts", "InvalidIdentityToken", NO_KEYS) from None
    if verified is None:
        raise AwsError.modeled("sts", "InvalidIdentityToken", BAD_SIGNATURE)
    claims = dict(verified)
    now = time.time() if now is None else now
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise AwsError.modeled("sts", "InvalidIdentityToken", "Missing a required claim: exp")
    if exp <= now:
        raise AwsError.modeled(
            "sts",
            "ExpiredTokenException",
            f"Token expired: current date/time {int(now)} must be before the expiration date/time {int(exp)}",
        )
    for claim in ("nbf", "iat"):
        value = claims.get(claim)
        if value is not None and (not isinstance(value, (int, float)) or value > now + CLOCK_SKEW):
            raise AwsError.modeled(
                "sts",
                "InvalidIdentityToken",
                f"Token is not yet valid: {claim} {value} is after current date/time {int(now)}",
            )
    return claims


CLOCK_SKEW = 60  # seconds a token's nbf/iat may be ahead of this clock


def _decode(token: str, key_set: Doc) -> dict[str, Any] | None:
    """Verified claims; None when no key has the token's kid; raises InvalidIdentityToken on
    a bad signature or an unusable key set."""
    try:
        keys = KeySet.import_key_set({"keys": key_set["keys"]})
        return dict(jwt.decode(token, keys, algorithms=ALGORITHMS).claims)
    except InvalidKeyIdError:
        return None
    except BadSignatureError:
        raise AwsError.modeled("sts", "InvalidIdentityToken", BAD_SIGNATURE) from None
    except (JoseError, ValueError, TypeError, KeyError):
        raise AwsError.modeled("sts", "InvalidIdentityToken", BAD_SIGNATURE) from None


def check_web_identity(iam: Iam, claims: dict[str, Any]) -> dict[str, Any]:
    """Verified claims the role's account trusts: {iss, sub, aud (one string), ...}, with
    `provider`: the provider's ARN (or the bare issuer for the identity providers AWS knows)
    and `provider_url`: the condition-key prefix (issuer without https://)."""
    issuer = str(claims.get("iss", ""))
    aud = claims.get("aud")
    audiences = [str(a) for a in (aud if isinstance(aud, list) else [aud] if aud else [])]
    bare = issuer.removeprefix("https://").rstrip("/")
    provider_name = bare
    if bare not in WELL_KNOWN:
        provider = OidcProviders(iam).find_by_issuer(issuer)
        if provider is None:
            raise AwsError.modeled(
                "sts", "InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}"
            )
        matching = [a for a in audiences if a in provider["ClientIDList"]]
        if not matching:
            raise AwsError.modeled("sts", "InvalidIdentityToken", "Incorrect token audience")
        audiences = matching
        provider_name = provider["Arn"]
        bare = provider["Url"]
    out = dict(claims)
    out["aud"] = audiences[0] if audiences else ""
    out["provider"] = provider_name
    out["provider_url"] = bare
    return out


def trust_context(claims: dict[str, Any]) -> dict[str, Any]:
    """The condition keys a web identity gives trust policies: `<provider url>:aud`, `:sub`,
    `:amr`, and for Google (as AWS documents) `:aud` = azp when present, `:oaud` = aud."""
    prefix = claims["provider_url"]
    ctx: dict[str, Any] = {f"{prefix}:aud": claims["aud"], f"{prefix}:sub": str(claims.get("sub", ""))}
    if prefix == "accounts.google.com" and claims.get("azp"):
        ctx[f"{prefix}:oaud"] = claims["aud"]
        ctx[f"{prefix}:aud"] = claims["azp"]
    if claims.get("amr") is not None:
        ctx[f"{prefix}:amr"] = claims["amr"]
    if claims.get("email") is not None and prefix == "accounts.google.com":
        ctx[f"{prefix}:email"] = claims["email"]
    ctx["aws:FederatedProvider"] = claims["provider"]
    return ctx
