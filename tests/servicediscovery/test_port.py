"""Cloud Map's port (servicediscovery/port.py) on values (MemoryStore): instances registered
and deregistered in the caller's transaction, looked up, and walked across accounts; a
missing service or instance is Cloud Map's own error."""

from __future__ import annotations

from typing import Any

import pytest

from gureum.aws.errors import AwsError
from gureum.services.servicediscovery import model
from gureum.services.servicediscovery import port as sd
from gureum.store.memory import MemoryStore

REGION = "us-east-1"


def _service(store: MemoryStore, account: str) -> str:
    def txn(t: Any) -> str:
        op = model.create_namespace(t, account, REGION, "HTTP", {"Name": f"ns-{account}"})
        ns_id = model.get_operation(t, account, REGION, op)["Targets"]["NAMESPACE"]
        return str(model.create_service(t, account, REGION, {"Name": "web", "NamespaceId": ns_id})["Id"])

    return store.run_sync(txn)


def test_register_look_up_walk_and_deregister_in_the_callers_transaction() -> None:
    store = MemoryStore()
    a, b = _service(store, "111111111111"), _service(store, "222222222222")

    def register(t: Any) -> str:
        sd.register_instance(t, "111111111111", REGION, a, "i-1", {"AWS_INSTANCE_IPV4": "10.0.0.1"})
        return sd.register_instance(t, "222222222222", REGION, b, "i-2", {"AWS_INSTANCE_IPV4": "10.0.0.2", "X": "y"})

    op = store.run_sync(register)
    assert store.read_sync(lambda t: model.get_operation(t, "222222222222", REGION, op))["Status"] == "SUCCESS"
    assert store.read_sync(lambda t: sd.has_instance(t, "111111111111", REGION, a, "i-1"))
    assert not store.read_sync(lambda t: sd.has_instance(t, "222222222222", REGION, a, "i-1"))  # not another account's
    walked = store.read_sync(lambda t: sorted(sd.every_instance(t), key=lambda i: i.instance_id))
    assert walked == [
        sd.Instance("111111111111", REGION, a, "i-1", {"AWS_INSTANCE_IPV4": "10.0.0.1"}),
        sd.Instance("222222222222", REGION, b, "i-2", {"AWS_INSTANCE_IPV4": "10.0.0.2", "X": "y"}),
    ]
    store.run_sync(lambda t: sd.deregister_instance(t, "111111111111", REGION, a, "i-1"))
    assert [i.instance_id for i in store.read_sync(lambda t: list(sd.every_instance(t)))] == ["i-2"]


def test_missing_service_or_instance_raises_cloud_maps_errors() -> None:
    store = MemoryStore()
    srv = _service(store, "111111111111")
    with pytest.raises(AwsError) as exc:
        store.run_sync(lambda t: sd.register_instance(t, "111111111111", REGION, "srv-nothere", "i-1", {"AWS_INSTANCE_IPV4": "10.0.0.1"}))
    assert exc.value.code == "ServiceNotFound"
    with pytest.raises(AwsError) as exc:
        store.run_sync(lambda t: sd.deregister_instance(t, "111111111111", REGION, srv, "i-none"))
    assert exc.value.code == "InstanceNotFound"
