"""S3 static website configuration: Put/Get/DeleteBucketWebsite, held to AWS's rules, and the
decision of what a website endpoint answers for a key (`route`, sans-IO: website_http.py
reads objects and writes the HTTP answer).

State: the bucket document's `website` (the WebsiteConfiguration as given) or None.

Answering a GET (AWS's "Configuring a static website" and "redirection rules"):
- RedirectAllRequestsTo: every request is a 301 to that host (and protocol), path kept;
- a key that is empty or ends in "/" gets the IndexDocument suffix;
- routing rules are tried in order: one with only a KeyPrefixEquals condition (or none)
  redirects before the object is read; one with HttpErrorCodeReturnedEquals redirects when
  reading the object gave that error;
- a missing key whose "<key>/<suffix>" exists is a 302 to "/<key>/";
- an object with a WebsiteRedirectLocation is a 301 to it;
- otherwise a 404 or 403 serves the ErrorDocument object (with that status) when there is
  one, else an HTML error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model

MAX_ROUTING_RULES = 50


def _invalid(message: str, name: str = "", value: str = "") -> AwsError:
    return AwsError.modeled("s3", "InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


def check(config: dict[str, Any]) -> dict[str, Any]:
    """A WebsiteConfiguration held to S3's rules; returns what is stored."""
    redirect_all = config.get("RedirectAllRequestsTo")
    if redirect_all is not None:
        if any(config.get(k) for k in ("IndexDocument", "ErrorDocument", "RoutingRules")):
            raise _invalid("RedirectAllRequestsTo cannot be provided in conjunction with other Routing/Redirection "
                           "configurations.", "RedirectAllRequestsTo")
        return {"RedirectAllRequestsTo": dict(redirect_all)}
    index = config.get("IndexDocument")
    if not index or not index.get("Suffix"):
        raise _invalid("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
                       "IndexDocument")
    if "/" in index["Suffix"]:
        raise _invalid("The IndexDocument Suffix is not well formed", "IndexDocument", index["Suffix"])
    rules = config.get("RoutingRules") or []
    if len(rules) > MAX_ROUTING_RULES:
        raise _invalid(f"The number of routing rules must not exceed the allowed limit of {MAX_ROUTING_RULES}.",
                       "RoutingRules")
    for rule in rules:
        redirect = rule.get("Redirect") or {}
        if not any(redirect.get(k) for k in ("HostName", "HttpRedirectCode", "Protocol", "ReplaceKeyPrefixWith",
                                             "ReplaceKeyWith")):
            raise _invalid("Invalid Redirect: at least one of HostName, HttpRedirectCode, Protocol, "
                           "ReplaceKeyPrefixWith or ReplaceKeyWith must be specified", "Redirect")
        if redirect.get("ReplaceKeyPrefixWith") is not None and redirect.get("ReplaceKeyWith") is not None:
            raise _invalid("You can only define ReplaceKeyPrefix or ReplaceKey but not both.", "Redirect")
        code = redirect.get("HttpRedirectCode")
        if code is not None and (not code.isdigit() or not 301 <= int(code) <= 399):
            raise _invalid("The provided HTTP redirect code (" + code + ") is not valid. Valid codes are 3XX "
                           "except 300.", "HttpRedirectCode", code)
        cond = rule.get("Condition")
        if cond is not None and not (cond.get("KeyPrefixEquals") is not None or cond.get("HttpErrorCodeReturnedEquals")):
            raise _invalid("Condition cannot be empty. To redirect all requests without a condition, the condition "
                           "element shouldn't be present.", "Condition")
    out: dict[str, Any] = {"IndexDocument": dict(index)}
    if config.get("ErrorDocument"):
        out["ErrorDocument"] = dict(config["ErrorDocument"])
    if rules:
        out["RoutingRules"] = [dict(r) for r in rules]
    return out


@operation("s3", "PutBucketWebsite")
async def put_bucket_website(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    config = check(params.get("WebsiteConfiguration") or {})
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id, website=config))
    return {}


@operation("s3", "GetBucketWebsite")
async def get_bucket_website(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    if not b.get("website"):
        raise AwsError.modeled("s3", "NoSuchWebsiteConfiguration",
                               "The specified bucket does not have a website configuration", BucketName=b["name"])
    return dict(b["website"])


@operation("s3", "DeleteBucketWebsite")
async def delete_bucket_website(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id, website=None))
    return {}


# -- what an endpoint answers (sans-IO) --------------------------------------------------------

@dataclass(frozen=True)
class Redirect:
    status: int
    location: str


def redirect_all(config: dict[str, Any], scheme: str, path_and_query: str) -> Redirect | None:
    target = config.get("RedirectAllRequestsTo")
    if not target:
        return None
    return Redirect(301, f"{target.get('Protocol') or scheme}://{target['HostName']}{path_and_query}")


def object_key(config: dict[str, Any], path: str) -> str:
    """The key a request path names: the index document for "/" and ".../"."""
    key = path.lstrip("/")
    if key == "" or key.endswith("/"):
        key += config["IndexDocument"]["Suffix"]
    return key


def _location(redirect: dict[str, Any], key: str, prefix: str, scheme: str, host: str) -> str:
    if redirect.get("ReplaceKeyWith") is not None:
        new_key = redirect["ReplaceKeyWith"]
    elif redirect.get("ReplaceKeyPrefixWith") is not None:
        new_key = redirect["ReplaceKeyPrefixWith"] + key[len(prefix):]
    else:
        new_key = key
    return f"{redirect.get('Protocol') or scheme}://{redirect.get('HostName') or host}/{new_key}"


def routing_redirect(config: dict[str, Any], key: str, error_code: int | None, scheme: str,
                     host: str) -> Redirect | None:
    """The first routing rule that applies to `key` — before reading it (`error_code` None)
    or after reading it failed with `error_code`."""
    for rule in config.get("RoutingRules") or []:
        cond = rule.get("Condition") or {}
        prefix = cond.get("KeyPrefixEquals") or ""
        wants_error = cond.get("HttpErrorCodeReturnedEquals")
        if not key.startswith(prefix):
            continue
        if (wants_error is None) != (error_code is None):
            continue
        if wants_error is not None and str(error_code) != str(wants_error):
            continue
        redirect = rule["Redirect"]
        return Redirect(int(redirect.get("HttpRedirectCode") or 301), _location(redirect, key, prefix, scheme, host))
    return None
