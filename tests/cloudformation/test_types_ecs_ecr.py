"""ECS capacity / external-deployment and ECR registry-setting CloudFormation types through
boto3 against a real gureum: created, read back in the owning service, updated in place and by
replacement, outputs checked, and the stack's deletion undoing each.

ECS: a capacity provider (scaling and tags in place), its cluster association (default
strategy in place), two task sets of an EXTERNAL service (scale and tags in place) and the
primary task set (switched in place). ECR (in an account of its own: the settings are registry-wide): the
registry's scanning and signing configurations (rules in place), a repository creation
template (description in place) and a pull-time update exclusion (another principal: replaced)."""

from __future__ import annotations

import random
from typing import Any

from .helpers import code_of, create_stack, delete_stack, outputs, uniq, update_stack

ECS = """
Parameters:
  Target: {Type: String, Default: "100"}
  Team: {Type: String, Default: blue}
  Weight: {Type: String, Default: "1"}
  Scale: {Type: String, Default: "50"}
  Lead: {Type: String, Default: A}
Conditions:
  IsA: !Equals [!Ref Lead, A]
Resources:
  Cluster: {Type: AWS::ECS::Cluster}
  Cp:
    Type: AWS::ECS::CapacityProvider
    Properties:
      AutoScalingGroupProvider:
        AutoScalingGroupArn: !Sub "arn:${AWS::Partition}:autoscaling:${AWS::Region}:${AWS::AccountId}:autoScalingGroup:0f1e2d3c-0000-4000-8000-000000000001:autoScalingGroupName/${AWS::StackName}-asg"
        ManagedScaling: {Status: ENABLED, TargetCapacity: !Ref Target}
      Tags: [{Key: team, Value: !Ref Team}]
  Assoc:
    Type: AWS::ECS::ClusterCapacityProviderAssociations
    Properties:
      Cluster: !Ref Cluster
      CapacityProviders: [FARGATE, !Ref Cp]
      DefaultCapacityProviderStrategy: [{CapacityProvider: FARGATE, Weight: !Ref Weight, Base: 0}]
  TaskDef:
    Type: AWS::ECS::TaskDefinition
    Properties:
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "256"
      Memory: "512"
      ContainerDefinitions: [{Name: web, Image: "127.0.0.1:1/none:v1", Essential: true}]
  Service:
    Type: AWS::ECS::Service
    DependsOn: Assoc
    Properties:
      Cluster: !Ref Cluster
      DesiredCount: 0
      DeploymentController: {Type: EXTERNAL}
  SetA:
    Type: AWS::ECS::TaskSet
    Properties:
      Cluster: !Ref Cluster
      Service: !Ref Service
      TaskDefinition: !Ref TaskDef
      LaunchType: FARGATE
      ExternalId: blue
      NetworkConfiguration: {AwsvpcConfiguration: {Subnets: [subnet-0123456789abcdef0], SecurityGroups: [sg-12345678]}}
      Scale: {Unit: PERCENT, Value: !Ref Scale}
      Tags: [{Key: team, Value: !Ref Team}]
  SetB:
    Type: AWS::ECS::TaskSet
    Properties:
      Cluster: !Ref Cluster
      Service: !Ref Service
      TaskDefinition: !Ref TaskDef
      LaunchType: FARGATE
      ExternalId: green
      NetworkConfiguration: {AwsvpcConfiguration: {Subnets: [subnet-0123456789abcdef0], SecurityGroups: [sg-12345678]}}
      Scale: {Unit: PERCENT, Value: 100}
  Primary:
    Type: AWS::ECS::PrimaryTaskSet
    Properties:
      Cluster: !Ref Cluster
      Service: !Ref Service
      TaskSetId: !If [IsA, !GetAtt SetA.Id, !GetAtt SetB.Id]
Outputs:
  Cluster: {Value: !Ref Cluster}
  Cp: {Value: !Ref Cp}
  Assoc: {Value: !Ref Assoc}
  Service: {Value: !Ref Service}
  SetA: {Value: !Ref SetA}
  SetAId: {Value: !GetAtt SetA.Id}
  SetB: {Value: !GetAtt SetB.Id}
  Primary: {Value: !Ref Primary}
"""


