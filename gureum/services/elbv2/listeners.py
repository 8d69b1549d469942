"""Listeners and their rules: the store layout and AWS's rules for them.

Tables:
- elbv2_listeners: "{account}/{region}/{lb id}/{listener id}" -> the Listener shape's members
  plus "id", "tags".
- elbv2_rules: "{account}/{region}/{listener id}/{rule id}" -> the Rule shape's members
  (Priority a string, "default" for the listener's default rule) plus "id", "lb_id", "tags".

Invariants: one listener per port per load balancer; every listener has exactly one default
rule whose Actions are the listener's DefaultActions; other priorities (1-50000) are unique
per listener; a target group is used by one load balancer at most; every write tells ACM
which certificates the listener holds (acm/port.py set_uses: InUseBy shows the load
balancer). Writes publish "elbv2.listener" {"lb": lb key}.
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.acm import port as acm
from gureum.services.elbv2 import actions, auth_keys, auth_rules, balancers, groups, names, nlb_rules, tagging
from gureum.services.elbv2.names import validation
from gureum.store import Txn

LISTENERS = "elbv2_listeners"
RULES = "elbv2_rules"
TOPIC = "elbv2.listener"
MAX_LISTENERS = 50
MAX_RULES = 100
_ALB_PROTOCOLS = ("HTTP", "HTTPS")
_NLB_PROTOCOLS = ("TCP", "TLS", "UDP", "TCP_UDP")
Doc = dict[str, Any]


def listener_not_found() -> AwsError:
    return AwsError.modeled("elbv2", "ListenerNotFound", "One or more listeners not found")


def rule_not_found() -> AwsError:
    return AwsError.modeled("elbv2", "RuleNotFound", "One or more rules not found")


def get_listener(txn: Txn, arn: str) -> tuple[str, Doc]:
    ref = names.check_arn(arn, "listener")
    k = f"{ref.account}/{ref.region}/{ref.parts[2]}/{ref.parts[3]}"
    doc = txn.get(LISTENERS, k)
    if doc is None or doc["ListenerArn"] != arn:
        raise listener_not_found()
    return k, doc


def get_rule(txn: Txn, arn: str) -> tuple[str, Doc]:
    ref = names.check_arn(arn, "listener-rule")
    k = f"{ref.account}/{ref.region}/{ref.parts[3]}/{ref.parts[4]}"
    doc = txn.get(RULES, k)
    if doc is None or doc["RuleArn"] != arn:
        raise rule_not_found()
    return k, doc


def _group_lookup(txn: Txn, lb_arn: str) -> Any:
    def group(arn: str) -> Doc:
        _, doc = groups.get(txn, arn)
        users = lbs_of(txn, arn)
        if users and users != [lb_arn]:
            raise AwsError.modeled("elbv2", "TargetGroupAssociationLimit",
                                   f"The following target groups cannot be associated with more than one load balancer: {arn}")
        return doc
    return group


def _check_protocol(txn: Txn, lb: Doc, protocol: str, port: int, certificates: list[Doc] | None) -> None:
    allowed = _NLB_PROTOCOLS if lb["Type"] == "network" else _ALB_PROTOCOLS
    if protocol not in allowed:
        raise AwsError.modeled("elbv2", "UnsupportedProtocol",
                               f"Protocol '{protocol}' is not supported for load balancers of type '{lb['Type']}'")
    if not 1 <= port <= 65535:
        raise validation(f"Listener port '{port}' must be between 1 and 65535")
    if protocol in ("HTTPS", "TLS"):
        if not certificates:
            raise validation(f"A certificate must be specified for {protocol} listeners")
        _check_certificates(txn, certificates)


def _check_certificates(txn: Txn, certificates: list[Doc]) -> None:
    """Each certificate must be an issued ACM certificate (CertificateNotFound otherwise)."""
    for c in certificates:
        arn = str(c.get("CertificateArn") or "")
        if not acm.exists_issued(txn, arn):
            raise AwsError.modeled("elbv2", "CertificateNotFound", f"Certificate '{arn}' not found")


def _record_certs(txn: Txn, doc: Doc | None, arn: str) -> None:
    """Tell ACM which certificates the listener uses now (none once deleted: doc None): its InUseBy."""
    held = [c["CertificateArn"] for c in (doc or {}).get("Certificates") or []] + list((doc or {}).get("extra_certs") or [])
    acm.set_uses(txn, arn, held, shown=(doc or {}).get("LoadBalancerArn"))


def create_listener(txn: Txn, p: Doc) -> Doc:
    lb_key, lb = balancers.get(txn, p["LoadBalancerArn"])
    account, region, lb_id = lb_key.split("/")
    protocol = p.get("Protocol") or ("HTTP" if lb["Type"] == "application" else "TCP")
    port = p.get("Port") or (80 if protocol == "HTTP" else 443 if protocol in ("HTTPS", "TLS") else 0)
    if not port:
        raise validation("A listener port must be specified")
    _check_protocol(txn, lb, protocol, port, p.get("Certificates"))
    default = actions.check_actions(p["DefaultActions"], lb["Type"], _group_lookup(txn, lb["LoadBalancerArn"]))
    nlb_rules.check_forward(protocol, default, lambda arn: groups.get(txn, arn)[1].get("Protocol"))
    auth_rules.check_listener(protocol, default)
    alpn = nlb_rules.alpn_policy(protocol, p.get("AlpnPolicy"))
    existing = txn.scan(LISTENERS, lb_key + "/")
    for _, other in existing:
        if other["Port"] == port:
            if other["Protocol"] == protocol and other["DefaultActions"] == default:
                return other  # AWS answers a repeat with the same listener
            raise AwsError.modeled("elbv2", "DuplicateListener", "A listener already exists on this port for this load balancer "
                                   f"'{lb['LoadBalancerArn']}'")
    if len(existing) >= MAX_LISTENERS:
        raise AwsError.modeled("elbv2", "TooManyListeners", "The quota for the number of listeners per load balancer has been reached")
    lid = names.new_id()
    kind = names.kind_code(lb["Type"])
    doc: Doc = {"ListenerArn": arns.elbv2_listener(region, account, kind, lb["LoadBalancerName"], lb_id, lid),
                "LoadBalancerArn": lb["LoadBalancerArn"], "Port": port, "Protocol": protocol,
                "DefaultActions": default, "id": lid, "tags": tagging.checked(p.get("Tags"))}
    if protocol in ("HTTPS", "TLS"):
        doc |= {"Certificates": [{"CertificateArn": p["Certificates"][0]["CertificateArn"]}],
                "SslPolicy": _ssl_policy(p.get("SslPolicy")), "extra_certs": []}
    if alpn:
        doc["AlpnPolicy"] = alpn
    txn.put(LISTENERS, f"{lb_key}/{lid}", doc)
    _record_certs(txn, doc, doc["ListenerArn"])
    rid = names.new_id()
    txn.put(RULES, f"{account}/{region}/{lid}/{rid}", {
        "RuleArn": arns.elbv2_rule(region, account, kind, lb["LoadBalancerName"], lb_id, lid, rid),
        "Priority": "default", "Conditions": [], "Actions": default, "IsDefault": True, "id": rid,
        "lb_id": lb_id, "tags": {}})
    txn.publish(TOPIC, {"lb": lb_key})
    return doc


SSL_POLICIES = ("ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                "ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-FS-1-2-Res-2020-10",
                "ELBSecurityPolicy-TLS13-1-3-2021-06")


def _ssl_policy(name: str | None) -> str:
    name = name or "ELBSecurityPolicy-2016-08"
    if name not in SSL_POLICIES:
        raise AwsError.modeled("elbv2", "SSLPolicyNotFound", f"SSL policy '{name}' not found")
    return name


def add_certificates(txn: Txn, arn: str, certificates: list[Doc]) -> list[Doc]:
    """AddListenerCertificates: more certificates for SNI (the default one stays first)."""
    k, doc = get_listener(txn, arn)
    if doc["Protocol"] not in ("HTTPS", "TLS"):
        raise validation("Certificates can only be added to HTTPS and TLS listeners")
    _check_certificates(txn, certificates)
    extra = list(doc.get("extra_certs") or [])
    for c in certificates:
        if c["CertificateArn"] not in extra and c["CertificateArn"] != doc["Certificates"][0]["CertificateArn"]:
            extra.append(c["CertificateArn"])
    if len(extra) > 25:
        raise AwsError.modeled("elbv2", "TooManyCertificates", "The quota for the number of certificates per listener has been reached")
    doc["extra_certs"] = extra
    txn.put(LISTENERS, k, doc)
    _record_certs(txn, doc, arn)
    txn.publish(TOPIC, {"lb": k.rsplit("/", 1)[0]})
    return [{"CertificateArn": a, "IsDefault": False} for a in extra]


def remove_certificates(txn: Txn, arn: str, certificates: list[Doc]) -> None:
    k, doc = get_listener(txn, arn)
    gone = {c.get("CertificateArn") for c in certificates}
    if doc.get("Certificates") and doc["Certificates"][0]["CertificateArn"] in gone:
        raise AwsError.modeled("elbv2", "OperationNotPermitted", "The default certificate cannot be removed")
    doc["extra_certs"] = [a for a in doc.get("extra_certs") or [] if a not in gone]
    txn.put(LISTENERS, k, doc)
    _record_certs(txn, doc, arn)
    txn.publish(TOPIC, {"lb": k.rsplit("/", 1)[0]})


def describe_certificates(txn: Txn, arn: str) -> list[Doc]:
    _, doc = get_listener(txn, arn)
    out = [{"CertificateArn": c["CertificateArn"], "IsDefault": True} for c in doc.get("Certificates") or []]
    return out + [{"CertificateArn": a, "IsDefault": False} for a in doc.get("extra_certs") or []]


def public_listener(doc: Doc) -> Doc:
    return {k: (auth_rules.public(v) if k == "DefaultActions" else v) for k, v in doc.items() if k[0].isupper()}


def describe_listeners(txn: Txn, p: Doc) -> tuple[list[Doc], str | None]:
    arn_list = p.get("ListenerArns") or []
    lb_arn = p.get("LoadBalancerArn")
    if arn_list and lb_arn:
        raise validation("Listener ARNs and a load balancer ARN cannot be specified at the same time")
    if not arn_list and not lb_arn:
        raise validation("You must specify either listener ARNs or a load balancer ARN")
    if arn_list:
        docs = [get_listener(txn, a)[1] for a in arn_list]
    else:
        lb_key, _ = balancers.get(txn, str(lb_arn))
        docs = [d for _, d in txn.scan(LISTENERS, lb_key + "/")]
    docs.sort(key=lambda d: (d["Port"], d["id"]))
    page, marker = paging.page_items(docs, lambda d: d["ListenerArn"], listing="elbv2.listeners", token=p.get("Marker"),
                                     limit=p.get("PageSize"), default_limit=400, max_limit=400, ordered=False,
                                     filters={"a": arn_list, "l": lb_arn}, error=lambda: validation("Invalid marker"))
    return [public_listener(d) for d in page], marker


def modify_listener(txn: Txn, p: Doc) -> Doc:
    k, doc = get_listener(txn, p["ListenerArn"])
    lb_key = k.rsplit("/", 1)[0]
    lb = txn.get(balancers.LBS, lb_key)
    assert lb is not None
    port = p.get("Port") or doc["Port"]
    protocol = p.get("Protocol") or doc["Protocol"]
    if p.get("Port") or p.get("Protocol") or p.get("Certificates"):
        _check_protocol(txn, lb, protocol, port, p.get("Certificates") or doc.get("Certificates"))
    if port != doc["Port"] and any(o["Port"] == port for _, o in txn.scan(LISTENERS, lb_key + "/")):
        raise AwsError.modeled("elbv2", "DuplicateListener", "A listener already exists on this port for this load balancer "
                               f"'{lb['LoadBalancerArn']}'")
    doc["Port"], doc["Protocol"] = port, protocol
    alpn = nlb_rules.alpn_policy(protocol, p.get("AlpnPolicy"), doc.get("AlpnPolicy"))
    doc.pop("AlpnPolicy", None)
    if alpn:
        doc["AlpnPolicy"] = alpn
    if protocol in ("HTTPS", "TLS"):
        if p.get("Certificates"):
            doc["Certificates"] = [{"CertificateArn": p["Certificates"][0]["CertificateArn"]}]
        doc["SslPolicy"] = _ssl_policy(p.get("SslPolicy") or doc.get("SslPolicy"))
        doc.setdefault("extra_certs", [])
    else:
        for field in ("Certificates", "SslPolicy", "extra_certs"):
            doc.pop(field, None)
    if p.get("DefaultActions"):
        given = auth_rules.keep_secrets(p["DefaultActions"], doc["DefaultActions"])
        doc["DefaultActions"] = actions.check_actions(given, lb["Type"], _group_lookup(txn, lb["LoadBalancerArn"]))
    auth_rules.check_listener(protocol, doc["DefaultActions"])
    nlb_rules.check_forward(protocol, doc["DefaultActions"], lambda arn: groups.get(txn, arn)[1].get("Protocol"))
    if p.get("DefaultActions"):
        account, region, _ = lb_key.split("/")
        for rk, rule in txn.scan(RULES, f"{account}/{region}/{doc['id']}/"):
            if rule.get("IsDefault"):
                rule["Actions"] = doc["DefaultActions"]
                txn.put(RULES, rk, rule)
    txn.put(LISTENERS, k, doc)
    _record_certs(txn, doc, doc["ListenerArn"])
    txn.publish(TOPIC, {"lb": lb_key})
    return doc


def delete_listener(txn: Txn, arn: str) -> None:
    k, doc = get_listener(txn, arn)
    account, region, _, lid = k.split("/")
    txn.delete_prefix(RULES, f"{account}/{region}/{lid}/")
    txn.delete(LISTENERS, k)
    _record_certs(txn, None, arn)
    txn.publish(TOPIC, {"lb": k.rsplit("/", 1)[0]})


def release_certificates(txn: Txn) -> None:
    """Every listener's certificates released to ACM (ELBv2's reset, before its tables go)."""
    for _, doc in txn.scan(LISTENERS):
        _record_certs(txn, None, doc["ListenerArn"])


def drop_for_lb(txn: Txn, lb_key: str) -> None:
    """Every listener and rule of a load balancer being deleted."""
    account, region, _ = lb_key.split("/")
    for k, doc in txn.scan(LISTENERS, lb_key + "/"):
        txn.delete_prefix(RULES, f"{account}/{region}/{doc['id']}/")
        txn.delete(LISTENERS, k)
        _record_certs(txn, None, doc["ListenerArn"])
    auth_keys.drop(txn, lb_key)  # its authenticate actions' keys
    txn.publish(TOPIC, {"lb": lb_key})


# --- which load balancers use which target groups ----------------------------------------

def lbs_of(txn: Txn, tg_arn: str) -> list[str]:
    """The ARNs of the load balancers whose listeners or rules forward to `tg_arn`."""
    ref = names.parse(tg_arn, "targetgroup")
    if ref is None:
        return []
    found: set[str] = set()
    scope = f"{ref.account}/{ref.region}/"
    lb_ids = set()
    for _, rule in txn.scan(RULES, scope):
        if tg_arn in actions.forwarded_groups(rule["Actions"]):
            lb_ids.add(rule["lb_id"])
    for lb_id in lb_ids:
        lb = txn.get(balancers.LBS, scope + lb_id)
        if lb is not None:
            found.add(lb["LoadBalancerArn"])
    return sorted(found)


def groups_in_lb(txn: Txn, lb_arn: str) -> set[str]:
    lb_key, _ = balancers.get(txn, lb_arn)
    account, region, lb_id = lb_key.split("/")
    return {g for _, rule in txn.scan(RULES, f"{account}/{region}/") if rule["lb_id"] == lb_id
            for g in actions.forwarded_groups(rule["Actions"])}


def tg_in_use(txn: Txn, tg_arn: str) -> bool:
    return bool(lbs_of(txn, tg_arn))


# --- rules ---------------------------------------------------------------------------------

def _priority(value: int) -> int:
    if not 1 <= value <= 50000:
        raise validation(f"Priority '{value}' must be between 1 and 50000")
    return value


def create_rule(txn: Txn, p: Doc) -> Doc:
    k, listener = get_listener(txn, p["ListenerArn"])
    lb_key = k.rsplit("/", 1)[0]
    account, region, lb_id = lb_key.split("/")
    lb = txn.get(balancers.LBS, lb_key)
    assert lb is not None
    if lb["Type"] == "network":
        raise validation("Rules are not supported for listeners of load balancers of type 'network'")
    priority = _priority(p["Priority"])
    conditions = actions.check_conditions(p.get("Conditions") or [])
    acts = actions.check_actions(p["Actions"], lb["Type"], _group_lookup(txn, lb["LoadBalancerArn"]))
    auth_rules.check_listener(listener["Protocol"], acts)
    rules = txn.scan(RULES, f"{account}/{region}/{listener['id']}/")
    for _, r in rules:
        if r["Priority"] == str(priority):
            raise AwsError.modeled("elbv2", "PriorityInUse", f"Priority '{priority}' is currently in use")
    if len(rules) - 1 >= MAX_RULES:
        raise AwsError.modeled("elbv2", "TooManyRules", "The quota for the number of rules per listener has been reached")
    rid = names.new_id()
    doc: Doc = {"RuleArn": arns.elbv2_rule(region, account, names.kind_code(lb["Type"]), lb["LoadBalancerName"],
                                           lb_id, listener["id"], rid),
                "Priority": str(priority), "Conditions": conditions, "Actions": acts, "IsDefault": False,
                "id": rid, "lb_id": lb_id, "tags": tagging.checked(p.get("Tags"))}
    txn.put(RULES, f"{account}/{region}/{listener['id']}/{rid}", doc)
    txn.publish(TOPIC, {"lb": lb_key})
    return doc


def public_rule(doc: Doc) -> Doc:
    return {k: (auth_rules.public(v) if k == "Actions" else v) for k, v in doc.items() if k[0].isupper()}


def _order(doc: Doc) -> tuple[int, str]:
    return (50001 if doc["Priority"] == "default" else int(doc["Priority"]), doc["id"])


def describe_rules(txn: Txn, p: Doc) -> tuple[list[Doc], str | None]:
    arn_list = p.get("RuleArns") or []
    listener_arn = p.get("ListenerArn")
    if arn_list and listener_arn:
        raise validation("Rule ARNs and a listener ARN cannot be specified at the same time")
    if not arn_list and not listener_arn:
        raise validation("You must specify either listener rule ARNs or a listener ARN")
    if arn_list:
        docs = [get_rule(txn, a)[1] for a in arn_list]
    else:
        k, listener = get_listener(txn, str(listener_arn))
        account, region = k.split("/")[:2]
        docs = [d for _, d in txn.scan(RULES, f"{account}/{region}/{listener['id']}/")]
    docs.sort(key=_order)
    page, marker = paging.page_items(docs, lambda d: d["RuleArn"], listing="elbv2.rules", token=p.get("Marker"),
                                     limit=p.get("PageSize"), default_limit=400, max_limit=400, ordered=False,
                                     filters={"a": arn_list, "l": listener_arn}, error=lambda: validation("Invalid marker"))
    return [public_rule(d) for d in page], marker


def _lb_of_rule(txn: Txn, k: str, rule: Doc) -> tuple[str, Doc]:
    account, region = k.split("/")[:2]
    lb_key = f"{account}/{region}/{rule['lb_id']}"
    lb = txn.get(balancers.LBS, lb_key)
    assert lb is not None
    return lb_key, lb


def modify_rule(txn: Txn, p: Doc) -> Doc:
    k, rule = get_rule(txn, p["RuleArn"])
    lb_key, lb = _lb_of_rule(txn, k, rule)
    if p.get("Conditions"):
        if rule.get("IsDefault"):
            raise AwsError.modeled("elbv2", "OperationNotPermitted", "Conditions cannot be specified for a default rule")
        rule["Conditions"] = actions.check_conditions(p["Conditions"])
    if p.get("Actions"):
        given = auth_rules.keep_secrets(p["Actions"], rule["Actions"])
        rule["Actions"] = actions.check_actions(given, lb["Type"], _group_lookup(txn, lb["LoadBalancerArn"]))
        account, region, lid = k.split("/")[:3]
        lk = f"{lb_key}/{lid}"
        listener = txn.get(LISTENERS, lk)
        if listener is not None:
            auth_rules.check_listener(listener["Protocol"], rule["Actions"])
        if rule.get("IsDefault"):
            if listener is not None:
                listener["DefaultActions"] = rule["Actions"]
                txn.put(LISTENERS, lk, listener)
    txn.put(RULES, k, rule)
    txn.publish(TOPIC, {"lb": lb_key})
    return rule


def delete_rule(txn: Txn, arn: str) -> None:
    k, rule = get_rule(txn, arn)
    if rule.get("IsDefault"):
        raise AwsError.modeled("elbv2", "OperationNotPermitted", f"Default rule '{arn}' cannot be deleted")
    lb_key, _ = _lb_of_rule(txn, k, rule)
    txn.delete(RULES, k)
    txn.publish(TOPIC, {"lb": lb_key})


def set_priorities(txn: Txn, items: list[Doc]) -> list[Doc]:
    """SetRulePriorities: every rule of one listener, applied together (a swap is allowed)."""
    if not items:
        raise validation("At least one rule priority must be specified")
    changes: dict[str, tuple[Doc, int]] = {}
    prefix = None
    for item in items:
        k, rule = get_rule(txn, item["RuleArn"])
        if rule.get("IsDefault"):
            raise AwsError.modeled("elbv2", "OperationNotPermitted", "The default rule's priority cannot be changed")
        here = k.rsplit("/", 1)[0]
        if prefix is not None and here != prefix:
            raise validation("All rules must belong to the same listener")
        prefix = here
        changes[k] = (rule, _priority(item["Priority"]))
    assert prefix is not None
    taken: dict[str, str] = {}
    for k, rule in txn.scan(RULES, prefix + "/"):
        if rule.get("IsDefault"):
            continue
        priority = str(changes[k][1]) if k in changes else rule["Priority"]
        if priority in taken:
            raise AwsError.modeled("elbv2", "PriorityInUse", f"Priority '{priority}' is currently in use")
        taken[priority] = k
    out = []
    lb_key = ""
    for k, (rule, priority) in changes.items():
        rule["Priority"] = str(priority)
        txn.put(RULES, k, rule)
        lb_key = _lb_of_rule(txn, k, rule)[0]
        out.append(public_rule(rule))
    txn.publish(TOPIC, {"lb": lb_key})
    return out
