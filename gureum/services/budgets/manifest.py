"""Budgets' declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Denial, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="budgets",
    services=("budgets",),
    api_modules={"budgets": ("gureum.services.budgets.api", "gureum.services.budgets.api_actions")},
    validation_errors={"budgets": "InvalidParameterException"},
    denials={"budgets": Denial("AccessDeniedException")},  # AWS: AccessDeniedException
    routing={"budgets": Routing(target_prefix="AWSBudgetServiceGateway")},
    components=(Component("budgets", "gureum.services.budgets.evaluator:run", ("budgets",), idle=Idle(("budgets.budgets",))),),
    settings="gureum.services.budgets.settings:BudgetsSettings",
    reset="gureum.services.budgets.reset:reset",
)
