"""ACM's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="acm",
    services=("acm",),
    api_modules={"acm": ("gureum.services.acm.api",)},
    components=(Component("acm-validator", "gureum.services.acm.validator:run", ("acm",), idle=Idle(("acm_certs",))),  # DNS validation
                Component("acm-renewal", "gureum.services.acm.renewal:run", ("acm",), idle=Idle(("acm_certs",)))),  # managed renewal
    # /_gureum/ca.pem, gureum's root CA certificate, and /_gureum/acm/approve, the EMAIL
    # validation's approval link (any other /_gureum/ path is passed on)
    edge_routes={"/_gureum/": "gureum.services.acm.edge:handle"},
    validation_errors={"acm": "ValidationException"},
    routing={"acm": Routing(target_prefix="CertificateManager")},
    reset="gureum.services.acm.reset:reset",
)
