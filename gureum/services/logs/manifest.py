"""CloudWatch Logs' declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="logs",
    services=("logs",),
    api_modules={"logs": ("gureum.services.logs.api", "gureum.services.logs.api_filters",
                          "gureum.services.logs.api_policies", "gureum.services.logs.api_exports",
                          "gureum.services.logs.api_insights", "gureum.services.logs.api_live_tail",
                          "gureum.services.logs.api_deliveries", "gureum.services.logs.api_transformers",
                          "gureum.services.logs.api_more", "gureum.services.logs.api_unserved")},
    components=(Component("logs-subscriptions", "gureum.services.logs.subscriptions:run", ("logs",),
                          idle=Idle(("logs.subscription_filters", "logs.subscription_outbox"))),
                Component("logs-exports", "gureum.services.logs.exports:run", ("logs",), idle=Idle(("logs.export_tasks",))),
                Component("logs", "gureum.services.logs.scheduled_queries:run", ("logs",),
                          idle=Idle(("logs.scheduled_queries",)))),
    edge_routes={"/_gureum/logs/": "gureum.services.logs.http:handle"},  # metric filters' datapoints
    validation_errors={"logs": "InvalidParameterException"},
    routing={"logs": Routing(target_prefix="Logs_20140328")},
    ports={"logs": "gureum.services.logs.port:Logs"},
    settings="gureum.services.logs.settings:LogsSettings",
    reset="gureum.services.logs.reset:reset",
    denials={"logs": Denial("AccessDeniedException")},
)
