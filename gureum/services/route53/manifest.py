"""Route 53's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="route53",
    services=("route53",),
    api_modules={"route53": (
        "gureum.services.route53.api",
        "gureum.services.route53.cidr",
        "gureum.services.route53.dnssec_api",
        "gureum.services.route53.geo_locations",
        "gureum.services.route53.health",
        "gureum.services.route53.querylog",
        "gureum.services.route53.traffic",
    )},
    components=(
        # the authoritative DNS server; an agent runs one for its tasks' resolvers
        Component("dns", "gureum.services.route53.server:run", ("route53",), on_agent=True),
        Component("route53-health", "gureum.services.route53.health:run", ("route53",), idle=Idle(("route53.healthchecks",))),  # probes
    ),
    validation_errors={"route53": "InvalidInput"},
    routing={"route53": Routing(rest=True)},
    settings="gureum.services.route53.settings:Route53Settings",
    reset="gureum.services.route53.reset:reset",
    denials={"route53": Denial("AccessDenied")},
)
