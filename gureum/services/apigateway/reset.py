"""API Gateway's reset (POST /_gureum/reset, gureum/reset.py): every REST API object of every
account dropped in one transaction; the data plane's cache follows the event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.apigateway.apis import ACCOUNT, APIS, CHILD_TABLES, CLIENT_CERTS, TOPIC
from gureum.services.apigateway.domains import TABLES as DOMAIN_TABLES
from gureum.services.apigateway.domains import TOPIC as DOMAIN_TOPIC
from gureum.services.apigateway.domains import release_certificates
from gureum.services.apigateway.ids import API_IDS
from gureum.services.apigateway.keys import TABLES as KEY_TABLES
from gureum.services.apigateway.keys import TOPIC as KEY_TOPIC
from gureum.services.apigateway.throttle_share import TABLES as THROTTLE_TABLES
from gureum.services.apigateway.vpclinks import TOPIC as VPCLINK_TOPIC
from gureum.services.apigateway.vpclinks import VPCLINKS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    release_certificates(txn)  # ACM's InUseBy
    n = drop_tables(txn, (APIS, API_IDS, *CHILD_TABLES, *KEY_TABLES, *DOMAIN_TABLES, VPCLINKS, ACCOUNT, CLIENT_CERTS,
                          *THROTTLE_TABLES))
    txn.publish(DOMAIN_TOPIC, {})
    txn.publish(TOPIC, {"reset": True})
    txn.publish(KEY_TOPIC, {})
    txn.publish(VPCLINK_TOPIC, {})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
