"""Cognito's tokens against a real gureum: RS256 with the pool's key, verified with PyJWT
against the JWKS fetched over HTTP from the issuer the tokens name; AWS's claims for ID and
access tokens; expiry from the client's settings; the OpenID configuration; the hosted UI's
/oauth2/token (client_credentials with a resource server's scopes, refresh_token) by path
and on the pool's domain host."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import jwt
import pytest

from .helpers import STRONG, confirmed_user, error_of, make_client, make_pool


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.load(r)


def _verify(token: str, **kwargs: Any) -> dict[str, Any]:
    """PyJWT's verification against the JWKS at the issuer the token names."""
    iss = jwt.decode(token, options={"verify_signature": False})["iss"]
    key = jwt.PyJWKClient(iss + "/.well-known/jwks.json").get_signing_key_from_jwt(token)
    return dict(jwt.decode(token, key.key, algorithms=["RS256"], issuer=iss, **kwargs))


def _post_form(url: str, form: dict[str, str], *, basic: tuple[str, str] | None = None,
               host: str | None = None) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    if basic:
        req.add_header("Authorization", "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode())
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_tokens_verify_against_the_jwks_with_aws_claims(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid, AccessTokenValidity=15, IdTokenValidity=2,
                      TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours"})["ClientId"]
    confirmed_user(idp, pid, "rita", email="rita@example.com", email_verified="true")
    idp.create_group(UserPoolId=pid, GroupName="editors", Precedence=2)
    idp.create_group(UserPoolId=pid, GroupName="admins", Precedence=1)
    idp.admin_add_user_to_group(UserPoolId=pid, Username="rita", GroupName="editors")
    idp.admin_add_user_to_group(UserPoolId=pid, Username="rita", GroupName="admins")
    result = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": "rita", "PASSWORD": STRONG})["AuthenticationResult"]
    assert result["ExpiresIn"] == 15 * 60
    port = gureum.endpoint.rsplit(":", 1)[1]
    iss = f"http://localhost:{port}/{pid}"
    header = jwt.get_unverified_header(result["IdToken"])
    jwks = _get(iss + "/.well-known/jwks.json")
    assert header["alg"] == "RS256" and header["kid"] == jwks["keys"][0]["kid"]
    assert jwks["keys"][0]["kty"] == "RSA" and jwks["keys"][0]["use"] == "sig" and "d" not in jwks["keys"][0]
    id_claims = _verify(result["IdToken"], audience=cid)
    sub = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pid, Username="rita")["UserAttributes"]}["sub"]
    assert id_claims["iss"] == iss and id_claims["sub"] == sub and id_claims["aud"] == cid
    assert id_claims["token_use"] == "id" and id_claims["cognito:username"] == "rita"
    assert id_claims["cognito:groups"] == ["admins", "editors"]
    assert id_claims["email"] == "rita@example.com" and id_claims["email_verified"] is True
    assert id_claims["exp"] - id_claims["iat"] == 2 * 3600
    for claim in ("origin_jti", "event_id", "jti", "auth_time"):
        assert id_claims[claim]
    access = _verify(result["AccessToken"])
    assert access["token_use"] == "access" and access["client_id"] == cid and access["username"] == "rita"
    assert access["sub"] == sub and access["cognito:groups"] == ["admins", "editors"] and "aud" not in access
    assert "aws.cognito.signin.user.admin" in access["scope"].split()
    assert access["exp"] - access["iat"] == 15 * 60
    assert access["origin_jti"] == id_claims["origin_jti"] and access["event_id"] == id_claims["event_id"]
    assert access["jti"] != id_claims["jti"]
    config = _get(iss + "/.well-known/openid-configuration")
    assert config["issuer"] == iss and config["jwks_uri"] == iss + "/.well-known/jwks.json"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    # refreshed tokens keep the session (origin_jti, auth_time)
    again = public_idp.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH",
                                     AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]})["AuthenticationResult"]
    renewed = _verify(again["IdToken"], audience=cid)
    assert renewed["origin_jti"] == id_claims["origin_jti"] and renewed["auth_time"] == id_claims["auth_time"]


