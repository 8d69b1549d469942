"""EKS's token authenticator: `POST /_gureum/eks/authenticate/{account}/{region}/{cluster}`
takes a Kubernetes TokenReview (authentication.k8s.io/v1, the API server's webhook token
authenticator sends one) and answers who the bearer of a `k8s-aws-v1.` token is.

Such a token is what `aws eks get-token` makes: "k8s-aws-v1." and the unpadded base64url of a
presigned STS GetCallerIdentity URL whose signature covers the `x-k8s-aws-id` header, set to
the cluster's name. The URL is never fetched: its SigV4 signature is checked here with gureum's
own SigV4 code (gureum/aws/sigv4.py) against the secret of the access key it names (an IAM
user's key, STS temporary credentials with their session token, or a configured root key), in
every auth mode, with AWS's 15-minute lifetime for such tokens on top of X-Amz-Expires.

Mapping (`grant`): in the API modes a principal's access entry (access.py) gives its username
(`{{SessionName}}` filled from an assumed role's session) and groups; the cluster's creator
(its canonical ARN, stored at CreateCluster) is admitted in `system:masters` (cluster-admin)
when `bootstrapClusterCreatorAdminPermissions` was on and the cluster is in CONFIG_MAP mode or
the creator is a root caller (who can have no entry; an IAM creator in an API mode has its
bootstrap entry). Any other identity is refused (`authenticated: false`), as EKS refuses a
principal with no access entry. An assumed role's canonical ARN is its role's
(`arn:aws:iam::{account}:role/{name}`), as EKS matches access entries. The `aws-auth`
ConfigMap of the API_AND_CONFIG_MAP mode is not read (no control plane yet).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from gureum.aws import arn as arns
from gureum.aws import auth, routing, sigv4
from gureum.aws.errors import AwsError
from gureum.http.server import BodyTooLarge, Headers, Request, Response, _BodyStream
from gureum.services.eks import access as A
from gureum.services.eks import clusters as C

if TYPE_CHECKING:
    from gureum.app import App

PATH = "/_gureum/eks/authenticate/"
PREFIX = "k8s-aws-v1."
CLUSTER_HEADER = "x-k8s-aws-id"
TOKEN_LIFETIME = dt.timedelta(minutes=15)
MAX_BODY = 64 * 1024
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class Refused(Exception):
    """A token that does not authenticate anyone; the message says why."""


def canonical_arn(arn: str) -> str:
    """The principal ARN access entries name: an assumed role's session becomes its role."""
    a = arns.try_parse(arn)
    if a is not None and a.service == "sts" and a.resource.startswith("assumed-role/"):
        role = a.resource.split("/")[1]
        return arns.iam_role(a.account, "/", role)
    return arn


def _presigned_request(token: str, cluster: str) -> Request:
    """The GET request a token's URL stands for, as the STS endpoint would have received it."""
    if not token.startswith(PREFIX):
        raise Refused("not a k8s-aws-v1 token")
    body = token[len(PREFIX):]
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Refused("the token is not base64url") from None
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise Refused("the token is not an STS URL")
    if query.get("Action") != "GetCallerIdentity" or query.get("Version") != "2011-06-15":
        raise Refused("the token's URL is not an STS GetCallerIdentity request")
    signed_headers = query.get("X-Amz-SignedHeaders", "").split(";")
    if CLUSTER_HEADER not in signed_headers:
        raise Refused(f"the token's signature does not cover {CLUSTER_HEADER}")
    headers = Headers([("host", parts.netloc), (CLUSTER_HEADER, cluster)])
    return Request("GET", parts.path or "/", parts.query, headers, ("127.0.0.1", 0), ("127.0.0.1", 0),
                   _BodyStream(lambda: None, lambda: None))


