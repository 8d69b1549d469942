"""Preparing a stack operation (no I/O but the template's S3 read and the SSM reads of the
parameters): the template from TemplateBody or TemplateURL (gureum's S3), its checks, the
IAM capabilities it needs, its parameters resolved; and the shapes DescribeStacks,
ValidateTemplate and GetTemplateSummary answer with."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from gureum.aws.errors import AwsError
from gureum.services.cloudformation import checks, engine, macros, model, parameters, transforms
from gureum.services.cloudformation.intrinsics import Scope, evaluate_conditions
from gureum.services.cloudformation.template import MAX_BODY, MAX_URL_BODY, TemplateError, parse

if TYPE_CHECKING:
    from gureum.app import App

Doc = dict[str, Any]
IAM_NAMES = {"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName",
             "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::IAM::InstanceProfile": "InstanceProfileName"}
STACK_FIELDS = ("StackId", "StackName", "Description", "Parameters", "CreationTime", "DeletionTime", "LastUpdatedTime",
                "StackStatus", "StackStatusReason", "DisableRollback", "NotificationARNs", "TimeoutInMinutes",
                "Capabilities", "Outputs", "RoleARN", "Tags", "EnableTerminationProtection", "ParentId", "RootId")


def validation(message: str) -> AwsError:
    return model.validation(message)


@dataclass(frozen=True)
class Template:
    body: str  # what the stack runs: the processed template (JSON) when it declares transforms
    doc: Doc
    original: str  # as submitted
    transforms: tuple[str, ...] = ()
    failed: str = ""  # load(keep_failure=True): the macro's failure (`doc` then holds the Parameters only)


async def load(app: App, account: str, region: str, params: dict[str, Any], *, required: bool = True,
               keep_failure: bool = False, auto_expand: bool = True) -> Template | None:
    """The template a request names (TemplateBody or TemplateURL), its transforms applied,
    parsed and checked. A macro's failure is a ValidationError, or with `keep_failure` (a
    change set, which AWS creates FAILED) a Template carrying it. Without `auto_expand`
    (CreateStack or UpdateStack not given CAPABILITY_AUTO_EXPAND) a macro is refused before
    it runs."""
    body = params.get("TemplateBody")
    url = params.get("TemplateURL")
    if body is not None and url is not None:
        raise validation("Specify exactly one of TemplateBody or TemplateUrl.")
    if body is None and url is None:
        if required:
            raise validation("Either Template URL or Template Body must be specified.")
        return None
    if url is not None:
        body = await _fetch(app, account, str(url))
    elif len(str(body).encode()) > MAX_BODY:
        raise validation(f"1 validation error detected: Value '{str(body)[:20]}...' at 'templateBody' failed to "
                         f"satisfy constraint: Member must have length less than or equal to {MAX_BODY}")
    original = str(body)
    try:
        doc = parse(original)
        names = tuple(transforms.declared(doc))
        processed = original
        if names or transforms.has_snippets(doc):
            given = {str(p["ParameterKey"]): p.get("ParameterValue") for p in params.get("Parameters") or ()
                     if p.get("ParameterValue") is not None}

            async def fetch(location: str) -> str:
                return await _fetch(app, account, _s3_url(location))

            defaults = {k: v.get("Default") for k, v in (doc.get("Parameters") or {}).items()
                        if isinstance(v, dict) and "Default" in v}

            async def macro(name: str, fragment: Any, given_params: dict[str, Any]) -> Any:
                if not auto_expand:
                    raise AwsError.modeled("cloudformation", "InsufficientCapabilitiesException",
                                           "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
                return await macros.invoke(app, account, region, name, fragment, given_params, {**defaults, **given})

            policies = await _managed_policies(app, account, region) if transforms.SAM in names else {}
            doc = await transforms.apply(doc, fetch, given, region, lambda: policies, macro)
            processed = json.dumps(doc, indent=2)
        checks.structure(doc, engine.known_type)
        parameters.check_types(doc.get("Parameters") or {})
    except macros.MacroFailed as e:
        if not keep_failure:
            raise validation(str(e)) from None
        return Template(original, {"Parameters": doc.get("Parameters") or {}}, original, names, str(e))
    except TemplateError as e:
        raise validation(str(e)) from None
    return Template(processed, doc, original, names)


def _s3_url(location: str) -> str:
    if location.startswith("s3://"):
        bucket, _, key = location[5:].partition("/")
        return f"https://{bucket}.s3.amazonaws.com/{key}"
    return location


async def _managed_policies(app: App, account: str, region: str) -> dict[str, str]:
    """AWS managed policy names -> ARNs, as SAM's Policies property names them."""
    from gureum.aws import arn as arns
    from gureum.aws.internal_call import Caller, call

    caller = Caller(account, region, arns.iam_root(account))
    out: dict[str, str] = {}
    marker: str | None = None
    while True:
        page = await call(app, caller, "iam", "ListPolicies",
                          {"Scope": "AWS", "MaxItems": 1000, **({"Marker": marker} if marker else {})})
        for p in page.get("Policies") or ():
            out[str(p["PolicyName"])] = str(p["Arn"])
        marker = page.get("Marker")
        if not page.get("IsTruncated") or not marker:
            return out