def _task_sets(ecs: Any, cluster: str, service: str) -> dict[str, dict[str, Any]]:
    sets = ecs.describe_task_sets(cluster=cluster, service=service)["taskSets"]
    return {ts["id"]: ts for ts in sets}


def test_capacity_provider_associations_and_task_sets(gureum: Any) -> None:
    cfn, ecs = gureum.client("cloudformation"), gureum.client("ecs")
    name = uniq("ecp")
    stack = create_stack(cfn, name, ECS, {})
    out = outputs(stack)
    cluster, cp, service = out["Cluster"], out["Cp"], out["Service"]
    assert out["Assoc"] == cluster
    assert out["Primary"] == f"{cluster}|{service}"
    assert out["SetA"] == f"{cluster}|{service}|{out['SetAId']}" and out["SetAId"].startswith("ecs-svc/")

    provider = ecs.describe_capacity_providers(capacityProviders=[cp], include=["TAGS"])["capacityProviders"][0]
    assert provider["status"] == "ACTIVE"
    assert provider["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 100
    assert {"key": "team", "value": "blue"} in provider["tags"]
    described = ecs.describe_clusters(clusters=[cluster])["clusters"][0]
    assert described["capacityProviders"] == ["FARGATE", cp]
    assert described["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]
    sets = _task_sets(ecs, cluster, service)
    a, b = sets[out["SetAId"]], sets[out["SetB"]]
    assert (a["status"], a["externalId"], a["scale"]["value"]) == ("PRIMARY", "blue", 50.0)
    assert {"key": "team", "value": "blue"} in ecs.list_tags_for_resource(resourceArn=a["taskSetArn"])["tags"]
    assert (b["status"], b["externalId"], b["scale"]["value"]) == ("ACTIVE", "green", 100.0)

    # in place: scaling, tags, the default strategy's weight, task set A's scale, and the primary
    stack = update_stack(cfn, name, ECS, {"Target": "80", "Team": "red", "Weight": "3", "Scale": "25", "Lead": "B"})
    after = outputs(stack)
    assert (after["Cp"], after["SetAId"], after["SetB"]) == (cp, out["SetAId"], out["SetB"])
    provider = ecs.describe_capacity_providers(capacityProviders=[cp], include=["TAGS"])["capacityProviders"][0]
    assert provider["autoScalingGroupProvider"]["managedScaling"]["targetCapacity"] == 80
    assert {"key": "team", "value": "red"} in provider["tags"]
    described = ecs.describe_clusters(clusters=[cluster])["clusters"][0]
    assert described["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 3, "base": 0}]
    sets = _task_sets(ecs, cluster, service)
    assert sets[out["SetAId"]]["scale"]["value"] == 25.0
    set_tags = ecs.list_tags_for_resource(resourceArn=sets[out["SetAId"]]["taskSetArn"])["tags"]
    assert {"key": "team", "value": "red"} in set_tags and {"key": "team", "value": "blue"} not in set_tags
    assert (sets[out["SetAId"]]["status"], sets[out["SetB"]]["status"]) == ("ACTIVE", "PRIMARY")

    delete_stack(cfn, stack)
    assert ecs.describe_capacity_providers(capacityProviders=[cp])["capacityProviders"][0]["status"] == "INACTIVE"
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "INACTIVE"


ECR = """
Parameters:
  Filter: {Type: String}
  Profile: {Type: String}
  Prefix: {Type: String}
  Description: {Type: String}
  RoleName: {Type: String}
Resources:
  Scanning:
    Type: AWS::ECR::RegistryScanningConfiguration
    Properties:
      ScanType: BASIC
      Rules: [{ScanFrequency: SCAN_ON_PUSH, RepositoryFilters: [{Filter: !Ref Filter, FilterType: WILDCARD}]}]
  Signing:
    Type: AWS::ECR::SigningConfiguration
    Properties:
      Rules:
        - SigningProfileArn: !Sub "arn:${AWS::Partition}:signer:${AWS::Region}:${AWS::AccountId}:/signing-profiles/${Profile}"
          RepositoryFilters: [{Filter: "team*", FilterType: WILDCARD_MATCH}]
  Template:
    Type: AWS::ECR::RepositoryCreationTemplate
    Properties:
      Prefix: !Ref Prefix
      AppliedFor: [CREATE_ON_PUSH]
      Description: !Ref Description
      ImageTagMutability: IMMUTABLE
      ResourceTags: [{Key: team, Value: blue}]
  Exclusion:
    Type: AWS::ECR::PullTimeUpdateExclusion
    Properties:
      PrincipalArn: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${RoleName}"
Outputs:
  Scanning: {Value: !Ref Scanning}
  ScanningRegistry: {Value: !GetAtt Scanning.RegistryId}
  Signing: {Value: !Ref Signing}
  SigningRegistry: {Value: !GetAtt Signing.RegistryId}
  Template: {Value: !Ref Template}
  Created: {Value: !GetAtt Template.CreatedAt}
  Updated: {Value: !GetAtt Template.UpdatedAt}
  Exclusion: {Value: !Ref Exclusion}
"""


def test_registry_scanning_signing_templates_and_exclusions(gureum: Any) -> None:
    account = str(random.randint(10**11, 10**12 - 1))  # the registry's settings are the account's own
    cfn = gureum.client("cloudformation", aws_access_key_id=account, aws_secret_access_key="x")
    ecr = gureum.client("ecr", aws_access_key_id=account, aws_secret_access_key="x")
    name = uniq("ecrs")
    params = {"Filter": "prod*", "Profile": "first_profile", "Prefix": f"{name}-team", "Description": "one",
              "RoleName": "scanner"}
    stack = create_stack(cfn, name, ECR, params)
    out = outputs(stack)
    assert out["Scanning"] == out["ScanningRegistry"] == out["Signing"] == out["SigningRegistry"] == account
    assert out["Template"] == f"{name}-team"
    scanning = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    assert scanning["rules"] == [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [{"filter": "prod*",
                                                                                        "filterType": "WILDCARD"}]}]
    rules = ecr.get_signing_configuration()["signingConfiguration"]["rules"]
    assert rules[0]["signingProfileArn"].endswith(":/signing-profiles/first_profile")
    template = ecr.describe_repository_creation_templates(prefixes=[f"{name}-team"])["repositoryCreationTemplates"][0]
    assert (template["description"], template["imageTagMutability"]) == ("one", "IMMUTABLE")
    assert template["resourceTags"] == [{"Key": "team", "Value": "blue"}]
    excluded = ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"]
    assert out["Exclusion"] in excluded and out["Exclusion"].endswith(f":{account}:role/scanner")

    # rules and the description in place; another principal replaces the exclusion
    params.update({"Filter": "stage*", "Profile": "second_profile", "Description": "two", "RoleName": "builder"})
    stack = update_stack(cfn, name, ECR, params)
    after = outputs(stack)
    assert after["Template"] == out["Template"] and after["Created"] == out["Created"]
    assert after["Updated"] >= out["Updated"]
    scanning = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    assert scanning["rules"][0]["repositoryFilters"][0]["filter"] == "stage*"
    rules = ecr.get_signing_configuration()["signingConfiguration"]["rules"]
    assert rules[0]["signingProfileArn"].endswith(":/signing-profiles/second_profile")
    template = ecr.describe_repository_creation_templates(prefixes=[f"{name}-team"])["repositoryCreationTemplates"][0]
    assert template["description"] == "two"
    assert ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == [after["Exclusion"]]
    assert after["Exclusion"].endswith(":role/builder")

    delete_stack(cfn, stack)
    assert ecr.get_registry_scanning_configuration()["scanningConfiguration"] == {"scanType": "BASIC", "rules": []}
    assert code_of(ecr.get_signing_configuration) == "SigningConfigurationNotFoundException"
    assert ecr.describe_repository_creation_templates()["repositoryCreationTemplates"] == []
    assert ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == []
