"""API Gateway's live objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.apigateway.access import Access, UsageCounter
    from gureum.services.apigateway.caching import StageCaches
    from gureum.services.apigateway.client_certs import Contexts
    from gureum.services.apigateway.directory import Directory
    from gureum.services.apigateway.https_domains import TlsDomains
    from gureum.services.apigateway.vpclink_resolver import Resolver

DIRECTORY: Slot[Directory] = Slot("apigateway.directory")  # the data plane's view of deployed stages
USAGE: Slot[UsageCounter] = Slot("apigateway.usage")  # requests counted per usage plan key, flushed in batches
CLIENT_CONTEXTS: Slot[Contexts] = Slot("apigateway.client_contexts")  # TLS contexts of HTTPS integrations
CACHES: Slot[StageCaches] = Slot("apigateway.caches")  # stage caches of this node (caching.py)
ACCESS: Slot[Access] = Slot("apigateway.access")  # authorizer cache, token buckets, key lookups
# (policy text, function ARN, source ARN, account) -> whether API Gateway may invoke the function
DECISIONS: Slot[dict[tuple[str, str, str, str], bool]] = Slot("apigateway.lambda_decisions")
# role ARN -> (its assumed session's credentials, when they expire): AWS service integrations (service_auth.py)
ROLE_SESSIONS: Slot[dict[str, tuple[dict[str, Any], float]]] = Slot("apigateway.role_sessions")
VPCLINKS: Slot[Resolver] = Slot("apigateway.vpclinks")  # where VPC links' load balancers answer (vpclink_resolver.py)
TLS_DOMAINS: Slot[TlsDomains] = Slot("apigateway.tls_domains")  # custom domains served over HTTPS (https_domains.py)
