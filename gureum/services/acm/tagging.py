"""Where a certificate's tags live: the "tags" dict of its acm_certs document."""

from __future__ import annotations

from dataclasses import dataclass

from gureum.services.acm import certs
from gureum.store import Txn


@dataclass(frozen=True)
class _Place:
    arn: str

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(certs.get(txn, self.arn)[1].get("tags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        k, doc = certs.get(txn, self.arn)
        doc["tags"] = new
        txn.put(certs.CERTS, k, doc)


def place(txn: Txn, arn: str) -> _Place:
    certs.get(txn, arn)  # ResourceNotFoundException / InvalidArnException first
    return _Place(arn)
