"""Load balancer and target group attributes: AWS's keys and defaults per load balancer type
and per target group protocol/target type, and the checks ModifyLoadBalancerAttributes and
ModifyTargetGroupAttributes apply (known keys, booleans, integer ranges). Attributes are stored
as the full key -> value map on the resource's document."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gureum.services.elbv2.names import validation

_ALB: dict[str, str] = {
    "access_logs.s3.enabled": "false", "access_logs.s3.bucket": "", "access_logs.s3.prefix": "",
    "connection_logs.s3.enabled": "false", "connection_logs.s3.bucket": "", "connection_logs.s3.prefix": "",
    "health_check_logs.s3.enabled": "false", "health_check_logs.s3.bucket": "", "health_check_logs.s3.prefix": "",
    "idle_timeout.timeout_seconds": "60", "client_keep_alive.seconds": "3600",
    "deletion_protection.enabled": "false", "routing.http2.enabled": "true",
    "routing.http.drop_invalid_header_fields.enabled": "false", "routing.http.xff_client_port.enabled": "false",
    "routing.http.preserve_host_header.enabled": "false", "routing.http.xff_header_processing.mode": "append",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.desync_mitigation_mode": "defensive", "load_balancing.cross_zone.enabled": "true",
    "waf.fail_open.enabled": "false", "zonal_shift.config.enabled": "false",
}
_NLB: dict[str, str] = {
    "access_logs.s3.enabled": "false", "access_logs.s3.bucket": "", "access_logs.s3.prefix": "",
    "deletion_protection.enabled": "false", "load_balancing.cross_zone.enabled": "false",
    "dns_record.client_routing_policy": "any_availability_zone", "zonal_shift.config.enabled": "false",
}
_TG_COMMON: dict[str, str] = {
    "deregistration_delay.timeout_seconds": "300", "stickiness.enabled": "false",
    "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
    "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage": "off",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": "off",
}
_TG_HTTP: dict[str, str] = _TG_COMMON | {
    "stickiness.type": "lb_cookie", "stickiness.lb_cookie.duration_seconds": "86400",
    "stickiness.app_cookie.cookie_name": "", "stickiness.app_cookie.duration_seconds": "86400",
    "load_balancing.algorithm.type": "round_robin", "load_balancing.algorithm.anomaly_mitigation": "off",
    "slow_start.duration_seconds": "0",
}
_TG_LAMBDA: dict[str, str] = {"lambda.multi_value_headers.enabled": "false"}
_TG_NET: dict[str, str] = _TG_COMMON | {
    "stickiness.type": "source_ip", "deregistration_delay.connection_termination.enabled": "false",
    "proxy_protocol_v2.enabled": "false", "preserve_client_ip.enabled": "true",
    "target_health_state.unhealthy.connection_termination.enabled": "true",
    "target_health_state.unhealthy.draining_interval_seconds": "0",
}

_BOOLEAN_SUFFIX = ".enabled"
_RANGES: dict[str, tuple[int, int]] = {
    "idle_timeout.timeout_seconds": (1, 4000), "client_keep_alive.seconds": (60, 604800),
    "deregistration_delay.timeout_seconds": (0, 3600), "stickiness.lb_cookie.duration_seconds": (1, 604800),
    "stickiness.app_cookie.duration_seconds": (1, 604800), "slow_start.duration_seconds": (0, 900),
    "target_health_state.unhealthy.draining_interval_seconds": (0, 360000),
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "routing.http.xff_header_processing.mode": ("append", "preserve", "remove"),
    "routing.http.desync_mitigation_mode": ("monitor", "defensive", "strictest"),
    "stickiness.type": ("lb_cookie", "app_cookie", "source_ip", "source_ip_dest_ip", "source_ip_dest_ip_proto"),
    "load_balancing.algorithm.type": ("round_robin", "least_outstanding_requests", "weighted_random"),
    "dns_record.client_routing_policy": ("availability_zone_affinity", "partial_availability_zone_affinity",
                                         "any_availability_zone"),
}


def lb_defaults(kind: str) -> dict[str, str]:
    return dict(_NLB if kind == "network" else _ALB)


def tg_defaults(target_type: str, protocol: str | None) -> dict[str, str]:
    if target_type == "lambda":
        return dict(_TG_LAMBDA)
    if protocol in ("TCP", "UDP", "TCP_UDP", "TLS", "QUIC", "TCP_QUIC"):
        return dict(_TG_NET)
    return dict(_TG_HTTP)


def _check(key: str, value: str, what: str) -> None:
    if key.endswith(_BOOLEAN_SUFFIX) and value not in ("true", "false") and key != "load_balancing.cross_zone.enabled":
        raise validation(f"{what} attribute value '{value}' for key '{key}' is not a valid boolean value")
    if key in _RANGES:
        lo, hi = _RANGES[key]
        if not value.lstrip("-").isdigit() or not lo <= int(value) <= hi:
            raise validation(f"{what} attribute '{key}' value '{value}' must be an integer between {lo} and {hi}")
    if key == "slow_start.duration_seconds" and value.isdigit() and 0 < int(value) < 30:
        raise validation(f"{what} attribute '{key}' value '{value}' must be 0 or an integer between 30 and 900")
    if key == "stickiness.app_cookie.cookie_name" and value.upper().startswith(("AWSALB", "AWSALBAPP", "AWSALBTG")):
        raise validation(f"{what} attribute '{key}' value '{value}' cannot start with AWSALB, AWSALBAPP or AWSALBTG: "
                         "these prefixes are reserved for the load balancer")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise validation(f"{what} attribute '{key}' value '{value}' must be one of: {', '.join(_CHOICES[key])}")


def apply(current: Mapping[str, str], changes: Iterable[Mapping[str, str]], what: str) -> dict[str, str]:
    """The attributes after `changes` ([{"Key", "Value"}]); a key `current` lacks is refused as AWS
    refuses it ("... attribute key 'x' is not recognized")."""
    out = dict(current)
    for item in changes:
        key, value = str(item.get("Key", "")), str(item.get("Value", ""))
        if key not in out:
            raise validation(f"{what} attribute key '{key}' is not recognized")
        _check(key, value, what)
        out[key] = value
    if (out.get("stickiness.enabled") == "true" and out.get("stickiness.type") == "app_cookie"
            and not out.get("stickiness.app_cookie.cookie_name")):
        raise validation(f"{what} attribute 'stickiness.app_cookie.cookie_name' must be specified when "
                         "'stickiness.type' is 'app_cookie'")
    return out


def pairs(attrs: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(attrs.items())]
