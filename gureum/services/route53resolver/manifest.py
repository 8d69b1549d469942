"""Route 53 Resolver's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="route53resolver",
    services=("route53resolver",),
    api_modules={"route53resolver": ("gureum.services.route53resolver.api", "gureum.services.route53resolver.api_configs")},
    components=(
        # the recursive resolver (resolver.port), iterating from the registry's root
        Component("resolver", "gureum.services.route53resolver.server:run", ("route53resolver",),
                  # the sandboxes of Lambda and ECS resolve names through it
                  idle=Idle(("route53resolver.endpoints", "route53resolver.rules", "lambda.functions", "ecs.clusters"),
                            also=("lambda", "ecs"))),
    ),
    validation_errors={"route53resolver": "ValidationException"},
    routing={"route53resolver": Routing(target_prefix="Route53Resolver")},
    settings="gureum.services.route53resolver.settings:ResolverSettings",
    reset="gureum.services.route53resolver.reset:reset",
    denials={"route53resolver": Denial("AccessDeniedException")},
)
