"""Service deployments and revisions through boto3 (ListServiceDeployments,
DescribeServiceDeployments, DescribeServiceRevisions, StopServiceDeployment,
ContinueServiceDeployment) as the service scheduler rolls services out, and
ListServicesByNamespace for Service Connect namespaces of Cloud Map."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, err, uniq
from .test_tasks import HTTPD, register


def deployments(ecs, name: str, **kw) -> list[dict]:
    return ecs.list_service_deployments(service=name, **kw)["serviceDeployments"]


def status_of(ecs, arn: str) -> str:
    return str(ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]["status"])


def test_each_rollout_records_a_deployment_and_a_revision(ecs):
    td1 = register(ecs, "127.0.0.1:1/none:v1", [{"name": "a"}])
    td2 = register(ecs, "127.0.0.1:1/none:v2", [{"name": "a"}])
    name = uniq("hist")
    ecs.create_service(serviceName=name, taskDefinition=td1, desiredCount=0, launchType="FARGATE", networkConfiguration=AWSVPC)
    first = wait_for("the first deployment SUCCESSFUL", lambda: [d for d in deployments(ecs, name) if d["status"] == "SUCCESSFUL"])[0]
    assert first["serviceArn"].endswith(f"service/default/{name}") and ":service-deployment/default/" in first["serviceDeploymentArn"]
    ecs.update_service(service=name, taskDefinition=td2)
    both = wait_for("two SUCCESSFUL deployments", lambda: (lambda ds: ds if len(ds) == 2 and all(d["status"] == "SUCCESSFUL" for d in ds) else None)(deployments(ecs, name)))
    newest = both[0]
    assert newest["serviceDeploymentArn"] != first["serviceDeploymentArn"]  # newest first
    detail = ecs.describe_service_deployments(serviceDeploymentArns=[newest["serviceDeploymentArn"], "arn:aws:ecs:us-east-1:000000000000:service-deployment/default/x/1"])
    assert detail["failures"][0]["reason"] == "MISSING"
    d = detail["serviceDeployments"][0]
    assert d["targetServiceRevision"]["arn"] == newest["targetServiceRevisionArn"]
    assert [s["arn"] for s in d["sourceServiceRevisions"]] == [first["targetServiceRevisionArn"]]
    assert d["deploymentConfiguration"]["maximumPercent"] == 200
    revs = ecs.describe_service_revisions(serviceRevisionArns=[first["targetServiceRevisionArn"], newest["targetServiceRevisionArn"]])["serviceRevisions"]
    assert [r["taskDefinition"] for r in revs] == [td1, td2]
    assert revs[1]["containerImages"] == [{"containerName": "a", "image": "127.0.0.1:1/none:v2"}]
    assert revs[1]["launchType"] == "FARGATE" and revs[1]["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
    assert deployments(ecs, name, status=["IN_PROGRESS"]) == []
    seen, token = [], None
    while True:
        page = ecs.list_service_deployments(service=name, maxResults=1, **({"nextToken": token} if token else {}))
        assert len(page["serviceDeployments"]) == 1
        seen.append(page["serviceDeployments"][0]["serviceDeploymentArn"])
        token = page.get("nextToken")
        if not token:
            break
    assert seen == [x["serviceDeploymentArn"] for x in both]
    with pytest.raises(ClientError) as e:
        ecs.stop_service_deployment(serviceDeploymentArn=newest["serviceDeploymentArn"])
    assert err(e)[0] == "ConflictException"
    with pytest.raises(ClientError) as e:
        ecs.continue_service_deployment(serviceDeploymentArn=newest["serviceDeploymentArn"], hookId="hook-1")
    assert err(e)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        ecs.stop_service_deployment(serviceDeploymentArn="arn:aws:ecs:us-east-1:000000000000:service-deployment/default/x/1")
    assert err(e)[0] == "ServiceDeploymentNotFoundException"
    with pytest.raises(ClientError) as e:
        ecs.list_service_deployments(service=uniq("nope"))
    assert err(e)[0] == "ServiceNotFoundException"


def test_a_newer_deployment_stops_one_still_in_progress_and_stop_rolls_back(ecs):
    """Tasks of an image that cannot be pulled never run: the rollouts stay IN_PROGRESS."""
    td1 = register(ecs, "127.0.0.1:1/missing:v1", [{"name": "a"}])
    td2 = register(ecs, "127.0.0.1:1/missing:v2", [{"name": "a"}])
    td3 = register(ecs, "127.0.0.1:1/missing:v3", [{"name": "a"}])
    name = uniq("stop")
    ecs.create_service(serviceName=name, taskDefinition=td1, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC)
    ecs.update_service(service=name, taskDefinition=td2)
    ds = deployments(ecs, name)
    assert [d["status"] for d in ds] == ["IN_PROGRESS", "STOPPED"]
    ecs.update_service(service=name, taskDefinition=td3)
    third = deployments(ecs, name)[0]
    assert third["status"] == "IN_PROGRESS"
    assert ecs.stop_service_deployment(serviceDeploymentArn=third["serviceDeploymentArn"], stopType="ROLLBACK")["serviceDeploymentArn"] == third["serviceDeploymentArn"]
    d = ecs.describe_service_deployments(serviceDeploymentArns=[third["serviceDeploymentArn"]])["serviceDeployments"][0]
    assert d["status"] == "ROLLBACK_IN_PROGRESS" and d["rollback"]["serviceRevisionArn"] == d["sourceServiceRevisions"][0]["arn"]
    svc = ecs.describe_services(services=[name])["services"][0]
    assert svc["taskDefinition"] == td2  # the source revision's task definition is the service's again
    assert svc["deployments"][0]["taskDefinition"] == td2 and svc["deployments"][0]["status"] == "PRIMARY"
    with pytest.raises(ClientError) as e:
        ecs.stop_service_deployment(serviceDeploymentArn=third["serviceDeploymentArn"])
    assert err(e)[0] == "ConflictException"
    ecs.delete_service(service=name, force=True)


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_rollback_of_a_broken_rollout_completes_on_the_running_revision(ecs, image):
    good = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    broken = register(ecs, "127.0.0.1:1/missing:v1", [{"name": "web"}])
    name = uniq("rb")
    ecs.create_service(serviceName=name, taskDefinition=good, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC)
    wait_for("the first rollout", lambda: [d for d in deployments(ecs, name) if d["status"] == "SUCCESSFUL"], timeout=120)
    ecs.update_service(service=name, taskDefinition=broken)
    bad = deployments(ecs, name)[0]
    ecs.stop_service_deployment(serviceDeploymentArn=bad["serviceDeploymentArn"])
    wait_for("ROLLBACK_SUCCESSFUL", lambda: status_of(ecs, bad["serviceDeploymentArn"]) == "ROLLBACK_SUCCESSFUL", timeout=120)
    svc = ecs.describe_services(services=[name])["services"][0]
    assert svc["taskDefinition"] == good and svc["runningCount"] == 1
    ecs.update_service(service=name, desiredCount=0)
    ecs.delete_service(service=name)


def test_list_services_by_namespace(gureum, ecs):
    sd = gureum.client("servicediscovery")
    ns_name = uniq("mesh")
    op = sd.create_http_namespace(Name=ns_name)["OperationId"]
    ns_id = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
    ns_arn = sd.get_namespace(Id=ns_id)["Namespace"]["Arn"]
    td = register(ecs, "127.0.0.1:1/none:v1", [{"name": "a"}])
    names = [uniq("sc"), uniq("sc")]
    for n in names:
        ecs.create_service(serviceName=n, taskDefinition=td, desiredCount=0, launchType="FARGATE", networkConfiguration=AWSVPC,
                           serviceConnectConfiguration={"enabled": True, "namespace": ns_name})
    ecs.create_service(serviceName=uniq("plain"), taskDefinition=td, desiredCount=0, launchType="FARGATE", networkConfiguration=AWSVPC)
    listed = ecs.list_services_by_namespace(namespace=ns_arn)["serviceArns"]
    assert sorted(a.rsplit("/", 1)[-1] for a in listed) == sorted(names)
    assert ecs.list_services_by_namespace(namespace=ns_name)["serviceArns"] == listed
    first = ecs.list_services_by_namespace(namespace=ns_name, maxResults=1)
    second = ecs.list_services_by_namespace(namespace=ns_name, maxResults=1, nextToken=first["nextToken"])
    assert first["serviceArns"] + second["serviceArns"] == listed and "nextToken" not in second
    with pytest.raises(ClientError) as e:
        ecs.list_services_by_namespace(namespace=uniq("nowhere"))
    assert err(e)[0] == "NamespaceNotFoundException"
    with pytest.raises(ClientError) as e:
        ecs.create_service(serviceName=uniq("sc"), taskDefinition=td, desiredCount=0, launchType="FARGATE", networkConfiguration=AWSVPC,
                           serviceConnectConfiguration={"enabled": True, "namespace": uniq("nowhere")})
    assert err(e)[0] == "NamespaceNotFoundException"


@pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
@pytest.mark.xdist_group("ecs-containers")
def test_the_circuit_breaker_rollback_is_recorded_on_the_deployment(ecs, image):
    good = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    broken = register(ecs, image.rsplit(":", 1)[0] + ":does-not-exist", [{"name": "web"}])
    name = uniq("cb")
    ecs.create_service(serviceName=name, taskDefinition=good, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True},
                                                "maximumPercent": 200, "minimumHealthyPercent": 100})
    wait_for("the first rollout", lambda: [d for d in deployments(ecs, name) if d["status"] == "SUCCESSFUL"], timeout=120)
    ecs.update_service(service=name, taskDefinition=broken)
    bad = deployments(ecs, name)[0]
    done = wait_for("ROLLBACK_SUCCESSFUL", lambda: (lambda d: d if d["status"] == "ROLLBACK_SUCCESSFUL" else None)(
        ecs.describe_service_deployments(serviceDeploymentArns=[bad["serviceDeploymentArn"]])["serviceDeployments"][0]), timeout=150)
    assert done["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert done["rollback"]["serviceRevisionArn"] == done["sourceServiceRevisions"][0]["arn"]
    assert ecs.describe_services(services=[name])["services"][0]["taskDefinition"] == good
    ecs.delete_service(service=name, force=True)
