"""ECS operations that are not 501: the newest features gureum does not offer answer AWS's
UnsupportedFeatureException (unavailable.py), DiscoverPollEndpoint names gureum itself, and
a walk over botocore's ECS model shows which operations remain unimplemented."""

from __future__ import annotations

import botocore.session
import pytest
from botocore.exceptions import ClientError

from gureum.services.ecs import api as _api  # noqa: F401  (registers the handlers)
from gureum.services.ecs import unavailable

from .test_api import err


@pytest.fixture(scope="module")
def ecs(gureum):
    return gureum.client("ecs")


@pytest.mark.parametrize(("call", "kw"), [
    ("list_daemons", {}),
    ("list_gateways", {}),
    ("list_daemon_task_definitions", {}),
    ("describe_express_gateway_service", {"serviceArn": "arn:aws:ecs:us-east-1:000000000000:service/c/s"}),
])
def test_newest_features_answer_unsupported(ecs, call, kw):
    with pytest.raises(ClientError) as exc:
        getattr(ecs, call)(**kw)
    assert err(exc)[0] == "UnsupportedFeatureException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_discover_poll_endpoint_is_gureum(ecs, gureum):
    out = ecs.discover_poll_endpoint()
    assert out["endpoint"].startswith("http://") and out["endpoint"].endswith(f":{gureum.port}/")
    assert out["telemetryEndpoint"] == out["endpoint"]


def test_unavailable_operations_are_operations_of_the_model():
    """Every ECS operation has a handler (tests/aws/test_no_501.py walks the model); the ones
    answered with AWS's unavailable-feature error name real operations."""
    model = botocore.session.get_session().get_service_model("ecs")
    assert set(unavailable.UNAVAILABLE) <= set(model.operation_names)
