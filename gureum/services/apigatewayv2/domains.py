"""API Gateway v2's custom domain names and API mappings, with AWS's rules and errors, kept
in REST API Gateway's one store of domain names (gureum/services/apigateway/port.py): AWS
shares the namespace between v1 and v2, so a domain name made through either API is one
record, seen by both, and v2's API mappings are that store's base path mappings (an
`apiMappingId` added). This module translates between v2's shapes (DomainNameConfigurations,
ApiMappingKey) and the stored v1 fields (regionalDomainName, regionalCertificateArn,
basePath "(none)" for the empty key) and checks what only v2 knows: its HTTP APIs and stages.

An API mapping names an HTTP API (this package's) or a REST API (apigateway's) of the
domain's account and Region, and an existing stage of it; its key is unique on the domain
(ConflictException "ApiMapping key already exists for this domain name"); a key of several
levels ("orders/v1") needs the TLS_1_2 security policy (AWS's rule for multi-level mappings).
"""

from __future__ import annotations

from typing import Any

from gureum.aws import paging
from gureum.services.apigateway import port as domain_store
from gureum.services.apigatewayv2 import model
from gureum.services.apigatewayv2.model import bad_request, not_found
from gureum.store import Txn

Doc = dict[str, Any]
SELECTION = "$request.basepath"
POLICIES = ("TLS_1_0", "TLS_1_2")


def view(doc: Doc) -> Doc:
    """A stored domain name as v2's DomainName output."""
    kind = ((doc.get("endpointConfiguration") or {}).get("types") or ["REGIONAL"])[0]
    regional = kind == "REGIONAL"
    conf: Doc = {
        "ApiGatewayDomainName": doc.get("regionalDomainName" if regional else "distributionDomainName"),
        "CertificateArn": doc.get("regionalCertificateArn" if regional else "certificateArn"),
        "CertificateName": doc.get("regionalCertificateName" if regional else "certificateName"),
        "DomainNameStatus": doc.get("domainNameStatus", "AVAILABLE"),
        "DomainNameStatusMessage": doc.get("domainNameStatusMessage"),
        "EndpointType": kind,
        "HostedZoneId": doc.get("regionalHostedZoneId" if regional else "distributionHostedZoneId"),
        "SecurityPolicy": doc.get("securityPolicy", "TLS_1_2"),
        "IpAddressType": (doc.get("endpointConfiguration") or {}).get("ipAddressType", "ipv4"),
    }
    out: Doc = {"ApiMappingSelectionExpression": SELECTION, "DomainName": doc["domainName"],
                "DomainNameArn": doc.get("domainNameArn"),
                "DomainNameConfigurations": [{k: v for k, v in conf.items() if v is not None}],
                "RoutingMode": doc.get("routingMode", "API_MAPPING_ONLY"), "Tags": dict(doc.get("tags") or {})}
    mtls = doc.get("mutualTlsAuthentication")
    if mtls:
        out["MutualTlsAuthentication"] = {k: v for k, v in {
            "TruststoreUri": mtls.get("truststoreUri"), "TruststoreVersion": mtls.get("truststoreVersion"),
            "TruststoreWarnings": mtls.get("truststoreWarnings")}.items() if v is not None}
    return out


def _configuration(p: Doc) -> Doc:
    confs = list(p.get("DomainNameConfigurations") or [])
    if len(confs) > 1:
        raise bad_request("Only one DomainNameConfiguration is supported")
    conf: Doc = confs[0] if confs else {}
    kind = conf.get("EndpointType") or "REGIONAL"
    if kind != "REGIONAL":
        raise bad_request(f"Invalid endpoint type {kind}: only REGIONAL domain names are supported for "
                          "HTTP and WebSocket APIs")
    policy = conf.get("SecurityPolicy") or "TLS_1_2"
    if policy not in POLICIES:
        raise bad_request(f"Invalid security policy {policy}")
    return {"EndpointType": kind, "SecurityPolicy": policy, "CertificateArn": conf.get("CertificateArn"),
            "CertificateName": conf.get("CertificateName")}


def _mutual_tls(store: domain_store.Truststore | None) -> Doc:
    """The record's fields for mutual TLS with `store` (None: off)."""
    if store is None:
        return {"mutualTlsAuthentication": None, "_truststorePem": None}
    mtls: Doc = {"truststoreUri": store.uri, "truststoreWarnings": store.warnings}
    if store.version:
        mtls["truststoreVersion"] = store.version
    return {"mutualTlsAuthentication": mtls, "_truststorePem": store.pem}


def create_domain(txn: Txn, account: str, region: str, p: Doc, store: domain_store.Truststore | None = None) -> Doc:
    """CreateDomainName; `store`: the truststore MutualTlsAuthentication names, already read."""
    conf = _configuration(p)
    v1 = {"domainName": p["DomainName"], "endpointConfiguration": {"types": [conf["EndpointType"]]},
          "regionalCertificateArn": conf["CertificateArn"], "regionalCertificateName": conf["CertificateName"],
          "securityPolicy": conf["SecurityPolicy"], "tags": p.get("Tags") or {}}
    doc = domain_store.create_domain(txn, account, region, v1)
    if store is not None:
        doc = domain_store.replace_domain(txn, account, region, doc["domainName"], _mutual_tls(store))
    return view(doc)


def get_domain(txn: Txn, account: str, region: str, name: str) -> Doc:
    return view(domain_store.domain(txn, account, region, name))


