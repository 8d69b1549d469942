"""STS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Manifest

MANIFEST = Manifest(
    package="sts",
    services=("sts",),
    api_modules={"sts": ("gureum.services.sts.api",)},
    validation_errors={"sts": "ValidationError"},
    reset="gureum.services.sts.reset:reset",
)
