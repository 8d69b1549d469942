"""ECS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Manifest

MANIFEST = Manifest(
    package="ecs",
    services=("ecs",),
    api_modules={"ecs": ("gureum.services.ecs.api",)},
    # the task agent and the service scheduler; an agent node runs the task agent too
    components=(Component("ecs", "gureum.services.ecs.agent:run", ("ecs",), on_agent=True),),
    validation_errors={"ecs": "InvalidParameterException"},
    settings="gureum.services.ecs.settings:EcsSettings",
    reset="gureum.services.ecs.reset:reset",
)
