"""Amazon ECS and Fargate: the API (api.py, model.py, services.py) and the node's task
agent (agent.py, taskrun.py) that runs tasks as real containers under runc or crun
(ecs.oci_runtime)."""
