"""The hosted UI's classic branding (SetUICustomization / GetUICustomization): a CSS file and a
logo for a user pool's sign-in pages, pool-wide (ClientId "ALL") or for one app client.

Table cognito_ui: "{pool id}/{client id or ALL}" -> {"UserPoolId", "ClientId", "CSS",
"CSSVersion", "Image" (the logo, base64, with "ImageType"), "CreationDate",
"LastModifiedDate"}. Deleting the pool deletes its rows (api.OWNED); deleting a client, its row.

Rules (AWS's): the pool must have a domain; a named client must exist; the CSS may style only
the classes AWS lists (`ALLOWED`: a rule naming any other selector is refused); the logo is a
PNG or JPEG of at most 100 KB; setting neither CSS nor logo removes the customization. Reading
a client falls back to the pool-wide row, then to an empty customization. The hosted UI
(hosted_ui.py) puts the effective CSS in its pages and the logo inline (as a data: URL): gureum
does not host the logo at a CloudFront ImageUrl, so GetUICustomization answers none."""

from __future__ import annotations

import base64
import re
from typing import Any

from gureum.services.cognito_idp import clients, pools
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

TABLE = "cognito_ui"
MAX_IMAGE = 100 * 1024
ALLOWED = frozenset({
    ".background-customizable", ".banner-customizable", ".errorMessage-customizable", ".idpButton-customizable",
    ".idpButton-customizable:hover", ".idpDescription-customizable", ".inputField-customizable",
    ".inputField-customizable:focus", ".label-customizable", ".legalText-customizable", ".logo-customizable",
    ".passwordCheck-valid-customizable", ".passwordCheck-notValid-customizable", ".redirect-customizable",
    ".socialButton-customizable", ".submitButton-customizable", ".submitButton-customizable:hover",
    ".textDescription-customizable"})
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_RULE = re.compile(r"([^{}]*)\{([^{}]*)\}")


def _key(pool_id: str, client_id: str) -> str:
    return f"{pool_id}/{client_id}"


def check_css(css: str) -> None:
    text = _COMMENT.sub("", css)
    rest = _RULE.sub("", text)
    if rest.strip():
        raise err("InvalidParameterException", "The CSS is not valid: it must be a list of rules.")
    for selectors, _ in _RULE.findall(text):
        for selector in selectors.split(","):
            if selector.strip() not in ALLOWED:
                raise err("InvalidParameterException",
                          f"The CSS class {selector.strip()!r} is not one the hosted UI lets you customize.")


def _image(data: Any) -> tuple[str, str]:
    raw = data if isinstance(data, bytes) else base64.b64decode(str(data))
    if len(raw) > MAX_IMAGE:
        raise err("InvalidParameterException", "The logo image must be no larger than 100 KB.")
    if raw.startswith(b"\x89PNG\r\n\x1a\n"):
        kind = "image/png"
    elif raw.startswith(b"\xff\xd8\xff"):
        kind = "image/jpeg"
    else:
        raise err("InvalidParameterException", "The logo image must be a PNG or JPEG file.")
    return base64.b64encode(raw).decode(), kind


def _view(doc: Doc) -> Doc:
    return {k: doc[k] for k in ("UserPoolId", "ClientId", "CSS", "CSSVersion", "CreationDate", "LastModifiedDate")
            if k in doc}


def put(txn: Txn, account: str, p: Doc, now: float) -> Doc:
    pool = pools.get(txn, p["UserPoolId"], account)
    if not pool.get("Domain"):
        raise err("InvalidParameterException", "There has to be an existing domain associated with this user pool")
    client_id = str(p.get("ClientId") or "ALL")
    if client_id != "ALL":
        clients.get_in(txn, pool["Id"], client_id)
    k = _key(pool["Id"], client_id)
    css, image = p.get("CSS"), p.get("ImageFile")
    if not css and not image:
        txn.delete(TABLE, k)
        return {"UserPoolId": pool["Id"], "ClientId": client_id}
    doc: Doc = {"UserPoolId": pool["Id"], "ClientId": client_id, "LastModifiedDate": now,
                "CreationDate": (txn.get(TABLE, k) or {}).get("CreationDate", now)}
    if css:
        check_css(str(css))
        doc["CSS"], doc["CSSVersion"] = str(css), str(int(now * 1000))
    if image:
        doc["Image"], doc["ImageType"] = _image(image)
    txn.put(TABLE, k, doc)
    return _view(doc)


def effective(txn: Txn, pool_id: str, client_id: str | None) -> Doc | None:
    """The customization a client's pages wear: its own, else the pool-wide one."""
    return (txn.get(TABLE, _key(pool_id, client_id)) if client_id else None) or txn.get(TABLE, _key(pool_id, "ALL"))


def get(txn: Txn, account: str, p: Doc) -> Doc:
    pool = pools.get(txn, p["UserPoolId"], account)
    client_id = p.get("ClientId")
    if client_id and client_id != "ALL":
        clients.get_in(txn, pool["Id"], str(client_id))
    doc = effective(txn, pool["Id"], str(client_id) if client_id else None)
    return _view(doc) if doc else {"UserPoolId": pool["Id"], "ClientId": str(client_id or "ALL")}


def forget_client(txn: Txn, pool_id: str, client_id: str) -> None:
    txn.delete(TABLE, _key(pool_id, client_id))
