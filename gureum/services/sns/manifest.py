"""SNS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="sns",
    services=("sns",),
    api_modules={"sns": ("gureum.services.sns.api", "gureum.services.sns.api_mobile", "gureum.services.sns.api_sms",
                         "gureum.services.sns.api_data_protection")},
    # durable http(s) deliveries and their retries
    components=(Component("sns", "gureum.services.sns.delivery:run", ("sns",), idle=Idle(("sns_topics", "sns_outbox"))),),
    # recorded push and SMS messages, handset replies (inspect_http.py); the signing
    # certificate, with AWS's file name shape (signing.py). 
    edge_routes={"/_gureum/sns/": "gureum.services.sns.inspect_http:handle"},
    # model constraints (Coral's validation): ValidationError, as AWS answers a missing DataType
    validation_errors={"sns": "ValidationError"},
    routing={"sns": Routing(query_version="2010-03-31")},
    ports={"topics": "gureum.services.sns.port:Topics"},
    settings="gureum.services.sns.settings:SnsSettings",
    reset="gureum.services.sns.reset:reset",
    denials={"sns": Denial("AuthorizationError", action_prefix="SNS")},
)
