"""Cloud Map's errors carry the HTTP status its model declares (NamespaceNotFound,
ServiceNotFound, OperationNotFound 404; ResourceInUse 409), not a blanket 400."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def sd(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("servicediscovery", config=Config(retries={"max_attempts": 1}))


@pytest.mark.parametrize(
    "call,code",
    [
        (lambda c: c.get_namespace(Id="ns-0000000000000000"), "NamespaceNotFound"),
        (lambda c: c.get_service(Id="srv-0000000000000000"), "ServiceNotFound"),
        (lambda c: c.get_operation(OperationId="0000000000000000"), "OperationNotFound"),
    ],
)
def test_not_found_errors_are_404s_as_the_model_says(sd, call, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call(sd)
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