def _bucket_key(url: str) -> tuple[str, str]:
    u = urlparse(url)
    host = (u.hostname or "").lower()
    path = unquote(u.path).lstrip("/")
    if ".s3" in host and not host.startswith("s3"):
        return host.split(".s3", 1)[0], path
    bucket, _, key = path.partition("/")
    return bucket, key


async def _fetch(app: App, account: str, url: str) -> str:
    from gureum.services.s3 import port as s3

    if not url.startswith(("http://", "https://")):
        raise validation("TemplateURL must be a supported URL.")
    bucket, key = _bucket_key(url)
    if not bucket or not key:
        raise validation("TemplateURL must be a supported URL.")
    try:
        obj = await s3.get(app, account, bucket, key)
    except AwsError as e:
        raise validation(f"S3 error: {e.message}") from None
    if obj.size > MAX_URL_BODY:
        raise validation(f"Template may not exceed {MAX_URL_BODY} bytes in size.")
    try:
        return (await obj.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise validation("Template format error: unsupported structure.") from None


def capabilities(doc: Doc) -> tuple[list[str], str]:
    """The capabilities the template needs, and AWS's reason text."""
    iam, named = [], []
    for name, r in (doc.get("Resources") or {}).items():
        t = str(r.get("Type", ""))
        if t.startswith("AWS::IAM::"):
            iam.append(name)
            if IAM_NAMES.get(t) in (r.get("Properties") or {}):
                named.append(name)
    if named:
        return ["CAPABILITY_NAMED_IAM"], f"The following resource(s) require capabilities: [{', '.join(sorted({doc['Resources'][n]['Type'] for n in named}))}]"
    if iam:
        return ["CAPABILITY_IAM"], f"The following resource(s) require capabilities: [{', '.join(sorted({doc['Resources'][n]['Type'] for n in iam}))}]"
    return [], ""


def require_capabilities(doc: Doc, given: list[str]) -> None:
    needed, _ = capabilities(doc)
    if needed == ["CAPABILITY_NAMED_IAM"] and "CAPABILITY_NAMED_IAM" not in given:
        raise AwsError.modeled("cloudformation", "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_NAMED_IAM]")
    if needed == ["CAPABILITY_IAM"] and not ({"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(given)):
        raise AwsError.modeled("cloudformation", "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")


async def resolve_parameters(app: App, account: str, region: str, doc: Doc, given: list[Doc],
                             previous: dict[str, str]) -> parameters.Resolved:
    from gureum.services.ssm import port as ssm

    declared = doc.get("Parameters") or {}

    def txn(t: Any) -> parameters.Resolved:
        def read(name: str) -> str:
            try:
                return ssm.parameter_value(t, account, region, name)
            except AwsError:
                raise LookupError(name) from None
        return parameters.resolve(declared, given, previous, read)

    try:
        resolved: parameters.Resolved = await app.store.read(txn)
        pseudo = {"AWS::AccountId": account, "AWS::Region": region, "AWS::Partition": "aws",
                  "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "", "AWS::StackId": "", "AWS::NotificationARNs": []}
        scope = Scope(params={**pseudo, **resolved.values}, mappings=doc.get("Mappings") or {}, region=region)
        checks.unserved(doc, evaluate_conditions(doc.get("Conditions") or {}, scope), engine.known_type)
        return resolved
    except (parameters.ParameterError, TemplateError) as e:
        raise validation(str(e)) from None


def shown(doc: Doc) -> Doc:
    """A stack as DescribeStacks shows it."""
    out = {k: doc[k] for k in STACK_FIELDS if k in doc and doc[k] is not None}
    out["DriftInformation"] = doc.get("DriftInformation") or {"StackDriftStatus": "NOT_CHECKED"}
    if not out.get("Outputs"):
        out.pop("Outputs", None)
    return out


def summary_parameters(doc: Doc) -> list[Doc]:
    """GetTemplateSummary's ParameterDeclarations."""
    out = []
    for name, p in (doc.get("Parameters") or {}).items():
        d: Doc = {"ParameterKey": name, "ParameterType": str(p.get("Type")),
                  "NoEcho": str(p.get("NoEcho", "false")).lower() == "true"}
        if "Default" in p:
            d["DefaultValue"] = parameters._default_text(p["Default"])
        if p.get("Description"):
            d["Description"] = str(p["Description"])
        if isinstance(p.get("AllowedValues"), list):
            d["ParameterConstraints"] = {"AllowedValues": [parameters._default_text(a) for a in p["AllowedValues"]]}
        out.append(d)
    return out


def template_summary(doc: Doc) -> Doc:
    caps, reason = capabilities(doc)
    out: Doc = {"Parameters": summary_parameters(doc), "Version": str(doc.get("AWSTemplateFormatVersion", "2010-09-09")),
                "ResourceTypes": sorted({str(r.get("Type")) for r in (doc.get("Resources") or {}).values()}),
                "DeclaredTransforms": [],  # set by the caller from the submitted template
                "ResourceIdentifierSummaries": []}
    if doc.get("Description"):
        out["Description"] = str(doc["Description"])
    if caps:
        out["Capabilities"], out["CapabilitiesReason"] = caps, reason
    if doc.get("Metadata") is not None:
        out["Metadata"] = json.dumps(doc["Metadata"])
    return out
