"""The `eks-control-plane` component: what happens to a cluster after CreateCluster.

A cluster's control plane is to be the upstream kube-apiserver, kube-controller-manager and
kube-scheduler with kine as their etcd, from the `gureum-kube` binary (issue 23). That binary
is not built yet (the Go module proxy it is built from cannot be reached from this project's
machines), so no cluster can become ACTIVE: every `interval` seconds each cluster still CREATING
(any account, any node) is moved to FAILED with a health issue saying so, rather than being
left CREATING for ever or reported ACTIVE without a Kubernetes API behind it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gureum import periodic
from gureum.services.eks import clusters as C
from gureum.services.eks import metering
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

INTERVAL = 1.0
ISSUE_CODE = "InternalFailure"
ISSUE_MESSAGE = ("gureum cannot run this cluster's control plane: the gureum-kube binary "
                 "(kube-apiserver, kube-controller-manager, kube-scheduler and kine) is not built.")


async def settle(app: App) -> int:
    """Fail every cluster still CREATING; how many."""
    keys = await app.store.read(C.creating)
    done = 0
    for k in keys:
        def one(t: Txn, k: str = k) -> bool:
            return C.fail(t, k, ISSUE_CODE, ISSUE_MESSAGE)

        done += await app.store.run(one)
    return done


async def meter(app: App) -> int:
    """Bill the ACTIVE clusters' hours since the last run (metering.py)."""
    return await app.store.run(lambda t: metering.meter(t, time.time()))


async def run(app: App) -> None:
    app.set_status("eks", "running")
    app.every(metering.METER_EVERY, lambda: meter(app), name="eks-metering")
    await periodic.run_every(INTERVAL, lambda: settle(app), name="eks-control-plane")
