"""ACM for other services (imported as a module), each call in the caller's transaction:
- key_pair / exists_issued: the certificate and key of an issued certificate, for TLS
  listeners (Elastic Load Balancing);
- set_uses(txn, user, certificate ARNs, shown=ARN): a resource (an ELB listener, an API
  Gateway domain name) records the certificates it uses now, after each create, change and
  delete (an empty list releases them): DescribeCertificate's InUseBy shows `shown` (default:
  `user`), and DeleteCertificate refuses a certificate in use (uses.py)."""

from __future__ import annotations

from collections.abc import Iterable

from gureum.services.acm import certs, uses
from gureum.store import Txn


def key_pair(txn: Txn, arn: str) -> tuple[str, str] | None:
    """(certificate and chain PEM, private key PEM), or None when `arn` is not an issued certificate."""
    return certs.key_pair(txn, arn)


def exists_issued(txn: Txn, arn: str) -> bool:
    return certs.key_pair(txn, arn) is not None


def set_uses(txn: Txn, user: str, certificates: Iterable[str], shown: str | None = None) -> None:
    """`user` (its ARN) uses exactly `certificates` from now on; InUseBy shows `shown` for it."""
    uses.set_uses(txn, user, certificates, shown)
