"""Budgets' declaration for the registry (see gureum/services/manifest.py)."""

from gureum.services.manifest import Component, Idle, Manifest, Routing

MANIFEST = Manifest(
    package="budgets",
    services=("budgets",),
    api_modules={"budgets": ("gureum.services.budgets.api",)},
    validation_errors={"budgets": "InvalidParameterException"},
    routing={"budgets": Routing(target_prefix="AWSBudgetServiceGateway")},
    components=(Component("budgets", "gureum.services.budgets.evaluator:run", ("budgets",), idle=Idle(("budgets.budgets",))),),
    settings="gureum.services.budgets.settings:BudgetsSettings",
    reset="gureum.services.budgets.reset:reset",
)
