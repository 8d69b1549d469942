"""API Gateway REST's port for apigatewayv2: the one store of custom domain names and their
mappings (domains.py's tables `apigw_domains` and `apigw_base_paths`), shared as AWS shares
the namespace between v1 and v2: a domain name created through either API is the same
record, and v2's API mappings are base path mappings with an `apiMappingId` (a mapping made
through v1 gets a stable id derived from its domain and base path). Functions run in the
caller's store transaction and raise API Gateway's own errors (same codes and statuses in
both models); `mappings_for_host` reads the REST data plane's cached routing table.

The mapping documents stay v1's shape: {"basePath" ("(none)" for the empty key),
"restApiId" (any API id: REST, or an HTTP API's when made through v2), "stage",
"apiMappingId"}."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from gureum.services.apigateway import domains, truststore
from gureum.services.apigateway.apis import STAGES, owner, scope
from gureum.services.apigateway.errors import conflict, not_found

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.aws.internal_call import Caller
    from gureum.store import Txn

Doc = dict[str, Any]
NONE = domains.NONE
BASE_PATH = domains._BASE_PATH
HOSTED_ZONES = domains.HOSTED_ZONES
TOPIC = domains.TOPIC
Truststore = truststore.Truststore
load_truststore = truststore.load  # mutual TLS: the truststore a domain name names, checked (AWS's errors)


def create_domain(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    """CreateDomainName with v1's parameters (v1's rules and errors); the stored record."""
    domains.create_domain(txn, account, region, p)
    return domain(txn, account, region, str(p["domainName"]))


def domain(txn: Txn, account: str, region: str, name: str) -> Doc:
    """The stored record of domain name `name` of this account and Region (NotFoundException)."""
    return dict(domains.domain(txn, account, region, name))


def list_domains(txn: Txn, account: str, region: str) -> list[Doc]:
    return [dict(d) for _, d in txn.scan(domains.DOMAINS) if d["account"] == account and d["region"] == region]


def replace_domain(txn: Txn, account: str, region: str, name: str, changes: Doc) -> Doc:
    """Set `changes` (v1 field names; a None value removes the field) on the record."""
    doc = domain(txn, account, region, name)
    for k, v in changes.items():
        if v is None:
            doc.pop(k, None)
        else:
            doc[k] = v
    txn.put(domains.DOMAINS, doc["domainName"], doc)
    domains._record_certs(txn, doc, doc["domainNameArn"])  # ACM's InUseBy follows a v2 update too
    txn.publish(TOPIC, {})
    return doc


def delete_domain(txn: Txn, account: str, region: str, name: str) -> None:
    domains.delete_domain(txn, account, region, name)


def mapping_id(domain_name: str, mapping: Doc) -> str:
    """A mapping's ApiMappingId: the one it was made with, else one derived from its key."""
    given = mapping.get("apiMappingId")
    if given:
        return str(given)
    return hashlib.sha256(f"{domain_name}/{mapping['basePath']}".encode()).hexdigest()[:6]


def mappings(txn: Txn, account: str, region: str, name: str) -> list[Doc]:
    """Every mapping of the domain name, each with its "apiMappingId"."""
    doc = domain(txn, account, region, name)
    out = []
    for _, m in txn.scan(domains.BASE_PATHS, doc["domainName"] + "/"):
        out.append({**m, "apiMappingId": mapping_id(doc["domainName"], m)})
    return out


def mapping(txn: Txn, account: str, region: str, name: str, mid: str) -> Doc:
    for m in mappings(txn, account, region, name):
        if m["apiMappingId"] == mid:
            return m
    raise not_found("Invalid API mapping identifier specified")


def put_mapping(txn: Txn, account: str, region: str, name: str, new: Doc, replacing: Doc | None = None) -> Doc:
    """Store mapping `new` (its basePath unique on the domain: ConflictException), replacing
    `replacing` (an existing mapping) when given."""
    doc = domain(txn, account, region, name)
    key = f"{doc['domainName']}/{new['basePath']}"
    existing = txn.get(domains.BASE_PATHS, key)
    if existing is not None and (replacing is None or replacing["basePath"] != new["basePath"]):
        raise conflict("ApiMapping key already exists for this domain name")
    if replacing is not None:
        txn.delete(domains.BASE_PATHS, f"{doc['domainName']}/{replacing['basePath']}")
    stored = {k: v for k, v in new.items() if v is not None}
    txn.put(domains.BASE_PATHS, key, stored)
    txn.publish(TOPIC, {})
    return stored


