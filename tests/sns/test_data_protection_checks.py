"""Data protection policies on values: malformed ones (wrong types anywhere) are refused with
SNS's InvalidParameter, never an exception of another kind (a 500); masking and redaction
keep the rest of the message as it was."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.services.sns import data_protection as dp


def stmt(op: Any, ids: Any = ("EmailAddress",), **kw: Any) -> dict[str, Any]:
    idents = [dp.IDENTIFIER_PREFIX + i if isinstance(i, str) else i for i in ids] if isinstance(ids, tuple) else ids
    return {"DataDirection": "Inbound", "Principal": ["*"], "DataIdentifier": idents, "Operation": op, **kw}


def policy(*statements: Any, **top: Any) -> str:
    return json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": list(statements), **top})


@pytest.mark.parametrize("text", [
    "[]", "null", policy(), policy(1), policy(stmt({"Audit": "x"})), policy(stmt({"Deidentify": "x"})),
    policy(stmt({"Deidentify": {"MaskConfig": "x"}})), policy(stmt({"Deny": []})), policy(stmt({"Deny": {}}, ids=(1,))),
    policy(stmt({"Deny": {}}), Configuration="x"), policy(stmt({"Deny": {}}), Configuration={"CustomDataIdentifier": "x"}),
    policy(stmt({"Deny": {}}), Configuration={"CustomDataIdentifier": [{"Name": "n", "Regex": "("}]}),
    policy(stmt({"Deny": {}}, DataDirection="Sideways")), policy(stmt({"Audit": {"SampleRate": "100"}})),
    json.dumps({"Name": "p", "Version": "2012-10-17", "Statement": [stmt({"Deny": {}})]}),
])
def test_malformed_policies_are_invalid_parameter(text: str) -> None:
    with pytest.raises(AwsError) as e:
        dp.check(text)
    assert e.value.code == "InvalidParameter"


def test_mask_and_redact_keep_the_rest_of_the_message() -> None:
    masked = dp.check(policy(stmt({"Deidentify": {"MaskConfig": {"MaskWithCharacter": "*"}}})))
    assert dp.inbound(masked, "arn:aws:iam::111122223333:root", "to a@b.co and c@d.org!").message == "to ****** and *******!"
    redacted = dp.check(policy(stmt({"Deidentify": {"RedactConfig": {}}}, ids=("IpAddress",))))
    assert dp.inbound(redacted, "x", "from 10.1.2.3 ok").message == "from  ok"
    custom = dp.check(policy(stmt({"Deny": {}}, ids=["Ticket"]), Configuration={"CustomDataIdentifier": [{"Name": "Ticket", "Regex": "TCK-[0-9]+"}]}))
    with pytest.raises(AwsError) as e:
        dp.inbound(custom, "x", "see TCK-12")
    assert e.value.code == "AuthorizationError"
