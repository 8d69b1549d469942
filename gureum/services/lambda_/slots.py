"""Lambda's live objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.lambda_.durable_api import DurableRunner
    from gureum.services.lambda_.engine import LambdaEngine
    from gureum.services.lambda_.esm_poller import EsmRunner
    from gureum.services.lambda_.urls import UrlListener

ENGINE: Slot[LambdaEngine] = Slot("lambda")  # the data plane, once the component runs
URLS: Slot[UrlListener] = Slot("lambda.urls")  # the function URL listener, once it serves
ESM: Slot[EsmRunner] = Slot("lambda-esm")  # the event source mapping poller
DURABLE: Slot[DurableRunner] = Slot("lambda.durable")  # drives durable executions (durable_api.py)
CODE_URL_KEY: Slot[bytes] = Slot("lambda.code_url_key")  # signs code download links (code_urls.py)
