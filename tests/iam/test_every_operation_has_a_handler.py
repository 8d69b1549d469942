"""Issue 25: every operation in botocore's models of IAM, STS, SNS and Cloud Map has a handler
(none answers 501 NotImplemented). Unit: reads the models and the registered handlers."""

from __future__ import annotations

import botocore.session
import pytest

from gureum.aws.edge import _load_handlers, find_handler


@pytest.mark.parametrize("service", ["iam", "sts", "sns", "servicediscovery"])
def test_every_operation_of_the_model_has_a_handler(service: str) -> None:
    model = botocore.session.get_session().get_service_model(service)
    _load_handlers(service)
    missing = [op for op in model.operation_names if find_handler(service, op) is None]
    assert missing == []
