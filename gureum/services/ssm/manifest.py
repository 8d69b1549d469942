"""SSM's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Denial, Manifest, Routing

MANIFEST = Manifest(
    package="ssm",
    services=("ssm",),
    api_modules={"ssm": ("gureum.services.ssm.api",)},
    validation_errors={"ssm": "ValidationException"},
    routing={"ssm": Routing(target_prefix="AmazonSSM")},
    reset="gureum.services.ssm.reset:reset",
    denials={"ssm": Denial("AccessDeniedException")},
)
