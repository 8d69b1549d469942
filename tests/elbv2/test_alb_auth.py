"""ALB authenticate actions end to end: an HTTPS listener's rule authenticates through a Cognito
user pool (authenticate-cognito) or through Cognito's endpoints named as any OIDC provider
(authenticate-oidc); the browser's part is played with real HTTP over TLS (the redirect to the
hosted UI, its sign-in form, the callback to /oauth2/idpresponse, the session cookies), and the
target gets x-amzn-oidc-* headers whose data token verifies with the key served at AWS's
public-keys URL (on gureum's port by Host). Attacks: a forged, an expired and another load
balancer's session cookie, and a state that does not match, are all refused."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from waiting import wait_for

from tests.cognito_idp.helpers import STRONG, confirmed_user, make_client, make_pool
from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, code_of, resolve, uniq, wait_listening
from tests.elbv2.test_https import _issued


class Browser:
    """One user agent: a cookie jar, TLS to the load balancer with its name (SNI, Host)."""

    def __init__(self, address: str, name: str, ca: str) -> None:
        self.address, self.name, self.ca = address, name, ca
        self.jar: dict[str, str] = {}

    def lb(self, path: str, jar: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        ctx = ssl.create_default_context(cadata=self.ca)
        conn = http.client.HTTPSConnection(self.name, 443, context=ctx, timeout=20)
        raw = socket.create_connection((self.address, 443), timeout=20)
        conn.sock = ctx.wrap_socket(raw, server_hostname=self.name)
        cookies = self.jar if jar is None else jar
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        if jar is None:
            self.keep(resp.msg)
        return resp.status, resp.msg, body

    def keep(self, msg: http.client.HTTPMessage) -> None:
        for line in msg.get_all("set-cookie") or []:
            pair, _, attrs = line.partition(";")
            k, _, v = pair.partition("=")
            if "max-age=0" in attrs.lower():
                self.jar.pop(k.strip(), None)
            else:
                self.jar[k.strip()] = v.strip()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _send(req: urllib.request.Request) -> tuple[int, Any, str]:
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=20) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def _sign_in(gureum: Any, location: str, username: str) -> str:
    """The hosted UI's part (the browser at the Cognito domain, sent to gureum's port by Host):
    the form, then its POST; the callback URL (with code and state) it redirects to."""
    url = urllib.parse.urlsplit(location)
    assert url.hostname and url.path == "/oauth2/authorize", location
    local = f"{gureum.endpoint}{url.path}?{url.query}"
    host = url.netloc if url.scheme == "https" else urllib.parse.urlsplit(gureum.endpoint).netloc  # OIDC: gureum's own URL
    status, _, page = _send(urllib.request.Request(local, headers={"Host": host}))
    assert status == 200 and "<form" in page, page
    form = {**dict(urllib.parse.parse_qsl(url.query)), "username": username, "password": STRONG}
    status, headers, page = _send(urllib.request.Request(local, data=urllib.parse.urlencode(form).encode(), method="POST",
                                                         headers={"Host": host,
                                                                  "Content-Type": "application/x-www-form-urlencoded"}))
    assert status == 302, page
    return str(headers["Location"])


def _path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


@pytest.fixture
def backend() -> Iterator[Backend]:
    b = Backend("auth")
    yield b
    b.close()


def _world(gureum: Any, elb: Any, backend: Backend, lbs: int = 1) -> dict[str, Any]:
    """A user pool with a domain, a user and an app client (with a secret) whose callback is
    each load balancer's https://<name>/oauth2/idpresponse; HTTPS load balancers sharing the
    certificate of that name; a target group with the backend."""
    idp, r53 = gureum.client("cognito-idp"), gureum.client("route53")
    base = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=base, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    name = f"app.{base}"
    cert = _issued(gureum, zone, name)
    acm = gureum.client("acm")
    wait_for("issued", lambda: acm.describe_certificate(CertificateArn=cert)["Certificate"]["Status"] == "ISSUED", 60)
    pid = make_pool(idp)
    domain = f"alb-{pid.split('_')[1].lower()}"
    idp.create_user_pool_domain(UserPoolId=pid, Domain=domain)
    client = make_client(idp, pid, GenerateSecret=True, AllowedOAuthFlows=["code"], AllowedOAuthFlowsUserPoolClient=True,
                         CallbackURLs=[f"https://{name}/oauth2/idpresponse"], AllowedOAuthScopes=["openid", "email"],
                         SupportedIdentityProviders=["COGNITO"])
    confirmed_user(idp, pid, "ana", email="ana@example.com")
    tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
    ca = urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ca.pem", timeout=10).read().decode()
    made = []
    for _ in range(lbs):
        lb = elb.create_load_balancer(Name=uniq("auth"), Subnets=SUBNETS)["LoadBalancers"][0]
        made.append(lb)
    pool_arn = idp.describe_user_pool(UserPoolId=pid)["UserPool"]["Arn"]
    return {"pid": pid, "pool_arn": pool_arn, "domain": domain, "client": client, "name": name, "cert": cert,
            "tg": tg["TargetGroupArn"], "ca": ca, "lbs": made, "port": backend.port}


def _cognito(w: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Type": "authenticate-cognito", "Order": 1, "AuthenticateCognitoConfig": {
        "UserPoolArn": w["pool_arn"], "UserPoolClientId": w["client"]["ClientId"], "UserPoolDomain": w["domain"], **extra}}


def _listen(gureum: Any, elb: Any, w: dict[str, Any], lb: dict[str, Any], first: dict[str, Any],
            tg: str | None = None) -> tuple[str, Browser]:
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                   Certificates=[{"CertificateArn": w["cert"]}],
                                   DefaultActions=[first, {"Type": "forward", "TargetGroupArn": tg or w["tg"], "Order": 2}])["Listeners"][0]
    address = str(wait_for("DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20))
    wait_listening(address, 443)
    browser = Browser(address, w["name"], w["ca"])

    def answering() -> bool:
        try:
            return browser.lb("/", jar={})[0] in (302, 401, 200)
        except (ssl.SSLError, OSError):
            return False
    wait_for("the HTTPS listener answers", answering, 60)
    return str(listener["ListenerArn"]), browser


def _log_in(gureum: Any, browser: Browser, path: str = "/app?x=1") -> str:
    """The whole dance from an unauthenticated request; the URL it lands back on."""
    status, msg, _ = browser.lb(path)
    assert status == 302, status
    location = str(msg["Location"])
    assert "AWSELBAuthNonce" in browser.jar
    callback = _sign_in(gureum, location, "ana")
    assert callback.startswith(f"https://{browser.name}/oauth2/idpresponse?")
    status, msg, _ = browser.lb(_path(callback))
    assert status == 302, status
    return str(msg["Location"])


def _public_key(gureum: Any, kid: str) -> bytes:
    req = urllib.request.Request(f"{gureum.endpoint}/{kid}", headers={"Host": "public-keys.auth.elb.us-east-1.amazonaws.com"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return bytes(r.read())


def test_authenticate_cognito_signs_in_and_forwards_with_oidc_headers(gureum, elb, backend) -> None:  # type: ignore[no-untyped-def]
    from joserfc import jwt
    from joserfc.errors import BadSignatureError
    from joserfc.jwk import ECKey
    from joserfc.jws import JWSRegistry

    w = _world(gureum, elb, backend)
    lb = w["lbs"][0]
    listener_arn, browser = _listen(gureum, elb, w, lb, _cognito(w))
    described = elb.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"][0]
    assert described["AuthenticateCognitoConfig"]["OnUnauthenticatedRequest"] == "authenticate"
    assert described["AuthenticateCognitoConfig"]["SessionTimeout"] == 604800
    assert described["AuthenticateCognitoConfig"]["SessionCookieName"] == "AWSELBAuthSessionCookie"
    assert described["AuthenticateCognitoConfig"]["Scope"] == "openid"
    status, msg, _ = browser.lb("/app?x=1")
    assert status == 302
    location = urllib.parse.urlsplit(msg["Location"])
    assert location.netloc == f"{w['domain']}.auth.us-east-1.amazoncognito.com"
    query = dict(urllib.parse.parse_qsl(location.query))
    assert query["client_id"] == w["client"]["ClientId"] and query["response_type"] == "code"
    assert query["redirect_uri"] == f"https://{w['name']}/oauth2/idpresponse" and query["scope"] == "openid" and query["state"]
    landed = _log_in(gureum, browser)
    assert landed == f"https://{w['name']}/app?x=1"
    assert "AWSELBAuthSessionCookie-0" in browser.jar and "AWSELBAuthNonce" not in browser.jar
    # a client's own x-amzn-oidc-* never reach the target
    status, _, body = browser.lb(_path(landed))
    assert status == 200
    seen = json.loads(body)["headers"]
    assert seen["x-amzn-oidc-identity"] and seen["x-amzn-oidc-accesstoken"].count(".") == 2
    data = seen["x-amzn-oidc-data"]
    header = json.loads(__import__("base64").urlsafe_b64decode(data.split(".")[0] + "=="))
    assert header["alg"] == "ES256" and header["signer"] == lb["LoadBalancerArn"]
    assert header["client"] == w["client"]["ClientId"]
    key = ECKey.import_key(_public_key(gureum, header["kid"]))
    registry = JWSRegistry(strict_check_header=False)
    claims = jwt.decode(data, key, algorithms=["ES256"], registry=registry).claims
    assert claims["sub"] == seen["x-amzn-oidc-identity"] and claims["email"] == "ana@example.com"
    forged_key = ECKey.generate_key("P-256")
    with pytest.raises(BadSignatureError):
        jwt.decode(data, forged_key, algorithms=["ES256"], registry=registry)
    # the key goes with its load balancer
    elb.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    with pytest.raises(urllib.error.HTTPError) as gone:
        _public_key(gureum, header["kid"])
    assert gone.value.code == 404


def test_unauthenticated_deny_allow_and_attacks_are_refused(gureum, elb, backend) -> None:  # type: ignore[no-untyped-def]
    w = _world(gureum, elb, backend, lbs=2)
    one, two = w["lbs"]
    listener_arn, browser = _listen(gureum, elb, w, one, _cognito(w))
    tg2 = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg2["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": w["port"]}])
    _, other = _listen(gureum, elb, w, two, _cognito(w), tg2["TargetGroupArn"])
    elb.create_rule(ListenerArn=listener_arn, Priority=2, Conditions=[{"Field": "path-pattern", "Values": ["/allow*"]}],
                    Actions=[_cognito(w, OnUnauthenticatedRequest="allow"),
                             {"Type": "forward", "TargetGroupArn": w["tg"], "Order": 2}])
    elb.create_rule(ListenerArn=listener_arn, Priority=3, Conditions=[{"Field": "path-pattern", "Values": ["/short*"]}],
                    Actions=[_cognito(w, SessionTimeout=1),
                             {"Type": "forward", "TargetGroupArn": w["tg"], "Order": 2}])
    # created last: once it answers, the rules before it are on the data plane too
    elb.create_rule(ListenerArn=listener_arn, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/deny*"]}],
                    Actions=[_cognito(w, OnUnauthenticatedRequest="deny"),
                             {"Type": "forward", "TargetGroupArn": w["tg"], "Order": 2}])

    def deny_rule_up() -> bool:
        return browser.lb("/deny", jar={})[0] == 401
    wait_for("the rules reach the data plane", deny_rule_up, 30)
    status, _, body = browser.lb("/allow", jar={"x": "1"})
    assert status == 200 and "x-amzn-oidc-data" not in json.loads(body)["headers"]
    # a state that does not match the nonce cookie, and a tampered state, are refused
    status, msg, _ = browser.lb("/")
    callback = _sign_in(gureum, str(msg["Location"]), "ana")
    assert browser.lb(_path(callback), jar={"AWSELBAuthNonce": "not-the-nonce"})[0] == 401
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
    tampered = q["state"][:-2] + ("AA" if not q["state"].endswith("AA") else "BB")
    assert browser.lb("/oauth2/idpresponse?" + urllib.parse.urlencode({**q, "state": tampered}))[0] == 401
    # the real one, once
    status, msg, _ = browser.lb(_path(callback))
    assert status == 302
    session = {k: v for k, v in browser.jar.items() if k.startswith("AWSELBAuthSessionCookie-")}
    assert session and browser.lb("/deny", jar=session)[0] == 200
    # a forged cookie (one character changed) is no session
    value = session["AWSELBAuthSessionCookie-0"]
    forged = {**session, "AWSELBAuthSessionCookie-0": value[:20] + ("A" if value[20] != "A" else "B") + value[21:]}
    assert browser.lb("/deny", jar=forged)[0] == 401
    assert browser.lb("/", jar=forged)[0] == 302
    # another load balancer's cookie opens nothing here
    assert other.lb("/", jar=session)[0] == 302
    # an expired session: the /short rule's sessions last one second, then it asks again
    short = Browser(browser.address, browser.name, browser.ca)
    landed = _log_in(gureum, short, "/short")
    assert landed == f"https://{w['name']}/short"
    short_session = {k: v for k, v in short.jar.items() if k.startswith("AWSELBAuthSessionCookie-")}
    wait_for("the one-second session refused once expired", lambda: short.lb("/short", jar=short_session)[0] == 302, 30)


def test_authenticate_actions_validation_is_awss(gureum, elb, backend) -> None:  # type: ignore[no-untyped-def]
    w = _world(gureum, elb, backend)
    lb = w["lbs"][0]
    forward = {"Type": "forward", "TargetGroupArn": w["tg"], "Order": 2}
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                               DefaultActions=[_cognito(w), forward])) == "InvalidLoadBalancerAction"
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                               Certificates=[{"CertificateArn": w["cert"]}],
                                               DefaultActions=[_cognito(w)])) == "InvalidLoadBalancerAction"
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                               Certificates=[{"CertificateArn": w["cert"]}],
                                               DefaultActions=[{**forward, "Order": 1}, {**_cognito(w), "Order": 2}])) \
        == "InvalidLoadBalancerAction"
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                               Certificates=[{"CertificateArn": w["cert"]}],
                                               DefaultActions=[_cognito(w, SessionTimeout=604801), forward])) == "ValidationError"


def test_authenticate_oidc_with_cognitos_endpoints_and_a_hidden_client_secret(gureum, elb, backend) -> None:  # type: ignore[no-untyped-def]
    w = _world(gureum, elb, backend)
    lb = w["lbs"][0]
    issuer = f"{gureum.endpoint}/{w['pid']}"

    def oidc(**extra: Any) -> dict[str, Any]:
        return {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {
            "Issuer": issuer, "AuthorizationEndpoint": f"{gureum.endpoint}/oauth2/authorize",
            "TokenEndpoint": f"{gureum.endpoint}/oauth2/token", "UserInfoEndpoint": f"{gureum.endpoint}/oauth2/userInfo",
            "ClientId": w["client"]["ClientId"], **extra}}
    forward = {"Type": "forward", "TargetGroupArn": w["tg"], "Order": 2}
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
                                               Certificates=[{"CertificateArn": w["cert"]}],
                                               DefaultActions=[oidc(), forward])) == "ValidationError"  # no secret
    listener_arn, browser = _listen(gureum, elb, w, lb, oidc(ClientSecret="not-the-secret"))
    described = elb.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"][0]
    assert "ClientSecret" not in described["AuthenticateOidcConfig"]
    assert described["AuthenticateOidcConfig"]["Issuer"] == issuer
    # the wrong secret: the token endpoint refuses the code, so does the load balancer
    status, msg, _ = browser.lb("/")
    assert status == 302 and str(msg["Location"]).startswith(f"{gureum.endpoint}/oauth2/authorize?")
    callback = _sign_in(gureum, str(msg["Location"]), "ana")
    assert browser.lb(_path(callback))[0] == 401
    elb.modify_listener(ListenerArn=listener_arn, DefaultActions=[oidc(ClientSecret=w["client"]["ClientSecret"]), forward])
    # a change that keeps the stored secret (UseExistingClientSecret) still signs in
    elb.modify_listener(ListenerArn=listener_arn, DefaultActions=[oidc(UseExistingClientSecret=True, Scope="openid email",
                                                                                    SessionCookieName="MySession"), forward])
    described = elb.describe_listeners(ListenerArns=[listener_arn])["Listeners"][0]["DefaultActions"][0]
    assert described["AuthenticateOidcConfig"]["Scope"] == "openid email" and "ClientSecret" not in described["AuthenticateOidcConfig"]

    def scope_applied() -> bool:
        status, msg, _ = browser.lb("/", jar={})
        return status == 302 and "scope=openid+email" in str(msg["Location"])
    wait_for("the modified action reaches the data plane", scope_applied, 30)
    browser.jar.clear()
    landed = _log_in(gureum, browser, "/oidc")
    assert "MySession-0" in browser.jar and not any(k.startswith("AWSELBAuthSessionCookie") for k in browser.jar)
    status, _, body = browser.lb(_path(landed))
    assert status == 200
    seen = json.loads(body)["headers"]
    header = json.loads(__import__("base64").urlsafe_b64decode(seen["x-amzn-oidc-data"].split(".")[0] + "=="))
    assert header["iss"] == issuer and header["signer"] == lb["LoadBalancerArn"]
