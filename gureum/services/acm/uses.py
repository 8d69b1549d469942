"""Which resources use which certificate (DescribeCertificate's InUseBy, ListCertificates' InUse,
DeleteCertificate's ResourceInUseException, managed-renewal eligibility).

The users record their use themselves, in their own transaction, through port.set_uses: ACM
imports none of them. A user is one resource that holds certificates (an ELB listener, an API
Gateway domain name), named by a key of its own choosing (its ARN); what InUseBy shows for it
is `shown` (AWS shows the load balancer for a listener, the domain name's ARN for a domain).

Tables:
- acm_uses: "{cert account}/{cert region}/{cert id}/{user}" -> {"shown": ARN shown in InUseBy}.
- acm_users: "{user}" -> {"certs": [certificate ARNs it uses now]}.
Invariant: the two tables describe the same pairs; set_uses replaces a user's whole set, so a
call with the resource's current certificates after each write keeps them true (an empty list
releases). A certificate's uses are not dropped when it is deleted (delete refuses while any
exist). Writes publish "acm.cert" {"key": certificate key} for each certificate whose use
changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from gureum.aws import arn as arns
from gureum.store import Txn

USES = "acm_uses"
USERS = "acm_users"
TOPIC = "acm.cert"


def _cert_key(cert_arn: str) -> str | None:
    a = arns.try_parse(cert_arn)
    if a is None or a.service != "acm" or a.resource_type != "certificate":
        return None
    return f"{a.account}/{a.region}/{a.resource_id}"


def set_uses(txn: Txn, user: str, certificates: Iterable[str], shown: str | None = None) -> None:
    """`user` now uses exactly `certificates` (ARNs; anything not an ACM certificate ARN is
    ignored: IAM server certificates); an empty list releases all it held."""
    new = list(dict.fromkeys(c for c in certificates if _cert_key(c) is not None))
    old_doc = txn.get(USERS, user)
    old: list[str] = list(old_doc["certs"]) if old_doc else []
    for c in old:
        k = _cert_key(c)
        if k is not None and c not in new:
            txn.delete(USES, f"{k}/{user}")
            txn.publish(TOPIC, {"key": k})
    for c in new:
        k = _cert_key(c)
        assert k is not None
        txn.put(USES, f"{k}/{user}", {"shown": shown or user})
        if c not in old:
            txn.publish(TOPIC, {"key": k})
    if new:
        txn.put(USERS, user, {"certs": new})
    elif old_doc is not None:
        txn.delete(USERS, user)


def in_use_by(txn: Txn, cert_key: str) -> list[str]:
    """The ARNs shown in InUseBy for the certificate stored at `cert_key` (sorted, unique)."""
    return sorted({str(doc["shown"]) for _, doc in txn.scan(USES, cert_key + "/")})
