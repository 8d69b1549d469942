"""Route 53 Resolver's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Manifest, Routing

MANIFEST = Manifest(
    package="route53resolver",
    services=("route53resolver",),
    api_modules={"route53resolver": ("gureum.services.route53resolver.api", "gureum.services.route53resolver.api_configs")},
    components=(
        # the recursive resolver (resolver.port), iterating from the registry's root
        # started with the node, not idle: clients (dig, a stub resolver, the sandboxes of Lambda
        # and ECS) send it packets without calling any API first, and a packet wakes nothing
        Component("resolver", "gureum.services.route53resolver.server:run", ("route53resolver",)),
    ),
    validation_errors={"route53resolver": "ValidationException"},
    routing={"route53resolver": Routing(target_prefix="Route53Resolver")},
    settings="gureum.services.route53resolver.settings:ResolverSettings",
    reset="gureum.services.route53resolver.reset:reset",
    denials={"route53resolver": Denial("AccessDeniedException")},
)
