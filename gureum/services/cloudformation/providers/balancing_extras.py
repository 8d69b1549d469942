"""More load balancing resource types, made by the elbv2 service's own handlers:
AWS::ElasticLoadBalancingV2::ListenerCertificate (the certificates added to an HTTPS or TLS
listener's list beside its default one: AddListenerCertificates; a change of Certificates
removes the dropped ones and adds the new ones in place, a new ListenerArn replaces it; AWS
documents no Ref value: the physical id is a generated name)."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    provider,
    refuse_unapplied,
    updating,
)

ELB = "elbv2"
TYPE = "AWS::ElasticLoadBalancingV2::ListenerCertificate"


def _arns(props: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for cert in props.get("Certificates") or ():
        refuse_unapplied(f"{TYPE} Certificate", cert, ("CertificateArn",))
        out.append(str(cert["CertificateArn"]))
    return out


async def _change(ctx: ResourceContext, listener: str, operation: str, arns: list[str]) -> None:
    if arns:
        await ctx.call(ELB, operation, {"ListenerArn": listener, "Certificates": [{"CertificateArn": a} for a in arns]})


@provider(TYPE)
async def create_listener_certificate(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(TYPE, props, ("Certificates", "ListenerArn"))
    await _change(ctx, str(props["ListenerArn"]), "AddListenerCertificates", _arns(props))
    return Done(ctx.name())


@updating(TYPE)
async def update_listener_certificate(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                      done: Done) -> Done:
    refuse_unapplied(TYPE, new, ("Certificates", "ListenerArn"))
    before, after = _arns(old), _arns(new)
    await _change(ctx, str(new["ListenerArn"]), "AddListenerCertificates", [a for a in after if a not in before])
    await _change(ctx, str(new["ListenerArn"]), "RemoveListenerCertificates", [a for a in before if a not in after])
    return done


@deleting(TYPE)
async def delete_listener_certificate(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await _change(ctx, str(props["ListenerArn"]), "RemoveListenerCertificates", _arns(props))
    except AwsError as e:
        if e.code not in ("ListenerNotFound", "CertificateNotFound"):
            raise
