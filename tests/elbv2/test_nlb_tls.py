"""Network Load Balancer TLS listeners with ACM certificates issued by gureum's CA: a client
trusting only /_gureum/ca.pem (Python's ssl, hostname checked) gets the certificate SNI picks,
the ALPN protocol the listener's AlpnPolicy prefers and the versions its SslPolicy allows; the
plaintext is spliced to a TCP target, or re-encrypted to a TLS target group's target (whose
self-signed certificate the load balancer does not verify, as AWS does); AWS's errors."""

from __future__ import annotations

import datetime
import socket
import socketserver
import ssl
import tempfile
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, code_of, resolve, uniq, wait_listening
from tests.elbv2.test_https import _issued


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _line_echo(tag: bytes, tls: ssl.SSLContext | None = None) -> _Server:
    """Answers `tag` + the first line it reads (after its own TLS handshake when `tls`), then closes."""
    class H(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn = tls.wrap_socket(self.request, server_side=True) if tls is not None else self.request
            data = b""
            while not data.endswith(b"\n") and (chunk := conn.recv(65536)):
                data += chunk
            version = conn.version().encode() if tls is not None else b"plain"
            if tls is not None and conn.selected_alpn_protocol():
                version += b"+" + conn.selected_alpn_protocol().encode()
            conn.sendall(tag + version + b":" + data)
            if tls is not None:
                conn.close()

    server = _Server(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _self_signed() -> ssl.SSLContext:
    """A TLS server context with a self-signed certificate nobody trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "target.invalid")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.NamedTemporaryFile("wb", suffix=".pem") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
        f.flush()
        ctx.load_cert_chain(f.name)
    return ctx


@pytest.fixture
def backends() -> Iterator[dict[str, _Server]]:
    target_tls = _self_signed()
    target_tls.set_alpn_protocols(["h2", "http/1.1"])
    made = {"tcp": _line_echo(b"tcp:"), "tls": _line_echo(b"tls:", target_tls)}
    yield made
    for s in made.values():
        s.shutdown()
        s.server_close()


def _talk(address: str, port: int, server_name: str, ca: str, alpn: list[str] | None = None,
          low: ssl.TLSVersion | None = None, high: ssl.TLSVersion | None = None) -> tuple[bytes, dict[str, Any], str | None]:
    ctx = ssl.create_default_context(cadata=ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if low is not None:
        ctx.minimum_version = low
    if high is not None:
        ctx.maximum_version = high
    with socket.create_connection((address, port), timeout=20) as raw, ctx.wrap_socket(raw, server_hostname=server_name) as s:
        s.sendall(b"hello " + server_name.encode() + b"\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        cert = s.getpeercert()
        assert cert is not None
        return data, cert, s.selected_alpn_protocol()


def _cn(cert: dict[str, Any]) -> str:
    return str(dict(x[0] for x in cert["subject"])["commonName"])


def _setup(gureum: Any, elb: Any, backends: dict[str, _Server]) -> tuple[str, str, str, str, dict[str, str]]:
    r53 = gureum.client("route53")
    base = f"{uuid.uuid4().hex[:8]}.example.com"
    zone = r53.create_hosted_zone(Name=base, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    first, second = _issued(gureum, zone, f"a.{base}"), _issued(gureum, zone, f"b.{base}")
    acm = gureum.client("acm")
    for arn in (first, second):
        wait_for("issued", lambda arn=arn: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED", 60)
    lb = elb.create_load_balancer(Name=uniq("nlbtls"), Subnets=SUBNETS[:1], Type="network")["LoadBalancers"][0]
    tgs = {}
    for proto in ("TCP", "TLS"):
        tg = elb.create_target_group(Name=uniq("tg"), Protocol=proto, Port=443, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                             Targets=[{"Id": "127.0.0.1", "Port": backends[proto.lower()].server_address[1]}])
        tgs[proto] = tg["TargetGroupArn"]
    ca = urllib.request.urlopen(f"{gureum.endpoint}/_gureum/ca.pem", timeout=10).read().decode()
    return base, first, second, ca, {"lb": lb["LoadBalancerArn"], "dns": lb["DNSName"], **tgs}


def test_tls_listener_terminates_with_sni_alpn_and_splices_plaintext(gureum, elb, backends) -> None:  # type: ignore[no-untyped-def]
    base, first, second, ca, ids = _setup(gureum, elb, backends)
    listener = elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TLS", Port=443, Certificates=[{"CertificateArn": first}],
                                   AlpnPolicy=["HTTP2Preferred"],
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["TCP"]}])["Listeners"][0]
    assert listener["Protocol"] == "TLS" and listener["SslPolicy"] == "ELBSecurityPolicy-2016-08"
    assert listener["AlpnPolicy"] == ["HTTP2Preferred"]
    assert listener["Certificates"] == [{"CertificateArn": first}]
    elb.add_listener_certificates(ListenerArn=listener["ListenerArn"], Certificates=[{"CertificateArn": second}])
    assert elb.describe_listener_certificates(ListenerArn=listener["ListenerArn"])["Certificates"] == [
        {"CertificateArn": first, "IsDefault": True}, {"CertificateArn": second, "IsDefault": False}]
    address = str(wait_for("DNS", lambda: resolve(gureum.dns_port, ids["dns"]), 20))
    wait_listening(address, 443)

    def served(name: str, **kw: Any) -> Any:
        try:
            return _talk(address, 443, name, ca, **kw)
        except (ssl.SSLError, OSError):
            return None  # not bound yet, or b.'s certificate has not reached the listener yet
    data, cert, alpn = wait_for("a. through the TLS listener", lambda: served(f"a.{base}", alpn=["http/1.1", "h2"]), 60)
    assert _cn(cert) == f"a.{base}"
    assert data == f"tcp:plain:hello a.{base}\n".encode()  # the target got the plaintext
    assert alpn == "h2"  # HTTP2Preferred: the listener's order wins
    data, cert, _ = wait_for("b. through SNI", lambda: served(f"b.{base}"), 60)
    assert _cn(cert) == f"b.{base}" and data == f"tcp:plain:hello b.{base}\n".encode()
    _, cert, _ = served(f"a.{base}")
    assert _cn(cert) == f"a.{base}"  # no SNI match falls back to the default one; a. still served

    # the security policy is applied to the handshake: 2016-08 has no TLS 1.3
    assert served(f"a.{base}", high=ssl.TLSVersion.TLSv1_2) is not None
    with pytest.raises(OSError):  # ssl.SSLError: the handshake is refused
        _talk(address, 443, f"a.{base}", ca, low=ssl.TLSVersion.TLSv1_3)
    elb.modify_listener(ListenerArn=listener["ListenerArn"], SslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06",
                        AlpnPolicy=["HTTP1Only"])

    def tls13_only() -> bool:
        try:
            _talk(address, 443, f"a.{base}", ca, high=ssl.TLSVersion.TLSv1_2)
            return False
        except (ssl.SSLError, OSError):
            return True
    wait_for("TLS 1.2 refused under ELBSecurityPolicy-TLS13-1-3-2021-06", tls13_only, 60)
    data, _, alpn = wait_for("TLS 1.3", lambda: served(f"a.{base}", low=ssl.TLSVersion.TLSv1_3, alpn=["h2", "http/1.1"]), 60)
    assert data == f"tcp:plain:hello a.{base}\n".encode() and alpn == "http/1.1"
    described = elb.describe_listeners(ListenerArns=[listener["ListenerArn"]])["Listeners"][0]
    assert described["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06" and described["AlpnPolicy"] == ["HTTP1Only"]


def test_tls_listener_reencrypts_to_a_tls_target_group_without_verifying_it(gureum, elb, backends) -> None:  # type: ignore[no-untyped-def]
    base, first, _, ca, ids = _setup(gureum, elb, backends)
    elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TLS", Port=8443, Certificates=[{"CertificateArn": first}],
                        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["TLS"]}])
    address = str(wait_for("DNS", lambda: resolve(gureum.dns_port, ids["dns"]), 20))
    wait_listening(address, 8443)

    def served() -> Any:
        try:
            return _talk(address, 8443, f"a.{base}", ca)
        except (ssl.SSLError, OSError):
            return None
    data, cert, alpn = wait_for("a. through the TLS listener to a TLS target", served, 60)
    assert _cn(cert) == f"a.{base}" and alpn is None  # no AlpnPolicy: no ALPN
    # the target did its own handshake with the load balancer (a TLS 1.3 listener policy's backend policy)
    assert data == f"tls:TLSv1.3:hello a.{base}\n".encode()
    # with an ALPN policy, the target is offered the protocol the client chose (the bytes are that protocol's)
    elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TLS", Port=9443, Certificates=[{"CertificateArn": first}],
                        AlpnPolicy=["HTTP2Preferred"], DefaultActions=[{"Type": "forward", "TargetGroupArn": ids["TLS"]}])
    wait_listening(address, 9443)

    def h2() -> Any:
        try:
            return _talk(address, 9443, f"a.{base}", ca, alpn=["http/1.1", "h2"])
        except (ssl.SSLError, OSError):
            return None
    data, _, alpn = wait_for("a. with ALPN to a TLS target", h2, 60)
    assert alpn == "h2" and data == f"tls:TLSv1.2+h2:hello a.{base}\n".encode()  # 2016-08: the backend's TLS 1.2


def test_tls_listener_errors_are_awss(gureum, elb, backends) -> None:  # type: ignore[no-untyped-def]
    _, first, _, _, ids = _setup(gureum, elb, backends)
    forward = [{"Type": "forward", "TargetGroupArn": ids["TCP"]}]
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TLS", Port=443,
                                               DefaultActions=forward)) == "ValidationError"  # no certificate
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TLS", Port=443,
                                               Certificates=[{"CertificateArn": first}], AlpnPolicy=["HTTP3"],
                                               DefaultActions=forward)) == "ALPNPolicyNotFound"
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TLS", Port=443,
                                               Certificates=[{"CertificateArn": first}], SslPolicy="NoSuchPolicy",
                                               DefaultActions=forward)) == "SSLPolicyNotFound"
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TCP", Port=80, AlpnPolicy=["HTTP1Only"],
                                               DefaultActions=forward)) == "ValidationError"
    udp = elb.create_target_group(Name=uniq("tg"), Protocol="UDP", Port=53, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
    assert code_of(lambda: elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TLS", Port=443,
                                               Certificates=[{"CertificateArn": first}],
                                               DefaultActions=[{"Type": "forward", "TargetGroupArn": udp["TargetGroupArn"]}])) \
        == "IncompatibleProtocols"
    tcp = elb.create_listener(LoadBalancerArn=ids["lb"], Protocol="TCP", Port=80, DefaultActions=forward)["Listeners"][0]
    assert "AlpnPolicy" not in tcp and "SslPolicy" not in tcp
    moved = elb.modify_listener(ListenerArn=tcp["ListenerArn"], Protocol="TLS", Certificates=[{"CertificateArn": first}],
                                AlpnPolicy=["HTTP2Only"])["Listeners"][0]
    assert moved["SslPolicy"] == "ELBSecurityPolicy-2016-08" and moved["AlpnPolicy"] == ["HTTP2Only"]
    back = elb.modify_listener(ListenerArn=tcp["ListenerArn"], Protocol="TCP")["Listeners"][0]
    assert "AlpnPolicy" not in back and "Certificates" not in back and "SslPolicy" not in back
