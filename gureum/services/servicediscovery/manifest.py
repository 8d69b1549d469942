"""Cloud Map's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Denial, Manifest, Routing

MANIFEST = Manifest(
    package="servicediscovery",
    services=("servicediscovery",),
    api_modules={"servicediscovery": ("gureum.services.servicediscovery.api", "gureum.services.servicediscovery.api_more")},
    validation_errors={"servicediscovery": "InvalidInput"},
    routing={"servicediscovery": Routing(target_prefix="Route53AutoNaming_v20170314")},
    reset="gureum.services.servicediscovery.reset:reset",
    denials={"servicediscovery": Denial("AccessDeniedException")},
)