async def verify(app: App, token: str, cluster: str, now: dt.datetime) -> auth.Identity:
    """The identity that signed `token` for `cluster`; Refused when it does not verify."""
    request = _presigned_request(token, cluster)
    scope = routing.credential_scope(request)
    if scope is None or scope.service != "sts":
        raise Refused("the token's URL is not signed for STS")
    try:
        signed = sigv4.parse(request)
        if not signed.presigned:
            raise Refused("the token's URL is not presigned")
        if now > signed.when + TOKEN_LIFETIME:
            raise Refused("the token has expired")
        sigv4.check_time(signed, "sts", now)
        ident = await auth.resolve(app, scope.access_key_id)
        if ident is None or ident.secret is None or not ident.active or ident.expired:
            raise Refused("the token's access key is not valid")
        if ident.session_token is not None and request.query_dict().get("X-Amz-Security-Token") != ident.session_token:
            raise Refused("the token's session token is not valid")
        key = sigv4.signing_key(ident.secret, scope.date, scope.region, scope.service)
        sigv4.check_signature(key, request, scope, signed, _EMPTY_SHA256)
    except AwsError as e:
        raise Refused(e.message) from None
    return ident


def _review(status: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status}


def _json(status: int, doc: Any) -> Response:
    return Response(status, [("content-type", "application/json")], json.dumps(doc).encode())


async def handle(app: App, request: Request) -> Response | None:
    if not request.path.startswith(PATH):
        return None
    account, region, cluster = (request.path[len(PATH):].split("/") + ["", "", ""])[:3]
    if request.method != "POST":
        return _json(405, {"error": "use POST with a TokenReview"})
    doc = await app.store.read(lambda t: t.get(C.CLUSTERS, C.key(account, region, cluster)))
    if doc is None:
        return _json(404, {"error": "no such cluster"})
    try:
        review = json.loads(await request.body(limit=MAX_BODY))
        token = review["spec"]["token"]
        if not isinstance(token, str):
            raise TypeError(token)
    except (BodyTooLarge, ValueError, KeyError, TypeError):  # too large, not JSON, not a TokenReview
        return _json(400, {"error": "the body is not a TokenReview"})
    try:
        ident = await verify(app, token, cluster, dt.datetime.now(dt.UTC))
    except Refused as e:
        return _json(200, _review({"authenticated": False, "error": str(e)}))
    principal = canonical_arn(ident.arn)
    entry = await app.store.read(lambda t: A.find(t, account, region, cluster, principal))
    granted = grant(doc, entry, ident.arn, principal)
    if granted is None:
        return _json(200, _review({"authenticated": False,
                                   "error": f"{principal} has no access entry on cluster {cluster}"}))
    username, groups = granted
    user = {"username": username, "uid": f"aws-iam-authenticator:{ident.account_id}:{principal}",
            "groups": groups,
            "extra": {"arn": [ident.arn], "canonicalArn": [principal], "accessKeyId": [ident.access_key_id]}}
    return _json(200, _review({"authenticated": True, "user": user}))


def grant(cluster: dict[str, Any], entry: dict[str, Any] | None, arn: str, principal: str) -> tuple[str, list[str]] | None:
    """(username, groups) for the principal `arn` (canonical: `principal`) on `cluster`, given
    its access entry; None when nothing admits it."""
    access = cluster.get("accessConfig") or {}
    mode = access.get("authenticationMode")
    if entry is not None and mode in A.API_MODES:
        session = arn.rsplit("/", 1)[-1] if ":assumed-role/" in arn else ""
        return str(entry["username"]).replace("{{SessionName}}", session), A.groups(entry)
    creator = principal == cluster.get("creatorArn") and access.get("bootstrapClusterCreatorAdminPermissions")
    is_iam = principal.split(":", 5)[-1].startswith(("role/", "user/"))
    if creator and (mode == "CONFIG_MAP" or not is_iam):
        # CONFIG_MAP mode: the creator is the cluster's hidden admin; a root caller can have no
        # access entry, so it stays the creator in every mode
        return arn, ["system:masters"]
    return None
