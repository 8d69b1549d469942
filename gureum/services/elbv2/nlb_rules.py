"""AWS's rules for Network Load Balancer TLS listeners, applied by listeners.py on
CreateListener and ModifyListener (the data plane is nlb_tls.py).

A TLS listener needs a default certificate (more through AddListenerCertificates, chosen by
SNI); its SslPolicy defaults to ELBSecurityPolicy-2016-08 when created through the API (the
console picks another: AWS's "Security policies for your Network Load Balancer"); its
AlpnPolicy is one of ALPN_POLICIES (ALPNPolicyNotFound otherwise; only TLS listeners take one),
kept as AWS describes it, a one-name list, and kept across a ModifyListener that names none;
it forwards to TCP or TLS target groups only (IncompatibleProtocols)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.elbv2.names import validation

Doc = dict[str, Any]
ALPN_PROTOCOLS: dict[str, list[str]] = {  # the server's preference order, AWS's "ALPN policies"
    "HTTP1Only": ["http/1.1", "http/1.0"],
    "HTTP2Only": ["h2"],
    "HTTP2Optional": ["http/1.1", "http/1.0", "h2"],
    "HTTP2Preferred": ["h2", "http/1.1", "http/1.0"],
    "None": [],
}
ALPN_POLICIES = tuple(ALPN_PROTOCOLS)
TARGET_PROTOCOLS = ("TCP", "TLS")


def alpn_policy(protocol: str, given: list[str] | None, current: list[str] | None = None) -> list[str] | None:
    """The AlpnPolicy a listener of `protocol` keeps: the one given (checked), else what it had."""
    if given:
        if protocol != "TLS":
            raise validation(f"ALPN policy cannot be specified for listeners with the '{protocol}' protocol")
        if len(given) != 1 or given[0] not in ALPN_POLICIES:
            raise AwsError.modeled("elbv2", "ALPNPolicyNotFound", f"ALPN policy '{', '.join(given)}' not found")
        return [given[0]]
    return current if protocol == "TLS" else None


def check_forward(listener_protocol: str, actions: list[Doc], group_protocol: Callable[[str], str | None]) -> None:
    """A TLS listener forwards to TCP or TLS target groups only (IncompatibleProtocols)."""
    if listener_protocol != "TLS":
        return
    for a in actions:
        for g in (a.get("ForwardConfig") or {}).get("TargetGroups") or []:
            proto = group_protocol(g["TargetGroupArn"])
            if proto not in TARGET_PROTOCOLS:
                raise AwsError.modeled("elbv2", "IncompatibleProtocols",
                                       f"Listener protocol 'TLS' is not supported with a target group with the protocol '{proto}'")
