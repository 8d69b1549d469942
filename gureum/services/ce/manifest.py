"""Cost Explorer's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="ce",
    services=("ce",),
    api_modules={"ce": ("gureum.services.ce.api", "gureum.services.ce.api_categories")},
    validation_errors={"ce": "ValidationException"},
    routing={"ce": Routing(target_prefix="AWSInsightsIndexService")},
    components=(Component("ce-monthly", "gureum.services.ce.monthly:run", ("ce",),
                          idle=Idle(("route53.zones", "route53.healthchecks"), also=("route53",))),),
    settings="gureum.services.ce.settings:CeSettings",
    reset="gureum.services.ce.reset:reset",
)
