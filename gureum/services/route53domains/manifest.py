"""Route 53 Domains' declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

DOMAINS = ("route53domains.domains", "route53domains.operations")  # rows: its components have work

MANIFEST = Manifest(
    package="route53domains",
    services=("route53domains",),
    api_modules={"route53domains": ("gureum.services.route53domains.api",)},
    components=(
        # the registry's root and TLD zones, served by route53's DNS server
        Component("domains-registry", "gureum.services.route53domains.zones:run", ("route53domains",),
                  idle=Idle(DOMAINS)),
        Component("domains-operations", "gureum.services.route53domains.operations:run", ("route53domains",),
                  idle=Idle(DOMAINS)),
        Component("domains-whois", "gureum.services.route53domains.whois:run", ("route53domains",),
                  idle=Idle(DOMAINS, start_if="domains.whois_port")),  # domains.whois_port
    ),
    validation_errors={"route53domains": "InvalidInput"},
    routing={"route53domains": Routing(target_prefix="Route53Domains_v20140515")},
    settings="gureum.services.route53domains.settings:DomainsSettings",
    reset="gureum.services.route53domains.reset:reset",
)
