"""ECS's declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="ecs",
    services=("ecs",),
    api_modules={"ecs": ("gureum.services.ecs.api", "gureum.services.ecs.unavailable", "gureum.services.ecs.api_deployments",
                          "gureum.services.ecs.api_agent")},
    # the task agent and the service scheduler; an agent node runs the task agent too
    components=(Component("ecs", "gureum.services.ecs.agent:run", ("ecs",), on_agent=True, idle=Idle(("ecs.clusters", "ecs.tasks"))),),
    validation_errors={"ecs": "InvalidParameterException"},
    routing={"ecs": Routing(target_prefix="AmazonEC2ContainerServiceV20141113")},
    settings="gureum.services.ecs.settings:EcsSettings",
    reset="gureum.services.ecs.reset:reset",
    denials={"ecs": Denial("AccessDeniedException")},
    status="gureum.services.ecs.node_status:status",
    handover="gureum.services.ecs.node_status:handover",
)
