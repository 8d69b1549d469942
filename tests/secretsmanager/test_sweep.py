"""The sweep on values (MemoryStore): a secret scheduled for deletion is kept, restorable,
until its recovery window ends, then really deleted with its version values; a restored one
is never swept."""

from __future__ import annotations

from typing import Any

from gureum.services.secretsmanager import model
from gureum.store.memory import MemoryStore

A, R = "123456789012", "us-east-1"
T0 = 1_800_000_000.0


def _create(store: MemoryStore, name: str) -> None:
    store.run_sync(lambda t: model.create(t, A, R, {"Name": name, "SecretString": "v", "ClientRequestToken": "t" * 32}, T0))


def test_sweep_deletes_only_after_the_window() -> None:
    store = MemoryStore()
    _create(store, "gone")
    _create(store, "back")
    for name in ("gone", "back"):
        store.run_sync(lambda t, n=name: model.delete(t, A, R, {"SecretId": n, "RecoveryWindowInDays": 7}, T0))
    store.run_sync(lambda t: model.restore(t, A, R, "back", T0 + 60))
    almost = T0 + 7 * model.DAY - 1
    assert store.run_sync(lambda t: model.sweep(t, almost)) == 0
    assert store.read_sync(lambda t: t.get(model.SECRETS, model.key(A, R, "gone"))) is not None
    assert store.run_sync(lambda t: model.sweep(t, T0 + 7 * model.DAY)) == 1

    def rows(t: Any) -> tuple[int, int]:
        return t.count(model.SECRETS), t.count(model.VALUES)

    assert store.read_sync(rows) == (1, 1)  # only "back" and its one version value remain
    assert store.run_sync(lambda t: model.get_value(t, A, R, "back", None, None, T0 + 8 * model.DAY))["SecretString"] == "v"


def test_a_scheduled_rotation_starts_when_due() -> None:
    store = MemoryStore()
    _create(store, "rot")
    fn = "arn:aws:lambda:us-east-1:123456789012:function:rotator"

    def rotate(t: Any) -> Any:
        return model.start_rotation(t, A, R, {"SecretId": "rot", "RotationLambdaARN": fn, "ClientRequestToken": "u" * 32,
                                              "RotationRules": {"AutomaticallyAfterDays": 2}}, T0)

    store.run_sync(rotate)
    # the first rotation completes: the function moved AWSCURRENT (as finishSecret does)
    store.run_sync(lambda t: model.put_value(t, A, R, {"SecretId": "rot", "SecretString": "new", "ClientRequestToken": "u" * 32,
                                                      "VersionStages": ["AWSCURRENT"]}, T0 + 1))
    store.run_sync(lambda t: model.finish_rotation(t, model.find(t, A, R, "rot", T0)[1]["ARN"], "u" * 32, True, T0 + 2))
    assert store.run_sync(lambda t: model.due_rotations(t, T0 + 2 * model.DAY - 1)) == []
    due = store.run_sync(lambda t: model.due_rotations(t, T0 + 2 * model.DAY))
    assert [(f, len(tok)) for _, f, tok in due] == [(fn, 36)]
    stages = store.read_sync(lambda t: model.describe(t, A, R, "rot", T0 + 2 * model.DAY))["VersionIdsToStages"]
    assert stages[due[0][2]] == ["AWSPENDING"] and stages["u" * 32] == ["AWSCURRENT"]
    assert store.run_sync(lambda t: model.due_rotations(t, T0 + 2 * model.DAY)) == []  # moved on to the next date
