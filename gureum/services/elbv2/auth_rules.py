"""AWS's rules for the ALB's authenticate actions (authenticate-cognito, authenticate-oidc),
applied by actions.py and listeners.py; the data plane is auth_action.py.

An authenticate action belongs to an Application Load Balancer's HTTPS listener only, comes
before the rule's one terminal action (forward, fixed-response or redirect), and is stored with
AWS's defaults: OnUnauthenticatedRequest "authenticate", Scope "openid", SessionCookieName
"AWSELBAuthSessionCookie", SessionTimeout 604800 (1 to 604800). Cognito's config needs
UserPoolArn, UserPoolClientId and UserPoolDomain; OIDC's Issuer, AuthorizationEndpoint,
TokenEndpoint, UserInfoEndpoint, ClientId and ClientSecret (the secret is stored, never
described: `public` drops it; a ModifyListener or ModifyRule with UseExistingClientSecret
keeps the stored one: `keep_secrets`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from gureum.aws.errors import AwsError
from gureum.services.elbv2.names import validation

Doc = dict[str, Any]
KINDS = {"authenticate-cognito": "AuthenticateCognitoConfig", "authenticate-oidc": "AuthenticateOidcConfig"}
_REQUIRED = {"authenticate-cognito": ("UserPoolArn", "UserPoolClientId", "UserPoolDomain"),
             "authenticate-oidc": ("Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "ClientId")}
_ENDPOINTS = ("Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint")
MAX_SESSION = 604800
CALLBACK = "/oauth2/idpresponse"  # where the IdP sends the browser back (auth_action.py answers it)
# the headers a forwarded request of an authenticated session carries (the client's are dropped)
OIDC_HEADERS = frozenset(("x-amzn-oidc-accesstoken", "x-amzn-oidc-identity", "x-amzn-oidc-data"))


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("elbv2", "InvalidLoadBalancerAction", message)


def check(a: Doc, lb_type: str) -> Doc:
    """One authenticate action as AWS stores it (defaults filled in)."""
    kind = str(a["Type"])
    if lb_type != "application":
        raise _invalid(f"Action type '{kind}' is not supported by load balancers of type '{lb_type}'")
    cfg = a.get(KINDS[kind])
    if not cfg:
        raise validation(f"An {KINDS[kind][:-6]} configuration must be specified for {kind} actions")
    for member in _REQUIRED[kind]:
        if not cfg.get(member):
            raise validation(f"'{member}' must be specified for {kind} actions")
    out: Doc = {k: v for k, v in cfg.items() if k != "UseExistingClientSecret"}
    if kind == "authenticate-oidc":
        for member in _ENDPOINTS:
            url = urlsplit(str(cfg[member]))
            if url.scheme not in ("https", "http") or not url.hostname:
                raise validation(f"'{member}' must be a valid URL")
        if not cfg.get("ClientSecret"):
            raise validation("'ClientSecret' must be specified for authenticate-oidc actions")
    out.setdefault("OnUnauthenticatedRequest", "authenticate")
    out.setdefault("Scope", "openid")
    out.setdefault("SessionCookieName", "AWSELBAuthSessionCookie")
    out.setdefault("SessionTimeout", MAX_SESSION)
    if out["OnUnauthenticatedRequest"] not in ("deny", "allow", "authenticate"):
        raise validation("OnUnauthenticatedRequest must be one of: deny, allow, authenticate")
    if not 1 <= int(out["SessionTimeout"]) <= MAX_SESSION:
        raise validation(f"Session timeout must be between 1 and {MAX_SESSION} seconds")
    if len(out.get("AuthenticationRequestExtraParams") or {}) > 10:
        raise validation("A maximum of 10 authentication request extra parameters can be specified")
    return {"Type": kind, KINDS[kind]: out}


def check_order(out: list[Doc]) -> None:
    """Authenticate actions first, then exactly one terminal action, last."""
    terminal = [i for i, a in enumerate(out) if a["Type"] not in KINDS]
    if len(terminal) != 1:
        raise AwsError.modeled("elbv2", "TooManyActions", "A rule can have only one terminal action") if terminal \
            else _invalid("An authenticate action must be followed by a forward, fixed-response or redirect action")
    if terminal[0] != len(out) - 1:
        raise _invalid("The forward, fixed-response or redirect action must be the last action")
    if len([a for a in out if a["Type"] in KINDS]) > 1:
        raise _invalid("A rule can have only one authenticate action")


def check_listener(protocol: str, actions: list[Doc]) -> None:
    if protocol != "HTTPS" and any(a["Type"] in KINDS for a in actions):
        raise _invalid("Authenticate actions are supported only on HTTPS listeners")


def keep_secrets(new: list[Doc], old: list[Doc]) -> list[Doc]:
    """`new` (as given) with the stored ClientSecret filled in where UseExistingClientSecret asks."""
    stored = next((a["AuthenticateOidcConfig"].get("ClientSecret") for a in old if a.get("Type") == "authenticate-oidc"), None)
    out = []
    for a in new:
        cfg = a.get("AuthenticateOidcConfig")
        if a.get("Type") == "authenticate-oidc" and cfg and cfg.get("UseExistingClientSecret"):
            if stored is None:
                raise validation("There is no existing client secret to use")
            a = {**a, "AuthenticateOidcConfig": {**cfg, "ClientSecret": stored}}
        out.append(a)
    return out


def public(actions: list[Doc]) -> list[Doc]:
    """Actions as Describe* shows them: no client secret."""
    out = []
    for a in actions:
        if a.get("Type") == "authenticate-oidc":
            a = {**a, "AuthenticateOidcConfig": {k: v for k, v in a["AuthenticateOidcConfig"].items() if k != "ClientSecret"}}
        out.append(a)
    return out