def test_each_pool_has_its_own_key(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    a, b = make_pool(idp), make_pool(idp)
    port = gureum.endpoint.rsplit(":", 1)[1]
    ka = _get(f"http://localhost:{port}/{a}/.well-known/jwks.json")["keys"][0]
    kb = _get(f"http://localhost:{port}/{b}/.well-known/jwks.json")["keys"][0]
    assert ka["kid"] != kb["kid"] and ka["n"] != kb["n"]
    with pytest.raises(urllib.error.HTTPError) as e:
        _get(f"http://localhost:{port}/us-east-1_missing00/.well-known/jwks.json")
    assert e.value.code == 404
    # a token of pool A is not accepted as one of pool B (its signature does not verify)
    cid = make_client(idp, a)["ClientId"]
    confirmed_user(idp, a, "sam")
    token = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "sam", "PASSWORD": STRONG})["AuthenticationResult"]["AccessToken"]
    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["iss"] = claims["iss"].replace(a, b)
    forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="), sig])
    assert error_of(lambda: public_idp.get_user(AccessToken=forged)) == ("NotAuthorizedException", "Invalid Access Token")


def test_oauth2_token_endpoint_client_credentials_and_refresh(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    idp.create_resource_server(UserPoolId=pid, Identifier="https://api.example.com", Name="api",
                               Scopes=[{"ScopeName": "read", "ScopeDescription": "r"}, {"ScopeName": "write", "ScopeDescription": "w"}])
    machine = make_client(idp, pid, GenerateSecret=True, AllowedOAuthFlows=["client_credentials"],
                          AllowedOAuthFlowsUserPoolClient=True, ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"],
                          AllowedOAuthScopes=["https://api.example.com/read", "https://api.example.com/write"])
    cid, secret = machine["ClientId"], machine["ClientSecret"]
    url = gureum.endpoint + "/oauth2/token"
    status, body = _post_form(url, {"grant_type": "client_credentials", "scope": "https://api.example.com/read"}, basic=(cid, secret))
    assert status == 200 and body["token_type"] == "Bearer" and body["expires_in"] == 3600
    claims = _verify(body["access_token"])
    assert claims["client_id"] == cid and claims["scope"] == "https://api.example.com/read" and claims["token_use"] == "access"
    assert error_of(lambda: public_idp.get_user(AccessToken=body["access_token"])) == (
        "NotAuthorizedException", "Access Token does not have required scopes")
    status, body = _post_form(url, {"grant_type": "client_credentials"}, basic=(cid, "wrong"))
    assert (status, body) == (401, {"error": "invalid_client"})
    status, body = _post_form(url, {"grant_type": "client_credentials", "scope": "https://api.example.com/admin",
                                    "client_id": cid, "client_secret": secret})
    assert (status, body) == (400, {"error": "invalid_scope"})
    status, body = _post_form(url, {"grant_type": "password", "client_id": cid, "client_secret": secret})
    assert (status, body) == (400, {"error": "unsupported_grant_type"})
    # a body past the endpoint's limit is a bad request, not a server error
    assert _post_form(url, {"grant_type": "client_credentials", "scope": "x" * 200_000}) == (400, {"error": "invalid_request"})
    assert error_of(lambda: idp.create_user_pool_client(UserPoolId=pid, ClientName="nosecret", AllowedOAuthFlows=["client_credentials"],
                                                        AllowedOAuthFlowsUserPoolClient=True,
                                                        AllowedOAuthScopes=["https://api.example.com/read"]))[0] == \
        "InvalidOAuthFlowException"
    # on the pool's domain host, and the refresh_token grant of a user's session
    idp.create_user_pool_domain(UserPoolId=pid, Domain=f"auth-{pid.split('_')[1].lower()}")
    domain = idp.describe_user_pool(UserPoolId=pid)["UserPool"]["Domain"]
    assert idp.describe_user_pool_domain(Domain=domain)["DomainDescription"]["UserPoolId"] == pid
    user_client = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "tara")
    refresh = public_idp.initiate_auth(ClientId=user_client, AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": "tara", "PASSWORD": STRONG})["AuthenticationResult"]["RefreshToken"]
    status, body = _post_form(url, {"grant_type": "refresh_token", "client_id": user_client, "refresh_token": refresh},
                              host=f"{domain}.auth.us-east-1.amazoncognito.com")
    assert status == 200 and _verify(body["id_token"], audience=user_client)["cognito:username"] == "tara"
    status, body = _post_form(url, {"grant_type": "refresh_token", "client_id": user_client, "refresh_token": "x.y"})
    assert (status, body) == (400, {"error": "invalid_grant"})
    status, body = _post_form(url, {"grant_type": "refresh_token", "client_id": user_client, "refresh_token": refresh},
                              host="someone-else.auth.us-east-1.amazoncognito.com")
    assert status == 401


def test_oauth2_user_info(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    cid = make_client(idp, pid)["ClientId"]
    confirmed_user(idp, pid, "yara", email="yara@example.com", email_verified="true", name="Yara")
    token = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                     AuthParameters={"USERNAME": "yara", "PASSWORD": STRONG})["AuthenticationResult"]["AccessToken"]
    req = urllib.request.Request(gureum.endpoint + "/oauth2/userInfo", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        info = json.load(r)
    assert info["username"] == "yara" and info["email"] == "yara@example.com" and info["email_verified"] is True
    assert info["name"] == "Yara" and len(info["sub"]) == 36
    public_idp.global_sign_out(AccessToken=token)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 401 and 'error="invalid_token"' in e.value.headers["WWW-Authenticate"]
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(gureum.endpoint + "/oauth2/userInfo", timeout=10)
    assert e.value.code == 401


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _send(req: urllib.request.Request) -> tuple[int, Any, str]:
    """(status, headers, body) without following redirects."""
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def test_hosted_ui_authorization_code_grant_with_pkce(gureum, idp, public_idp) -> None:  # type: ignore[no-untyped-def]
    pid = make_pool(idp)
    callback = "http://localhost:3000/callback"
    cid = make_client(idp, pid, AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True, CallbackURLs=[callback],
                      AllowedOAuthScopes=["openid", "email", "aws.cognito.signin.user.admin"],
                      SupportedIdentityProviders=["COGNITO"])["ClientId"]
    confirmed_user(idp, pid, "zack", email="zack@example.com")
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = {"response_type": "code", "client_id": cid, "redirect_uri": callback, "state": "xyz",
             "scope": "openid email aws.cognito.signin.user.admin", "code_challenge": challenge, "code_challenge_method": "S256"}
    authorize = gureum.endpoint + "/oauth2/authorize?" + urllib.parse.urlencode(query)
    status, _, page = _send(urllib.request.Request(authorize))
    assert status == 200 and "<form" in page and "name=password" in page
    # a wrong password shows the form again with AWS's message
    form = {**query, "username": "zack", "password": "Wrong!pass1"}
    status, _, page = _send(urllib.request.Request(authorize, data=urllib.parse.urlencode(form).encode(), method="POST",
                                                   headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert status == 400 and "Incorrect username or password." in page
    form["password"] = STRONG
    status, headers, _ = _send(urllib.request.Request(authorize, data=urllib.parse.urlencode(form).encode(), method="POST",
                                                      headers={"Content-Type": "application/x-www-form-urlencoded"}))
    assert status == 302
    location = urllib.parse.urlparse(headers["Location"])
    back = dict(urllib.parse.parse_qsl(location.query))
    assert f"{location.scheme}://{location.netloc}{location.path}" == callback and back["state"] == "xyz"
    url = gureum.endpoint + "/oauth2/token"
    grant = {"grant_type": "authorization_code", "client_id": cid, "code": back["code"], "redirect_uri": callback}
    assert _post_form(url, {**grant, "code_verifier": "w" * 50}) == (400, {"error": "invalid_grant"})  # and the code is spent
    status, headers2, _ = _send(urllib.request.Request(authorize, data=urllib.parse.urlencode(form).encode(), method="POST",
                                                       headers={"Content-Type": "application/x-www-form-urlencoded"}))
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(headers2["Location"]).query))["code"]
    status, body = _post_form(url, {**grant, "code": code, "code_verifier": verifier})
    assert status == 200 and body["token_type"] == "Bearer" and body["refresh_token"]
    access = _verify(body["access_token"])
    assert set(access["scope"].split()) == {"openid", "email", "aws.cognito.signin.user.admin"}
    assert _verify(body["id_token"], audience=cid)["email"] == "zack@example.com"
    assert public_idp.get_user(AccessToken=body["access_token"])["Username"] == "zack"
    assert _post_form(url, {**grant, "code": code, "code_verifier": verifier}) == (400, {"error": "invalid_grant"})
    # on the pool's domain host the form is at /login too; what the client sent is escaped, never markup
    idp.create_user_pool_domain(UserPoolId=pid, Domain=f"ui-{pid.split('_')[1].lower()}")
    domain = idp.describe_user_pool(UserPoolId=pid)["UserPool"]["Domain"]
    login = urllib.request.Request(gureum.endpoint + "/login?" + urllib.parse.urlencode({**query, "state": '"><script>x()</script>'}),
                                   headers={"Host": f"{domain}.auth.us-east-1.amazoncognito.com"})
    status, _, page = _send(login)
    assert status == 200 and "<form" in page and "<script>" not in page
    # a redirect URI the client does not list is refused without redirecting
    status, _, page = _send(urllib.request.Request(gureum.endpoint + "/oauth2/authorize?" + urllib.parse.urlencode(
        {**query, "redirect_uri": "http://evil.example/cb"})))
    assert status == 400 and "redirect_mismatch" in page
