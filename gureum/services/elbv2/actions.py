"""Listener and rule actions and rule conditions: AWS's checks and the shapes AWS answers with
(a forward to one group carries both TargetGroupArn and ForwardConfig; a host-header or
path-pattern condition both Values and its Config). Pure functions over request values; the
target groups they name are looked up through a callback."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.elbv2 import auth_rules
from gureum.services.elbv2.names import validation

Doc = dict[str, Any]
TERMINAL = ("forward", "redirect", "fixed-response")
CONTENT_TYPES = ("text/plain", "text/css", "text/html", "application/javascript", "application/json")
CONDITION_FIELDS = ("host-header", "path-pattern", "http-header", "http-request-method", "query-string", "source-ip")
MAX_CONDITION_VALUES = 5
_CONFIG = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig", "http-header": "HttpHeaderConfig",
           "http-request-method": "HttpRequestMethodConfig", "query-string": "QueryStringConfig",
           "source-ip": "SourceIpConfig"}


def _invalid_action(message: str) -> AwsError:
    return AwsError.modeled("elbv2", "InvalidLoadBalancerAction", message)


def check_actions(actions: list[Doc], lb_type: str, group: Callable[[str], Doc]) -> list[Doc]:
    """The actions as AWS stores them, ordered; `group(arn)` is the target group's document
    (raising TargetGroupNotFound), checked against the load balancer's type."""
    if not actions:
        raise validation("At least one action must be specified")
    out = []
    orders = [a.get("Order") for a in actions]
    if any(o is not None for o in orders) and any(o is None for o in orders):
        raise validation("Either all actions must have an order or no actions can have an order")
    if len({o for o in orders if o is not None}) != len([o for o in orders if o is not None]):
        raise validation("Actions cannot have the same order")
    for a in (sorted(actions, key=lambda a: a.get("Order") or 0) if orders[0] is not None else actions):
        kind = a.get("Type")
        if kind in auth_rules.KINDS:  # auth_rules.py
            out.append(auth_rules.check(a, lb_type) | ({"Order": a["Order"]} if a.get("Order") is not None else {}))
            continue
        if kind not in TERMINAL:
            raise _invalid_action(f"Action type '{kind}' is not supported")
        if lb_type == "network" and kind != "forward":
            raise _invalid_action(f"Action type '{kind}' is not supported by load balancers of type 'network'")
        out.append(_one(a, kind, lb_type, group) | ({"Order": a["Order"]} if a.get("Order") is not None else {}))
    if any(a["Type"] in auth_rules.KINDS for a in out):
        auth_rules.check_order(out)
    elif len(out) > 1:
        raise AwsError.modeled("elbv2", "TooManyActions", "A rule can have only one terminal action")
    return out


def _one(a: Doc, kind: str, lb_type: str, group: Callable[[str], Doc]) -> Doc:
    if kind == "forward":
        return _forward(a, lb_type, group)
    if kind == "redirect":
        cfg = a.get("RedirectConfig")
        if not cfg:
            raise validation("A redirect configuration must be specified for redirect actions")
        out = {"Protocol": cfg.get("Protocol") or "#{protocol}", "Port": cfg.get("Port") or "#{port}",
               "Host": cfg.get("Host") or "#{host}", "Path": cfg.get("Path") or "/#{path}",
               "Query": cfg.get("Query") if cfg.get("Query") is not None else "#{query}",
               "StatusCode": cfg["StatusCode"]}
        if out["Protocol"] not in ("#{protocol}", "HTTP", "HTTPS"):
            raise validation(f"Redirect protocol '{out['Protocol']}' must be 'HTTP', 'HTTPS' or '#{{protocol}}'")
        if (out["Protocol"], out["Port"], out["Host"], out["Path"]) == ("#{protocol}", "#{port}", "#{host}", "/#{path}"):
            raise validation("You must modify at least one of the following components to avoid a redirect loop: "
                             "protocol, port, hostname or path.")
        if not out["Path"].startswith("/"):
            raise validation("Redirect path must start with a '/' character")
        return {"Type": "redirect", "RedirectConfig": out}
    cfg = a.get("FixedResponseConfig")
    if not cfg:
        raise validation("A fixed response configuration must be specified for fixed-response actions")
    out = {"StatusCode": cfg["StatusCode"]}
    if cfg.get("ContentType") is not None:
        if cfg["ContentType"] not in CONTENT_TYPES:
            raise validation(f"Content type '{cfg['ContentType']}' is not valid. Valid content types are: "
                             + ", ".join(CONTENT_TYPES))
        out["ContentType"] = cfg["ContentType"]
    if cfg.get("MessageBody") is not None:
        out["MessageBody"] = cfg["MessageBody"]
    return {"Type": "fixed-response", "FixedResponseConfig": out}


