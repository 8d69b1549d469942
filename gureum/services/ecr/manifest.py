"""ECR's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="ecr",
    services=("ecr",),
    api_modules={"ecr": ("gureum.services.ecr.api", "gureum.services.ecr.api_registry")},
    # garbage collection, lifecycle policies, upload expiry
    components=(Component("ecr", "gureum.services.ecr.components:run", ("ecr",), idle=Idle(("ecr.repos", "ecr.uploads"))),),
    edge_routes={"/v2/": "gureum.services.ecr.http:handle"},  # the OCI registry
    validation_errors={"ecr": "InvalidParameterException"},
    routing={"ecr": Routing(target_prefix="AmazonEC2ContainerRegistry_V20150921")},
    settings="gureum.services.ecr.settings:EcrSettings",
    reset="gureum.services.ecr.reset:reset",
    denials={"ecr": Denial("AccessDeniedException")},
)
