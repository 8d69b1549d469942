"""STS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Denial, Manifest, Routing

MANIFEST = Manifest(
    package="sts",
    services=("sts",),
    api_modules={"sts": ("gureum.services.sts.api", "gureum.services.sts.api_more")},
    validation_errors={"sts": "ValidationError"},
    routing={"sts": Routing(query_version="2011-06-15")},
    reset="gureum.services.sts.reset:reset",
    denials={"sts": Denial("AccessDenied", names_reason=False)},
)
