"""SES's declaration for the registry (see gureum/services/manifest.py): `ses` (v1, query)
and `sesv2` (rest-json) both sign as "ses" and share this package's state."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="ses",
    services=("ses", "sesv2"),
    api_modules={"ses": ("gureum.services.ses.api_v1", "gureum.services.ses.api_receipt",
                         "gureum.services.ses.api_custom_verification", "gureum.services.ses.api_events"),
                 "sesv2": ("gureum.services.ses.api_v2", "gureum.services.ses.api_custom_verification",
                           "gureum.services.ses.api_events", "gureum.services.ses.api_contacts")},
    components=(
        Component("ses", "gureum.services.ses.worker:run", ("ses", "sesv2"),
                  idle=Idle(("ses_identities", "ses_relay_queue"))),  # relay, domain verification
        Component("ses-smtp", "gureum.services.ses.smtp_server:run", ("ses",), idle=Idle(("ses_rule_sets",), start_if="ses.smtp_port")),  # inbound mail
    ),
    # sent messages, the verification link
    edge_routes={"/_gureum/ses/": "gureum.services.ses.inspect_http:handle"},
    validation_errors={"ses": "ValidationError", "sesv2": "BadRequestException"},
    routing={"ses": Routing(query_version="2010-12-01"), "sesv2": Routing(signing_name="ses", rest=True)},
    settings="gureum.services.ses.settings:SesSettings",
    reset="gureum.services.ses.reset:reset",
)
