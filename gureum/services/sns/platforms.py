"""SNS mobile push: platform applications (CreatePlatformApplication...) and their endpoints
(CreatePlatformEndpoint...), and Publish to an endpoint, which records the notification as
delivered (outbox.py): gureum reaches no push service (APNs, FCM, ADM, Baidu, WNS, MPNS).

Tables:
- `sns_platform_apps`, key `<account>/<region>/<platform>/<name>`: {"arn", "name",
  "platform", "attrs": {attribute: value}} (PlatformCredential and PlatformPrincipal kept,
  never shown, as AWS does not show them).
- `sns_endpoints`, key `<app key>/<endpoint id>`: {"arn", "app": app ARN, "attrs":
  {"Token", "Enabled", "CustomUserData"?}}.
- `sns_endpoint_tokens`, key `<app key>/<sha256 of the token, hex>`: {"id": endpoint id}: one
  endpoint per device token and application (CreatePlatformEndpoint with a token already
  registered returns that endpoint, if its attributes are the same; else InvalidParameter).

Rules as AWS documents them: an application needs PlatformCredential (and, for Apple
platforms, PlatformPrincipal); names are 1-256 of [A-Za-z0-9_.-]; an endpoint is Enabled
"true" when created; Publish to a disabled endpoint is EndpointDisabled, to an endpoint of a
disabled application PlatformApplicationDisabled; deleting an application deletes its
endpoints; DeleteEndpoint and DeletePlatformApplication of what does not exist succeed.
Changing an endpoint's Token leaves it disabled if it was (AWS: set Enabled back to true).
The application's Event* attributes name topics told of its endpoints' changes and failed
deliveries (app_events.py). gureum reaches no push service, so it never disables an endpoint
by itself (AWS does when the service reports the token invalid): only SetEndpointAttributes does.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.sns import outbox
from gureum.store.base import Txn

APPS = "sns_platform_apps"
ENDPOINTS = "sns_endpoints"
TOKENS = "sns_endpoint_tokens"
PLATFORMS = ("ADM", "APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "MACOS", "MACOS_SANDBOX", "BAIDU",
             "GCM", "MPNS", "WNS")
_APPLE = ("APNS", "APNS_SANDBOX", "APNS_VOIP", "APNS_VOIP_SANDBOX", "MACOS", "MACOS_SANDBOX")
APP_ATTRIBUTES = ("PlatformCredential", "PlatformPrincipal", "EventEndpointCreated", "EventEndpointDeleted",
                  "EventEndpointUpdated", "EventDeliveryFailure", "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn",
                  "SuccessFeedbackSampleRate", "ApplePlatformTeamID", "ApplePlatformBundleID", "Enabled")
_SECRET = ("PlatformCredential", "PlatformPrincipal")
ENDPOINT_ATTRIBUTES = ("CustomUserData", "Enabled", "Token")
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,256}")
MAX_CUSTOM_USER_DATA = 2048


def _invalid(reason: str) -> AwsError:
    return AwsError.modeled("sns", "InvalidParameter", f"Invalid parameter: {reason}")


def _not_found(what: str) -> AwsError:
    return AwsError.modeled("sns", "NotFound", f"{what} does not exist")


def _app_key(account: str, region: str, platform: str, name: str) -> str:
    return f"{account}/{region}/{platform}/{name}"


def _app_ref(arn: str, param: str = "PlatformApplicationArn") -> str:
    """The APPS key of an application ARN; InvalidParameter when it is not one."""
    a = arns.try_parse(arn)
    parts = a.resource.split("/") if a is not None and a.service == "sns" else []
    if a is None or len(parts) != 3 or parts[0] != "app" or not parts[2]:
        raise _invalid(f"{param} Reason: Wrong number of slashes in relative portion of the ARN.")
    return _app_key(a.account, a.region, parts[1], parts[2])


def _endpoint_ref(arn: str, param: str = "EndpointArn") -> tuple[str, str]:
    """(app key, endpoint id) of an endpoint ARN; InvalidParameter when it is not one."""
    a = arns.try_parse(arn)
    parts = a.resource.split("/") if a is not None and a.service == "sns" else []
    if a is None or len(parts) != 4 or parts[0] != "endpoint" or not parts[3]:
        raise _invalid(f"{param} Reason: Wrong number of slashes in relative portion of the ARN.")
    return _app_key(a.account, a.region, parts[1], parts[2]), parts[3]


def _check_enabled(value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise _invalid("Attributes Reason: Enabled must be true or false")
    return value.lower()


def _check_app_attrs(platform: str, attrs: dict[str, str], creating: bool) -> dict[str, str]:
    for k in attrs:
        if k not in APP_ATTRIBUTES:
            raise _invalid(f"Attributes Reason: Invalid attribute name: {k}")
    out = dict(attrs)
    if "Enabled" in out:
        out["Enabled"] = _check_enabled(out["Enabled"])
    if creating and not out.get("PlatformCredential"):
        raise _invalid("Attributes Reason: PlatformCredential attribute is required")
    if creating and platform in _APPLE and not out.get("PlatformPrincipal"):
        raise _invalid("Attributes Reason: PlatformPrincipal attribute is required")
    for k in ("EventEndpointCreated", "EventEndpointDeleted", "EventEndpointUpdated", "EventDeliveryFailure"):
        v = out.get(k)
        if v and arns.service_of(v) != "sns":
            raise _invalid(f"Attributes Reason: {k}: invalid topic ARN")
    return out


# -- applications ------------------------------------------------------------------------------

def create_app(txn: Txn, account: str, region: str, name: str, platform: str, attrs: dict[str, str]) -> str:
    if not _NAME.fullmatch(name):
        raise _invalid("Name Reason: Application names must be made up of only uppercase and lowercase ASCII "
                       "letters, numbers, underscores, hyphens, and periods, and must be between 1 and 256 "
                       "characters long.")
    if platform not in PLATFORMS:
        raise _invalid(f"Platform Reason: {platform} is not supported")
    attrs = _check_app_attrs(platform, attrs, creating=True)
    key = _app_key(account, region, platform, name)
    arn = arns.sns_platform_application(region, account, platform, name)
    old = txn.get(APPS, key)
    if old is not None:  # as CreateTopic: the same application again is no error
        if old["attrs"].get("PlatformCredential") != attrs.get("PlatformCredential"):
            raise _invalid("Name Reason: An application with the same name but different properties already exists")
        return str(old["arn"])
    txn.put(APPS, key, {"arn": arn, "name": name, "platform": platform, "attrs": {"Enabled": "true", **attrs}})
    return arn


def get_app(txn: Txn, arn: str) -> dict[str, Any]:
    doc = txn.get(APPS, _app_ref(arn))
    if doc is None:
        raise _not_found("PlatformApplication")
    return doc


def app_attributes(doc: dict[str, Any]) -> dict[str, str]:
    """GetPlatformApplicationAttributes: every attribute but the credentials."""
    return {k: v for k, v in doc["attrs"].items() if k not in _SECRET}


def set_app_attributes(txn: Txn, arn: str, attrs: dict[str, str]) -> None:
    doc = get_app(txn, arn)
    doc["attrs"].update(_check_app_attrs(doc["platform"], attrs, creating=False))
    txn.put(APPS, _app_ref(arn), doc)


def delete_app(txn: Txn, arn: str) -> None:
    key = _app_ref(arn)
    txn.delete(APPS, key)
    txn.delete_prefix(ENDPOINTS, key + "/")
    txn.delete_prefix(TOKENS, key + "/")


def app_prefix(account: str, region: str) -> str:
    return f"{account}/{region}/"


# -- endpoints ---------------------------------------------------------------------------------

def _token_key(app_key: str, token: str) -> str:
    return f"{app_key}/{hashlib.sha256(token.encode()).hexdigest()}"


def _check_endpoint_attrs(attrs: dict[str, str]) -> dict[str, str]:
    for k in attrs:
        if k not in ENDPOINT_ATTRIBUTES:
            raise _invalid(f"Attributes Reason: Invalid attribute name: {k}")
    out = dict(attrs)
    if "Enabled" in out:
        out["Enabled"] = _check_enabled(out["Enabled"])
    if len(out.get("CustomUserData", "").encode()) > MAX_CUSTOM_USER_DATA:
        raise _invalid("CustomUserData Reason: must be at most 2048 bytes long")
    if "Token" in out and not out["Token"]:
        raise _invalid("Token Reason: cannot be empty")
    return out


def create_endpoint(txn: Txn, app_arn: str, token: str, custom: str | None, attrs: dict[str, str]) -> tuple[str, bool]:
    """(endpoint ARN, whether it is new)."""
    app = get_app(txn, app_arn)
    key = _app_ref(app_arn)
    given = _check_endpoint_attrs({**attrs, "Token": token, **({"CustomUserData": custom} if custom is not None else {})})
    wanted = {"Enabled": "true", **given}
    seen = txn.get(TOKENS, _token_key(key, token))
    if seen is not None:
        old = txn.get(ENDPOINTS, f"{key}/{seen['id']}")
        if old is not None:
            if any(old["attrs"].get(k) != v for k, v in given.items()):
                raise _invalid(f"Token Reason: Endpoint {old['arn']} already exists with the same Token, "
                               "but different attributes.")
            return str(old["arn"]), False
    endpoint_id = str(uuid.uuid4())
    arn = arns.sns_platform_endpoint(key.split("/")[1], key.split("/")[0], app["platform"], app["name"], endpoint_id)
    txn.put(ENDPOINTS, f"{key}/{endpoint_id}", {"arn": arn, "app": app["arn"], "attrs": wanted})
    txn.put(TOKENS, _token_key(key, token), {"id": endpoint_id})
    return arn, True


def get_endpoint(txn: Txn, arn: str) -> dict[str, Any]:
    app_key, endpoint_id = _endpoint_ref(arn)
    doc = txn.get(ENDPOINTS, f"{app_key}/{endpoint_id}")
    if doc is None:
        raise _not_found("Endpoint")
    return doc


def app_of(txn: Txn, endpoint: dict[str, Any]) -> dict[str, Any] | None:
    """The application of an endpoint document (None when it is gone)."""
    doc = txn.get(APPS, _app_ref(endpoint["app"]))
    return dict(doc) if doc is not None else None


def set_endpoint_attributes(txn: Txn, arn: str, attrs: dict[str, str]) -> dict[str, Any]:
    app_key, endpoint_id = _endpoint_ref(arn)
    doc = get_endpoint(txn, arn)
    new = _check_endpoint_attrs(attrs)
    old_token = doc["attrs"]["Token"]
    doc["attrs"].update(new)
    if doc["attrs"]["Token"] != old_token:
        txn.delete(TOKENS, _token_key(app_key, old_token))
        txn.put(TOKENS, _token_key(app_key, doc["attrs"]["Token"]), {"id": endpoint_id})
    txn.put(ENDPOINTS, f"{app_key}/{endpoint_id}", doc)
    return doc


def delete_endpoint(txn: Txn, arn: str) -> dict[str, Any] | None:
    """The endpoint deleted, or None when there was none."""
    app_key, endpoint_id = _endpoint_ref(arn)
    doc = txn.get(ENDPOINTS, f"{app_key}/{endpoint_id}")
    if doc is None:
        return None
    txn.delete(ENDPOINTS, f"{app_key}/{endpoint_id}")
    txn.delete(TOKENS, _token_key(app_key, doc["attrs"]["Token"]))
    return doc


def endpoints_prefix(app_arn: str) -> str:
    return _app_ref(app_arn) + "/"


# -- publishing --------------------------------------------------------------------------------

def message_for(platform: str, message: str, structure: str | None) -> str:
    """What goes to the platform: with MessageStructure json, the platform's own entry (for
    GCM also "FCM"... AWS reads "GCM") or "default"."""
    if structure != "json":
        return message
    doc = json.loads(message)
    value = doc.get(platform, doc.get("default"))
    return value if isinstance(value, str) else json.dumps(value)


def publish(txn: Txn, account: str, region: str, arn: str, message: str, structure: str | None,
            attrs: dict[str, Any], message_id: str | None = None) -> str:
    """Publish to one endpoint: recorded as delivered; returns the message id."""
    endpoint = get_endpoint(txn, arn)
    app = txn.get(APPS, _endpoint_ref(arn)[0])
    if app is None:
        raise _not_found("PlatformApplication")
    if app["attrs"].get("Enabled", "true") != "true":
        raise AwsError.modeled("sns", "PlatformApplicationDisabled", "Platform application is disabled.")
    if endpoint["attrs"].get("Enabled") != "true":
        raise AwsError.modeled("sns", "EndpointDisabled", "Endpoint is disabled")
    shown = {k: {"Type": v.get("DataType"), "Value": v.get("StringValue")} for k, v in attrs.items()
             if v.get("StringValue") is not None}
    return outbox.record(txn, account, region, {
        "Kind": "push", "TargetArn": endpoint["arn"], "PlatformApplicationArn": app["arn"],
        "Platform": app["platform"], "Token": endpoint["attrs"]["Token"],
        "Message": message_for(app["platform"], message, structure), "MessageAttributes": shown,
        **({"MessageId": message_id} if message_id else {})})
