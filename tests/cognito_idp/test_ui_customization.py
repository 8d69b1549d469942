"""The hosted UI's classic branding through boto3 against a real gureum: SetUICustomization
needs the pool's domain and an existing client, takes only AWS's customizable CSS classes and a
PNG/JPEG logo of at most 100 KB; GetUICustomization falls back from a client to the pool-wide
(ALL) customization; the sign-in page wears the effective CSS and logo; setting nothing removes
it; deleting the client forgets its customization."""

from __future__ import annotations

import base64
import urllib.parse
import urllib.request
from typing import Any

from .helpers import error_of, make_client, make_pool

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
POOL_CSS = ".submitButton-customizable { background-color: #123456; }"
CLIENT_CSS = "/* brand */ .banner-customizable, .label-customizable { color: red; }"


def _page(gureum: Any, cid: str) -> str:
    query = {"response_type": "code", "client_id": cid, "redirect_uri": "http://localhost:3000/cb", "scope": "openid"}
    with urllib.request.urlopen(gureum.endpoint + "/oauth2/authorize?" + urllib.parse.urlencode(query), timeout=10) as r:
        return str(r.read().decode())


def test_ui_customization(gureum: Any, idp: Any) -> None:
    pid = make_pool(idp)
    oauth = {"AllowedOAuthFlows": ["code"], "AllowedOAuthFlowsUserPoolClient": True,
             "CallbackURLs": ["http://localhost:3000/cb"], "AllowedOAuthScopes": ["openid"],
             "SupportedIdentityProviders": ["COGNITO"]}
    one = make_client(idp, pid, **oauth)["ClientId"]
    two = make_client(idp, pid, **oauth)["ClientId"]
    code, message = error_of(lambda: idp.set_ui_customization(UserPoolId=pid, CSS=POOL_CSS))
    assert (code, message) == ("InvalidParameterException",
                               "There has to be an existing domain associated with this user pool")
    idp.create_user_pool_domain(UserPoolId=pid, Domain=f"brand-{pid.split('_')[1].lower()}")

    assert error_of(lambda: idp.set_ui_customization(UserPoolId=pid, CSS="body { color: red; }"))[0] == \
        "InvalidParameterException"
    assert error_of(lambda: idp.set_ui_customization(UserPoolId=pid, ImageFile=b"GIF89a not allowed"))[0] == \
        "InvalidParameterException"
    assert error_of(lambda: idp.set_ui_customization(UserPoolId=pid, ClientId="nosuchclient", CSS=POOL_CSS))[0] == \
        "ResourceNotFoundException"

    pool_wide = idp.set_ui_customization(UserPoolId=pid, ClientId="ALL", CSS=POOL_CSS, ImageFile=PNG)["UICustomization"]
    assert (pool_wide["ClientId"], pool_wide["CSS"]) == ("ALL", POOL_CSS) and pool_wide["CSSVersion"]
    mine = idp.set_ui_customization(UserPoolId=pid, ClientId=one, CSS=CLIENT_CSS)["UICustomization"]
    assert (mine["ClientId"], mine["CSS"]) == (one, CLIENT_CSS)
    assert idp.get_ui_customization(UserPoolId=pid, ClientId=one)["UICustomization"]["CSS"] == CLIENT_CSS
    fallback = idp.get_ui_customization(UserPoolId=pid, ClientId=two)["UICustomization"]
    assert (fallback["ClientId"], fallback["CSS"]) == ("ALL", POOL_CSS)

    page = _page(gureum, one)
    assert CLIENT_CSS in page and "class=submitButton-customizable" in page and "logo-customizable" not in page
    page = _page(gureum, two)
    assert POOL_CSS in page and "data:image/png;base64," + base64.b64encode(PNG).decode() in page

    # nothing set: the client's customization goes, the pool-wide one shows again
    assert idp.set_ui_customization(UserPoolId=pid, ClientId=one)["UICustomization"] == {"UserPoolId": pid,
                                                                                         "ClientId": one}
    assert idp.get_ui_customization(UserPoolId=pid, ClientId=one)["UICustomization"]["CSS"] == POOL_CSS
    idp.set_ui_customization(UserPoolId=pid, ClientId=two, CSS=CLIENT_CSS)
    idp.delete_user_pool_client(UserPoolId=pid, ClientId=two)
    three = make_client(idp, pid, **oauth)["ClientId"]
    assert idp.get_ui_customization(UserPoolId=pid, ClientId=three)["UICustomization"]["ClientId"] == "ALL"
    idp.set_ui_customization(UserPoolId=pid, ClientId="ALL")
    assert idp.get_ui_customization(UserPoolId=pid)["UICustomization"] == {"UserPoolId": pid, "ClientId": "ALL"}
    assert "<style>" not in _page(gureum, one)
