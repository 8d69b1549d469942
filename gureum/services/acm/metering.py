"""What ACM bills, for the usage ledger (gureum/billing/ledger.py `add`): AWS charges for an
exportable public certificate (Options.Export ENABLED) at each issuance, its first and every
renewal, per domain name: "IssueExportablePublicCertificateDomain" for a fully qualified name,
"IssueExportablePublicCertificateWildcardDomain" for a wildcard one (price units of
gureum/billing/price_list.json), resource the certificate ARN. Other certificates are free."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.acm import certs

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

FQDN = "IssueExportablePublicCertificateDomain"
WILDCARD = "IssueExportablePublicCertificateWildcardDomain"


def charges(doc: dict[str, Any]) -> dict[str, int]:
    """Price unit -> count for one issuance of the certificate `doc`."""
    if doc["Type"] != "AMAZON_ISSUED" or (doc.get("Options") or {}).get("Export") != "ENABLED":
        return {}
    out: dict[str, int] = {}
    for name in doc["SubjectAlternativeNames"]:
        unit = WILDCARD if name.startswith("*.") else FQDN
        out[unit] = out.get(unit, 0) + 1
    return out


async def issued(app: App, k: str) -> None:
    """The certificate stored at `k` was just issued (or reissued by a renewal): meter it."""
    def read(txn: Txn) -> dict[str, Any] | None:
        return txn.get(certs.CERTS, k)
    doc = await app.store.read(read)
    if doc is None:
        return
    account, region, _ = k.split("/")
    for unit, n in charges(doc).items():
        app.ledger.add(account, region, "acm", unit, doc["CertificateArn"], n)
