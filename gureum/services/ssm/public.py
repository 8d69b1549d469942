"""The public parameters AWS publishes under /aws/service/ that CDK and SAM templates read
(latest Amazon Linux, ECS-optimized, EKS-optimized and Bottlerocket AMIs, the
global-infrastructure regions, one parameter per region under .../regions/), served
read-only to every account. gureum runs no EC2, so the AMI ids are gureum's own stable ids of
the AWS images they name (one per name and region), in AWS's format."""

from __future__ import annotations

import hashlib
import json

_AMI_NAMES = (
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2",
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-arm64-gp2",
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-arm64-gp2",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-x86_64",
    "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id",
    "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id",
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
    "/aws/service/eks/optimized-ami/1.30/amazon-linux-2/recommended/image_id",
    "/aws/service/bottlerocket/aws-ecs-1/x86_64/latest/image_id",
    "/aws/service/bottlerocket/aws-ecs-1/arm64/latest/image_id",
    "/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id",
)
_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
            "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-south-1", "sa-east-1",
            "ca-central-1", "eu-north-1")
PREFIX = "/aws/service/"


def _ami(name: str, region: str) -> str:
    return "ami-" + hashlib.sha256(f"{name}@{region}".encode()).hexdigest()[:17]


def value(name: str, region: str) -> tuple[str, str] | None:
    """(Type, Value) of the public parameter `name`, or None."""
    if name in _AMI_NAMES:
        return "String", _ami(name, region)
    if name.startswith("/aws/service/ecs/optimized-ami/") and name.endswith("/recommended"):
        image = name + "/image_id"
        if image in _AMI_NAMES:
            return "String", json.dumps({"image_id": _ami(image, region), "os": "Amazon Linux",
                                         "ecs_agent_version": "1.86.0", "ecs_runtime_version": "Docker version 25.0.3"})
    if name.startswith("/aws/service/global-infrastructure/regions/") and name.count("/") == 5:
        region_id = name.rsplit("/", 1)[1]
        if region_id in _REGIONS:
            return "String", region_id
    return None


def names() -> list[str]:
    """Every public parameter name, sorted (GetParametersByPath under /aws/service/)."""
    out = set(_AMI_NAMES)
    out |= {f"/aws/service/global-infrastructure/regions/{r}" for r in _REGIONS}
    out |= {n[: -len("/image_id")] for n in _AMI_NAMES if n.startswith("/aws/service/ecs/") and n.endswith("/image_id")}
    return sorted(out)


def is_public(name: str) -> bool:
    return name.startswith(PREFIX)