def list_domains(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    docs = domain_store.list_domains(txn, account, region)
    page, nxt = paging.page_items(docs, lambda d: str(d["domainName"]), listing=f"apigwv2.domains/{account}/{region}",
                                  token=p.get("NextToken"), limit=model._limit(p), default_limit=100, max_limit=500,
                                  error=lambda: bad_request("Invalid NextToken"))
    return [view(d) for d in page], nxt


def update_domain(txn: Txn, account: str, region: str, p: Doc, store: domain_store.Truststore | None = None) -> Doc:
    """UpdateDomainName; `store`: the truststore a MutualTlsAuthentication with a
    TruststoreUri names, already read (one without turns mutual TLS off)."""
    current = domain_store.domain(txn, account, region, p["DomainName"])
    changes: Doc = {}
    if p.get("DomainNameConfigurations"):
        conf = _configuration(p)
        if conf["CertificateArn"]:
            changes["regionalCertificateArn"] = conf["CertificateArn"]
        if conf["CertificateName"]:
            changes["regionalCertificateName"] = conf["CertificateName"]
        changes["securityPolicy"] = conf["SecurityPolicy"]
        if conf["SecurityPolicy"] != "TLS_1_2" and any(
                "/" in m["basePath"] for m in domain_store.mappings(txn, account, region, current["domainName"])):
            raise bad_request("Multi-level base path mappings are only supported with the TLS_1_2 security policy")
    if "MutualTlsAuthentication" in p:
        changes.update(_mutual_tls(store))
    return view(domain_store.replace_domain(txn, account, region, current["domainName"], changes))


def delete_domain(txn: Txn, account: str, region: str, name: str) -> None:
    domain_store.delete_domain(txn, account, region, name)


# --- API mappings ------------------------------------------------------------------------

def mapping_view(m: Doc) -> Doc:
    return {"ApiId": m["restApiId"], "ApiMappingId": m["apiMappingId"],
            "ApiMappingKey": "" if m["basePath"] == domain_store.NONE else m["basePath"], "Stage": m.get("stage")}


def _key(raw: str | None, policy: str) -> str:
    key = (raw or "").strip("/")
    if not key:
        return domain_store.NONE
    if not domain_store.BASE_PATH.fullmatch(key):
        raise bad_request(f"Invalid API mapping key specified: {raw}. An API mapping key may contain only "
                          "alphanumeric characters and the following: $-_.+!*'() with / between levels")
    if "/" in key and policy != "TLS_1_2":
        raise bad_request("Multi-level base path mappings are only supported with the TLS_1_2 security policy")
    return key


def _check_target(txn: Txn, account: str, region: str, api_id: str, stage: str) -> None:
    """The API (HTTP or REST, of this account and Region) and its stage exist."""
    rest = domain_store.rest_stage(txn, account, region, api_id, stage)
    if rest is None:
        model.get_api(txn, account, region, api_id)  # NotFoundException for an unknown API
        if txn.get(model.ITEMS, model.item_prefix(account, region, api_id, "stages") + stage) is None:
            raise not_found(f"Invalid stage identifier specified {account}:{stage}")
    elif not rest:
        raise not_found(f"Invalid stage identifier specified {account}:{stage}")


def create_mapping(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    doc = domain_store.domain(txn, account, region, p["DomainName"])
    key = _key(p.get("ApiMappingKey"), doc.get("securityPolicy", "TLS_1_2"))
    _check_target(txn, account, region, p["ApiId"], p["Stage"])
    stored = domain_store.put_mapping(txn, account, region, doc["domainName"], {
        "basePath": key, "restApiId": p["ApiId"], "stage": p["Stage"], "apiMappingId": model.new_id(6)})
    return mapping_view(stored)


def get_mapping(txn: Txn, account: str, region: str, name: str, mid: str) -> Doc:
    return mapping_view(domain_store.mapping(txn, account, region, name, mid))


def list_mappings(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    items = domain_store.mappings(txn, account, region, p["DomainName"])
    page, nxt = paging.page_items(items, lambda m: str(m["basePath"]),
                                  listing=f"apigwv2.mappings/{account}/{region}/{str(p['DomainName']).lower()}",
                                  token=p.get("NextToken"), limit=model._limit(p), default_limit=100, max_limit=500,
                                  error=lambda: bad_request("Invalid NextToken"))
    return [mapping_view(m) for m in page], nxt


def update_mapping(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    doc = domain_store.domain(txn, account, region, p["DomainName"])
    current = domain_store.mapping(txn, account, region, doc["domainName"], p["ApiMappingId"])
    key = current["basePath"] if p.get("ApiMappingKey") is None else _key(p["ApiMappingKey"],
                                                                          doc.get("securityPolicy", "TLS_1_2"))
    api_id = p.get("ApiId") or current["restApiId"]
    stage = p.get("Stage") or current.get("stage") or ""
    _check_target(txn, account, region, api_id, stage)
    stored = domain_store.put_mapping(txn, account, region, doc["domainName"], {
        "basePath": key, "restApiId": api_id, "stage": stage, "apiMappingId": current["apiMappingId"]},
        replacing=current)
    return mapping_view(stored)


def delete_mapping(txn: Txn, account: str, region: str, name: str, mid: str) -> None:
    domain_store.delete_mapping(txn, account, region, name, mid)