def _forward(a: Doc, lb_type: str, group: Callable[[str], Doc]) -> Doc:
    cfg = a.get("ForwardConfig") or {}
    listed = cfg.get("TargetGroups") or []
    single = a.get("TargetGroupArn")
    if single and listed and (len(listed) != 1 or listed[0].get("TargetGroupArn") != single):
        raise validation("You cannot specify both a target group ARN and a forward config with different target groups")
    if not single and not listed:
        raise validation("A target group ARN must be specified for forward actions")
    entries = listed or [{"TargetGroupArn": single}]
    if len(entries) > 5:
        raise validation("A forward action can have at most 5 target groups")
    seen: set[str] = set()
    groups = []
    for e in entries:
        arn = e.get("TargetGroupArn") or ""
        if arn in seen:
            raise validation(f"Target group '{arn}' is specified more than once in the forward action")
        seen.add(arn)
        doc = group(arn)
        _compatible(doc, lb_type)
        weight = e.get("Weight", 1)
        if not 0 <= weight <= 999:
            raise validation("Target group weight must be between 0 and 999")
        groups.append({"TargetGroupArn": arn, "Weight": weight})
    sticky = cfg.get("TargetGroupStickinessConfig") or {}
    stick: Doc = {"Enabled": bool(sticky.get("Enabled"))}
    if sticky.get("DurationSeconds") is not None:
        if not 1 <= sticky["DurationSeconds"] <= 604800:
            raise validation("Target group stickiness duration must be between 1 and 604800 seconds")
        stick["DurationSeconds"] = sticky["DurationSeconds"]
    if stick["Enabled"] and "DurationSeconds" not in stick:
        raise validation("A stickiness duration must be specified when target group stickiness is enabled")
    out: Doc = {"Type": "forward", "ForwardConfig": {"TargetGroups": groups, "TargetGroupStickinessConfig": stick}}
    if len(groups) == 1:
        out["TargetGroupArn"] = groups[0]["TargetGroupArn"]
    return out


def _compatible(tg: Doc, lb_type: str) -> None:
    proto = tg.get("Protocol")
    if lb_type == "application" and tg["TargetType"] != "lambda" and proto not in ("HTTP", "HTTPS"):
        raise AwsError.modeled("elbv2", "IncompatibleProtocols",
                               f"The target group protocol '{proto}' is not compatible with a load balancer of type 'application'")
    if lb_type == "network" and (tg["TargetType"] == "lambda" or proto in ("HTTP", "HTTPS")):
        raise AwsError.modeled("elbv2", "IncompatibleProtocols",
                               f"The target group protocol '{proto or 'lambda'}' is not compatible with a load balancer of type 'network'")


def forwarded_groups(actions: list[Doc]) -> list[str]:
    return [g["TargetGroupArn"] for a in actions if a.get("Type") == "forward"
            for g in a.get("ForwardConfig", {}).get("TargetGroups", [])]


def check_conditions(conditions: list[Doc]) -> list[Doc]:
    """Rule conditions as AWS answers them; at most five values over all conditions, each field
    once except http-header and query-string."""
    if not conditions:
        raise validation("A condition must be specified")
    seen: set[str] = set()
    total = 0
    out = []
    for c in conditions:
        field = c.get("Field")
        if field not in CONDITION_FIELDS:
            raise validation(f"Condition field '{field}' must be one of '[{', '.join(CONDITION_FIELDS)}]'")
        if field in seen and field not in ("http-header", "query-string"):
            raise validation(f"A condition field '{field}' can only be specified once per rule")
        seen.add(field)
        cfg = c.get(_CONFIG[field]) or {}
        if field == "http-header":
            name = cfg.get("HttpHeaderName")
            values = list(cfg.get("Values") or [])
            if not name:
                raise validation("An HTTP header name must be specified for 'http-header' conditions")
            norm: Doc = {"Field": field, "HttpHeaderConfig": {"HttpHeaderName": name, "Values": values}}
        elif field == "query-string":
            values = [{"Key": v.get("Key"), "Value": v.get("Value")} if v.get("Key") is not None else
                      {"Value": v.get("Value")} for v in cfg.get("Values") or []]
            if any(v.get("Value") is None for v in values):
                raise validation("A value must be specified for each 'query-string' condition")
            norm = {"Field": field, "QueryStringConfig": {"Values": values}}
        else:
            values = list(cfg.get("Values") or c.get("Values") or [])
            if c.get("Values") and cfg.get("Values") and list(c["Values"]) != list(cfg["Values"]):
                raise validation(f"You cannot specify both 'Values' and '{_CONFIG[field]}' with different values")
            norm = {"Field": field, _CONFIG[field]: {"Values": values}}
            if field in ("host-header", "path-pattern"):
                norm["Values"] = values
            if field == "source-ip":
                for v in values:
                    try:
                        ipaddress.ip_network(v, strict=False)
                    except ValueError:
                        raise validation(f"The source IP '{v}' is not a valid CIDR block") from None
            if field == "http-request-method":
                for v in values:
                    if not v.replace("_", "").replace("-", "").isalpha() or v.upper() != v:
                        raise validation(f"The HTTP request method '{v}' is not valid")
        if not values:
            raise validation(f"A value must be specified for '{field}' conditions")
        for v in values:
            text = v if isinstance(v, str) else (v.get("Value") or "")
            if len(text) > 128:
                raise validation(f"The value '{text}' of condition '{field}' cannot be longer than 128 characters")
        total += len(values)
        out.append(norm)
    if total > MAX_CONDITION_VALUES:
        raise validation(f"A rule can only have '{MAX_CONDITION_VALUES}' condition values")
    return out