def delete_mapping(txn: Txn, account: str, region: str, name: str, mid: str) -> None:
    found = mapping(txn, account, region, name, mid)
    txn.delete(domains.BASE_PATHS, f"{str(name).lower()}/{found['basePath']}")
    txn.publish(TOPIC, {})


def rest_stage(txn: Txn, account: str, region: str, api_id: str, stage: str) -> bool | None:
    """Whether REST API `api_id` of this account and Region has stage `stage`; None when
    `api_id` is no REST API of theirs."""
    if owner(txn, api_id) != (account, region):
        return None
    return txn.get(STAGES, f"{scope(account, region, api_id)}/{stage}") is not None


async def mappings_for_host(app: App, host: str) -> list[Doc] | None:
    """The mappings of custom domain `host` (lower case, no port), None when it is no domain
    name: the REST data plane's cached table (directory.py), so a request reads no store."""
    from gureum.services.apigateway.directory import Directory
    from gureum.services.apigateway.slots import DIRECTORY

    directory = app.parts.lazy(DIRECTORY, lambda: Directory(app))
    return await directory.domain(host)


def select(mappings: list[Doc], raw_path: str) -> tuple[Doc, list[str]] | None:
    """The mapping a request path takes (the longest base path whose segments prefix the
    path's; "(none)" catches the rest) and the path segments left after it; None when none."""
    segments = [s for s in raw_path.split("/") if s]
    best: tuple[Doc, int] | None = None
    for m in mappings:
        base = [] if m["basePath"] == NONE else m["basePath"].split("/")
        if segments[:len(base)] == base and (best is None or len(base) > best[1]):
            best = (m, len(base))
    if best is None:
        return None
    return best[0], segments[best[1]:]


def client_cert() -> Doc | None:
    """The client certificate of the request being served, when it came through the custom
    domains' HTTPS listener with one (mutual TLS: https_domains.py), else None."""
    from gureum.services.apigateway.https_domains import PEER

    peer = PEER.get()
    return None if peer is None else peer.client_cert


async def role_caller(app: App, account: str, region: str, role_arn: str) -> Caller | None:
    """An AWS service integration's role as an internal caller (gureum/aws/internal_call.py's
    Caller: its assumed session), None when API Gateway cannot assume it (service_auth.py)."""
    from gureum.services.apigateway import service_auth

    return await service_auth.caller(app, account, region, role_arn)


class TemplateError(Exception):
    """A mapping template that cannot be parsed or rendered (API Gateway answers 500)."""


def render_template(template: str, *, body: str, context: dict[str, Any], stage_variables: dict[str, str],
                    extra: dict[str, Any] | None = None) -> str:
    """A Velocity mapping template rendered with API Gateway's `$input`, `$util`, `$context`
    and `$stageVariables` (vtl.py; WebSocket APIs' templates, apigatewayv2/ws_integrations.py)."""
    from gureum.services.apigateway import vtl

    try:
        return vtl.render(template, body=body, params={}, context=context, stage_variables=stage_variables, extra=extra)
    except vtl.TemplateError as e:
        raise TemplateError(str(e)) from None


async def run_service_action(app: App, caller: Caller, service: str, action: str, payload: str) -> tuple[int, bytes]:
    """(status, JSON body) of an AWS service integration's `action` of a JSON-protocol service
    (`arn:aws:apigateway:<region>:dynamodb:action/<Operation>`) run for `caller` with the
    rendered template as its request, as REST API Gateway answers it (service_actions.py)."""
    from gureum.services.apigateway import service_actions

    return await service_actions.run(app, caller, service, action, payload)


def json_action_services() -> frozenset[str]:
    """The services whose actions run_service_action serves."""
    from gureum.services.apigateway import service_actions

    return frozenset(service_actions.JSON_SERVICES)
