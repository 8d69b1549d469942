"""Custom domain names and their base path mappings (REST APIs).

Tables:
- apigw_domains: "{domain name}" -> DomainName {"domainName", "domainNameArn",
  "regionalDomainName", "regionalHostedZoneId", "distributionDomainName",
  "distributionHostedZoneId", "endpointConfiguration", "domainNameStatus", "securityPolicy",
  "certificateArn"/"regionalCertificateArn", "tags", "account", "region",
  "mutualTlsAuthentication", "_truststorePem" (the usable truststore certificates, truststore.py;
  never shown)}: a domain name is
  unique across accounts (the Host header alone finds it).
- apigw_base_paths: "{domain name}/{base path or (none)}" -> {"basePath", "restApiId",
  "stage"}.

Invariants: a base path is unique per domain name; a mapping names an existing REST API of
the domain's account (and an existing stage, when it names one); deleting a domain name
deletes its mappings; every write tells ACM which certificate the domain name holds
(acm/port.py set_uses: InUseBy). Writes publish "apigateway.domains" {} (the data plane reloads
its domain table).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.services.acm import port as acm
from gureum.services.apigateway import patch
from gureum.services.apigateway.apis import STAGES, TAG_RULES, TagPlace, get, scope
from gureum.services.apigateway.errors import bad_request, conflict, not_found
from gureum.services.apigateway.truststore import Truststore
from gureum.store import Txn

Doc = dict[str, Any]
DOMAINS = "apigw_domains"
BASE_PATHS = "apigw_base_paths"
TABLES = (DOMAINS, BASE_PATHS)
TOPIC = "apigateway.domains"
NONE = "(none)"
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9*]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_BASE_PATH = re.compile(r"[a-zA-Z0-9$_.+!*'()-]+(/[a-zA-Z0-9$_.+!*'()-]+)*")
# Route 53 hosted zone ids of API Gateway's regional endpoints (AWS's published ids) and CloudFront's.
HOSTED_ZONES = {"us-east-1": "Z1UJRXOUMOOFQ8", "us-east-2": "ZOJJZC49E0EPZ", "us-west-1": "Z2MUQ32089INYE",
                "us-west-2": "Z2OJLYMUO9EFXC", "eu-west-1": "ZLY8HYME6SFDD", "eu-central-1": "Z1U9ULNL0V5AJ3",
                "ap-northeast-1": "Z1YSHQZHG15GKL", "ap-northeast-2": "Z20JF4UZKIW1U8",
                "ap-northeast-3": "Z2YQB5RD63NC85", "ap-south-1": "Z3VO1THU9YC4UR", "ap-southeast-1": "ZL327KTPIQFUL",
                "ap-southeast-2": "Z2RPCDW04V8134", "ca-central-1": "Z19DQILCV0OWEC", "eu-west-2": "ZJ5UAJN8Y3Z2Q",
                "eu-west-3": "Z3KY65QIEKYHQQ", "sa-east-1": "ZCMLWB8V5SYIT"}
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


def _changed(txn: Txn) -> None:
    txn.publish(TOPIC, {})


def _view(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("account", "region") and not k.startswith("_")}


def domain(txn: Txn, account: str, region: str, name: str) -> Doc:
    doc = txn.get(DOMAINS, name.lower())
    if doc is None or doc["account"] != account or doc["region"] != region:
        raise not_found("Invalid domain name identifier specified")
    return doc


def _record_certs(txn: Txn, doc: Doc | None, arn: str) -> None:
    """Tell ACM which certificate the domain name uses now (none once deleted: doc None): its InUseBy."""
    acm.set_uses(txn, arn, [str(doc[f]) for f in ("certificateArn", "regionalCertificateArn") if doc and doc.get(f)])


def create_domain(txn: Txn, account: str, region: str, p: Doc, store: Truststore | None = None) -> Doc:
    """CreateDomainName; `store`: the truststore mutualTlsAuthentication names, already read."""
    name = str(p["domainName"]).lower()
    if not _DOMAIN.fullmatch(name):
        raise bad_request(f"Invalid domain name identifier specified: {p['domainName']}")
    kinds = list((p.get("endpointConfiguration") or {}).get("types") or ["EDGE"])
    if len(kinds) != 1 or kinds[0] not in ("EDGE", "REGIONAL", "PRIVATE"):
        raise bad_request("Invalid endpoint configuration: exactly one endpoint type must be specified")
    if kinds[0] == "REGIONAL" and not (p.get("regionalCertificateArn") or p.get("regionalCertificateName")):
        raise bad_request("A regional certificate must be provided for a REGIONAL domain name")
    if kinds[0] == "EDGE" and not (p.get("certificateArn") or p.get("certificateName") or p.get("certificateBody")):
        raise bad_request("A certificate must be provided for an EDGE domain name")
    if txn.get(DOMAINS, name) is not None:
        raise conflict("The domain name you provided already exists.")
    digest = hashlib.sha256(name.encode()).hexdigest()
    doc: Doc = {"domainName": name, "domainNameArn": arns.apigateway_resource(region, f"/domainnames/{name}"),
                "endpointConfiguration": {"types": kinds, "ipAddressType": "ipv4"}, "domainNameStatus": "AVAILABLE",
                "securityPolicy": p.get("securityPolicy") or "TLS_1_2",
                "tags": tags.check(dict(p.get("tags") or {}), TAG_RULES), "account": account, "region": region}
    if kinds[0] == "REGIONAL":
        doc["regionalDomainName"] = f"d-{digest[:10]}.execute-api.{region}.amazonaws.com"
        doc["regionalHostedZoneId"] = HOSTED_ZONES.get(region, HOSTED_ZONES["us-east-1"])
    else:
        doc["distributionDomainName"] = f"d{digest[:13]}.cloudfront.net"
        doc["distributionHostedZoneId"] = CLOUDFRONT_ZONE
    for field in ("certificateArn", "certificateName", "regionalCertificateArn", "regionalCertificateName"):
        if p.get(field):
            doc[field] = p[field]
    if store is not None:
        set_mutual_tls(doc, store)
    txn.put(DOMAINS, name, doc)
    _record_certs(txn, doc, doc["domainNameArn"])
    _changed(txn)
    return _view(doc)


def release_certificates(txn: Txn) -> None:
    """Every domain name's certificate released to ACM (API Gateway's reset, before its tables go)."""
    for _, doc in txn.scan(DOMAINS):
        _record_certs(txn, None, doc["domainNameArn"])


def list_domains(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, DOMAINS, "", token=p.get("position"), limit=p.get("limit"), default_limit=25,
                            max_limit=500, filters={"account": account, "region": region},
                            keep=lambda d: d["account"] == account and d["region"] == region,
                            error=lambda: bad_request("Invalid position parameter"))
    return [_view(d) for _, d in rows], nxt


def set_mutual_tls(doc: Doc, store: Truststore | None) -> None:
    """Mutual TLS of a domain record on with truststore `store`, or off (None)."""
    if store is None:
        doc.pop("mutualTlsAuthentication", None)
        doc.pop("_truststorePem", None)
        return
    doc["mutualTlsAuthentication"] = {"truststoreUri": store.uri, "truststoreWarnings": store.warnings,
                                      **({"truststoreVersion": store.version} if store.version else {})}
    doc["_truststorePem"] = store.pem


def update_domain(txn: Txn, account: str, region: str, name: str, operations: list[Doc] | None,
                  mutual_tls: tuple[bool, Truststore | None] = (False, None)) -> Doc:
    """UpdateDomainName; `mutual_tls`: (whether the operations changed it, the truststore they
    name, already read: None turns it off)."""
    doc = domain(txn, account, region, name)
    new = patch.apply(doc, operations, patch.Fields(scalars={"certificateArn": patch.as_str, "certificateName": patch.as_str,
                                                             "regionalCertificateArn": patch.as_str,
                                                             "regionalCertificateName": patch.as_str,
                                                             "securityPolicy": patch.as_str}))
    if mutual_tls[0]:
        set_mutual_tls(new, mutual_tls[1])
    txn.put(DOMAINS, doc["domainName"], new)
    _record_certs(txn, new, doc["domainNameArn"])
    _changed(txn)
    return _view(new)


def delete_domain(txn: Txn, account: str, region: str, name: str) -> None:
    doc = domain(txn, account, region, name)
    txn.delete(DOMAINS, doc["domainName"])
    txn.delete_prefix(BASE_PATHS, doc["domainName"] + "/")
    _record_certs(txn, None, doc["domainNameArn"])
    _changed(txn)


def _check_target(txn: Txn, account: str, region: str, api_id: str, stage: str | None) -> None:
    get(txn, account, region, api_id)
    if stage and txn.get(STAGES, f"{scope(account, region, api_id)}/{stage}") is None:
        raise bad_request("Invalid stage identifier specified")


def create_mapping(txn: Txn, account: str, region: str, name: str, p: Doc) -> Doc:
    doc = domain(txn, account, region, name)
    base = p.get("basePath") or NONE
    if base != NONE and not _BASE_PATH.fullmatch(base):
        raise bad_request("Base path must contain only alphanumeric characters and the following: $-_.+!*'()")
    _check_target(txn, account, region, p["restApiId"], p.get("stage"))
    key = f"{doc['domainName']}/{base}"
    if txn.get(BASE_PATHS, key) is not None:
        raise conflict("Base path already exists for this domain name")
    mapping: Doc = {"basePath": base, "restApiId": p["restApiId"], **({"stage": p["stage"]} if p.get("stage") else {})}
    txn.put(BASE_PATHS, key, mapping)
    _changed(txn)
    return mapping


def mapping(txn: Txn, account: str, region: str, name: str, base: str) -> Doc:
    doc = domain(txn, account, region, name)
    found = txn.get(BASE_PATHS, f"{doc['domainName']}/{base or NONE}")
    if found is None:
        raise not_found("Invalid base path mapping identifier specified")
    return found


def list_mappings(txn: Txn, account: str, region: str, name: str, p: Doc) -> tuple[list[Doc], str | None]:
    doc = domain(txn, account, region, name)
    rows, nxt = paging.page(txn, BASE_PATHS, doc["domainName"] + "/", token=p.get("position"), limit=p.get("limit"),
                            default_limit=25, max_limit=500, error=lambda: bad_request("Invalid position parameter"))
    return [d for _, d in rows], nxt


def update_mapping(txn: Txn, account: str, region: str, name: str, base: str, operations: list[Doc] | None) -> Doc:
    current = mapping(txn, account, region, name, base)
    new = patch.apply(current, operations, patch.Fields(scalars={"basePath": patch.as_str, "restApiId": patch.as_str,
                                                                 "stage": patch.as_str}))
    new["basePath"] = new.get("basePath") or NONE
    _check_target(txn, account, region, new["restApiId"], new.get("stage"))
    domain_name = str(name).lower()
    if new["basePath"] != current["basePath"]:
        if txn.get(BASE_PATHS, f"{domain_name}/{new['basePath']}") is not None:
            raise conflict("Base path already exists for this domain name")
        txn.delete(BASE_PATHS, f"{domain_name}/{current['basePath']}")
    txn.put(BASE_PATHS, f"{domain_name}/{new['basePath']}", new)
    _changed(txn)
    return new


def delete_mapping(txn: Txn, account: str, region: str, name: str, base: str) -> None:
    mapping(txn, account, region, name, base)
    txn.delete(BASE_PATHS, f"{str(name).lower()}/{base or NONE}")
    _changed(txn)


def routing_table(txn: Txn) -> dict[str, list[Doc]]:
    """Every domain name -> its mappings (the data plane's table)."""
    out: dict[str, list[Doc]] = {name: [] for name, _ in txn.scan(DOMAINS)}
    for key, m in txn.scan(BASE_PATHS):
        out.setdefault(key.split("/", 1)[0], []).append(m)
    return out


def tag_place(txn: Txn, account: str, resource_arn: str) -> TagPlace | None:
    """Where a custom domain name's tags live (its record's "tags": one record for v1 and v2),
    for `arn:aws:apigateway:<region>::/domainnames/<name>`; None for any other ARN."""
    a = arns.try_parse(resource_arn)
    parts = a.resource.strip("/").split("/") if a is not None and a.service == "apigateway" else []
    if a is None or len(parts) != 2 or parts[0] != "domainnames":
        return None
    missing = not_found(f"Invalid resource identifier specified {resource_arn}")
    found = txn.get(DOMAINS, parts[1])
    if found is None or found.get("account") != account or found.get("region") != a.region:
        raise missing
    return TagPlace(DOMAINS, parts[1], missing)
