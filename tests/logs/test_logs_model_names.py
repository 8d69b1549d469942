"""Log group and stream names that reach the Logs model without the wire layer's check (the
awslogs driver's group, Lambda's log agent: gureum/services/logs/model.put_events with
create=True) are refused in the words the wire layer uses for CreateLogGroup, constraint
included ("Member must have length less than or equal to 512"), not a bare "failed to
satisfy constraint"."""

from __future__ import annotations

import pytest

from gureum.aws import specs
from gureum.aws.errors import AwsError
from gureum.aws.validate import validate
from gureum.services.logs import model
from gureum.store.memory import MemoryStore

ACCOUNT, REGION = "000000000000", "us-east-1"


def _refusal(group: str, stream: str = "s") -> AwsError:
    store = MemoryStore()
    with pytest.raises(AwsError) as e:
        store.run_sync(lambda t: model.put_events(t, ACCOUNT, REGION, group, stream, [(1, "m")], create=True))
    return e.value


def _wire(group: str) -> AwsError:
    spec = specs.load("logs")
    with pytest.raises(AwsError) as e:
        validate(spec, spec.operation("CreateLogGroup").input, {"logGroupName": group})
    return e.value


@pytest.mark.parametrize("group", ["a" * 513, "bad name!"])
def test_group_names_refused_as_create_log_group_refuses_them(group: str) -> None:
    err = _refusal(group)
    assert (err.code, err.message) == ("InvalidParameterException", _wire(group).message)
    assert err.message.endswith(("Member must have length less than or equal to 512",
                                 "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"))


def test_stream_names_name_their_constraint() -> None:
    assert _refusal("/g", "a:b").message == ("1 validation error detected: Value 'a:b' at 'logStreamName' failed to "
                                             "satisfy constraint: Member must satisfy regular expression pattern: [^:*]*")
    assert _refusal("/g", "s" * 513).message.endswith("Member must have length less than or equal to 512")
