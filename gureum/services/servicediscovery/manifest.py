"""Cloud Map's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Manifest

MANIFEST = Manifest(
    package="servicediscovery",
    services=("servicediscovery",),
    api_modules={"servicediscovery": ("gureum.services.servicediscovery.api",)},
    validation_errors={"servicediscovery": "InvalidInput"},
    reset="gureum.services.servicediscovery.reset:reset",
)
