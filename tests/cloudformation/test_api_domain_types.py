"""API Gateway custom domains, API mappings, VPC links, models, client certificates and
documentation as CloudFormation resource types, through boto3 against a real gureum.

One stack holds an HTTP API (HTTP_PROXY to a backend this test serves) reached through a v2
DomainName and its ApiMapping (requests by Host header), a second v2 DomainName and a REST
DomainName with mutual TLS (a truststore in S3), a v2 VpcLink, a v2 Model on a WebSocket API,
a REST API whose Stage uses a ClientCertificate and a cache cluster, a DocumentationPart and a
DocumentationVersion, and a REST VpcLink on a Network Load Balancer. Every Ref and GetAtt is
checked against what the services hold. An update changes the mapping key, the v2 link's and
model's names, the certificate's and documentation's descriptions, turns the stage's cache
cluster on and mutual TLS off, all in place (same ids); a second one replaces the domain (and
its mapping), the v2 link (new subnets) and the documentation version; delete removes all."""

from __future__ import annotations

import datetime
import http.client
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from .helpers import failures, settle, statuses, uniq

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/33333333-4444-5555-6666-777777777777"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]

TEMPLATE = """
Parameters:
  Backend: {Type: String}
  Domain: {Type: String}
  MtlsDomain: {Type: String}
  RestDomain: {Type: String}
  Trust: {Type: String, Default: ""}
  Key: {Type: String, Default: v1}
  LinkName: {Type: String, Default: link-one}
  Subnets: {Type: CommaDelimitedList}
  ModelName: {Type: String, Default: ThingOne}
  CertNote: {Type: String, Default: first}
  Cache: {Type: String, Default: "false"}
  DocNote: {Type: String, Default: first}
  DocVersion: {Type: String, Default: "1.0"}
  LinkNote: {Type: String, Default: first}
Conditions:
  HasTrust: !Not [!Equals [!Ref Trust, ""]]
Resources:
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: !Sub "${AWS::StackName}-http", ProtocolType: HTTP}
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: HTTP_PROXY, IntegrationMethod: ANY, IntegrationUri: !Ref Backend,
                 PayloadFormatVersion: "1.0"}
  Hello:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: GET /hello, Target: !Sub "integrations/${Integ}"}
  Live:
    Type: AWS::ApiGatewayV2::Stage
    DependsOn: Hello
    Properties: {ApiId: !Ref Http, StageName: live, AutoDeploy: true}
  Custom:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: !Ref Domain
      DomainNameConfigurations: [{CertificateArn: !Ref CERTARN, EndpointType: REGIONAL, SecurityPolicy: TLS_1_2}]
  Mutual:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: !Ref MtlsDomain
      DomainNameConfigurations: [{CertificateArn: !Ref CERTARN}]
      MutualTlsAuthentication: !If [HasTrust, {TruststoreUri: !Ref Trust}, !Ref AWS::NoValue]
  Mapping:
    Type: AWS::ApiGatewayV2::ApiMapping
    Properties: {DomainName: !Ref Custom, ApiId: !Ref Http, Stage: !Ref Live, ApiMappingKey: !Ref Key}
  Link:
    Type: AWS::ApiGatewayV2::VpcLink
    Properties: {Name: !Ref LinkName, SubnetIds: !Ref Subnets, SecurityGroupIds: [sg-0123456789abcdef0]}
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: !Sub "${AWS::StackName}-ws", ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  Thing:
    Type: AWS::ApiGatewayV2::Model
    Properties:
      ApiId: !Ref Ws
      Name: !Ref ModelName
      ContentType: application/json
      Description: things
      Schema: {"$schema": "http://json-schema.org/draft-04/schema#", type: object, required: [name]}
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: !Sub "${AWS::StackName}-rest"}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !GetAtt Rest.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Type: MOCK, RequestTemplates: {application/json: '{"statusCode": 200}'}}
  Deploy:
    Type: AWS::ApiGateway::Deployment
    DependsOn: Get
    Properties: {RestApiId: !Ref Rest}
  ClientCert:
    Type: AWS::ApiGateway::ClientCertificate
    Properties: {Description: !Ref CertNote, Tags: [{Key: team, Value: apis}]}
  RestStage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Rest
      DeploymentId: !Ref Deploy
      StageName: prod
      ClientCertificateId: !Ref ClientCert
      CacheClusterEnabled: !Ref Cache
      CacheClusterSize: "0.5"
      MethodSettings: [{ResourcePath: "/*", HttpMethod: "*", CachingEnabled: true, CacheTtlInSeconds: 60}]
  DocPart:
    Type: AWS::ApiGateway::DocumentationPart
    Properties:
      RestApiId: !Ref Rest
      Location: {Type: API}
      Properties: !Sub '{"info": {"description": "${DocNote}"}}'
  DocVer:
    Type: AWS::ApiGateway::DocumentationVersion
    DependsOn: DocPart
    Properties: {RestApiId: !Ref Rest, DocumentationVersion: !Ref DocVersion, Description: !Ref DocNote}
  RestCustom:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: !Ref RestDomain
      RegionalCertificateArn: !Ref CERTARN
      EndpointConfiguration: {Types: [REGIONAL]}
      SecurityPolicy: TLS_1_2
      MutualTlsAuthentication: !If [HasTrust, {TruststoreUri: !Ref Trust}, !Ref AWS::NoValue]
  Nlb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Type: network, Subnets: [SUBNET0]}
  RestLink:
    Type: AWS::ApiGateway::VpcLink
    Properties: {Name: !Sub "${AWS::StackName}-link", Description: !Ref LinkNote, TargetArns: [!Ref Nlb]}
Outputs:
  Http: {Value: !Ref Http}
  Ws: {Value: !Ref Ws}
  Custom: {Value: !Ref Custom}
  RegionalName: {Value: !GetAtt Custom.RegionalDomainName}
  RegionalZone: {Value: !GetAtt Custom.RegionalHostedZoneId}
  DomainArn: {Value: !GetAtt Custom.DomainNameArn}
  Mapping: {Value: !Ref Mapping}
  MappingId: {Value: !GetAtt Mapping.ApiMappingId}
  Link: {Value: !Ref Link}
  LinkId: {Value: !GetAtt Link.VpcLinkId}
  Thing: {Value: !Ref Thing}
  ThingId: {Value: !GetAtt Thing.ModelId}
  Rest: {Value: !Ref Rest}
  ClientCert: {Value: !Ref ClientCert}
  ClientCertId: {Value: !GetAtt ClientCert.ClientCertificateId}
  DocPart: {Value: !Ref DocPart}
  DocPartId: {Value: !GetAtt DocPart.DocumentationPartId}
  DocVer: {Value: !Ref DocVer}
  RestLink: {Value: !Ref RestLink}
  RestLinkId: {Value: !GetAtt RestLink.VpcLinkId}
""".replace("!Ref CERTARN", f"'{CERT}'").replace("SUBNET0", SUBNETS[0])


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    """An HTTP server answering every GET with the path it was asked for, as JSON."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/backend"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _truststore() -> bytes:
    """A self-signed client CA in PEM: a truststore API Gateway accepts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stack-client-ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def _get(gureum: Any, host: str, path: str) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": f"{host}:{port}"})
        r = conn.getresponse()
        data = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, data


def _served(gureum: Any, host: str, path: str) -> Any:
    """The backend's answer through the custom domain, once the mapping and the auto-deployed
    stage serve it (the data plane follows the control plane's events)."""
    def answer() -> Any:
        status, body = _get(gureum, host, path)
        return body if status == 200 else None
    return wait_for(f"{host}{path} to be served", answer, 60)


def _gone(call: Any) -> bool:
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"] in ("NotFoundException", "ResourceNotFoundException")
    return False


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_domains_mappings_links_models_certificates_and_documentation(gureum: Any, backend: str) -> None:
    cfn, v2, rest, s3 = (gureum.client(s) for s in ("cloudformation", "apigatewayv2", "apigateway", "s3"))
    name = uniq("apid")
    bucket = f"trust-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="ca.pem", Body=_truststore())
    trust = f"s3://{bucket}/ca.pem"
    domain, mtls, rest_domain = (f"{p}.{name}.example.com" for p in ("api", "mtls", "rest"))
    base = {"Backend": backend, "Domain": domain, "MtlsDomain": mtls, "RestDomain": rest_domain, "Trust": trust,
            "Subnets": SUBNETS[0]}

    def params(**changes: str) -> list[dict[str, str]]:
        return [{"ParameterKey": k, "ParameterValue": v} for k, v in {**base, **changes}.items()]

    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params())
    stack = settle(cfn, name, timeout=240)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    out = _outputs(stack)

    # Ref and GetAtt as AWS documents them, each naming what the services hold
    custom = v2.get_domain_name(DomainName=domain)
    conf = custom["DomainNameConfigurations"][0]
    assert out["Custom"] == domain and conf["CertificateArn"] == CERT
    assert (out["RegionalName"], out["RegionalZone"], out["DomainArn"]) == (
        conf["ApiGatewayDomainName"], conf["HostedZoneId"], custom["DomainNameArn"])
    assert v2.get_domain_name(DomainName=mtls)["MutualTlsAuthentication"]["TruststoreUri"] == trust
    assert rest.get_domain_name(domainName=rest_domain)["mutualTlsAuthentication"]["truststoreUri"] == trust
    mapping = v2.get_api_mapping(DomainName=domain, ApiMappingId=out["Mapping"])
    assert out["MappingId"] == out["Mapping"]
    assert (mapping["ApiId"], mapping["Stage"], mapping["ApiMappingKey"]) == (out["Http"], "live", "v1")
    link = v2.get_vpc_link(VpcLinkId=out["Link"])
    assert (out["LinkId"], link["Name"], link["SubnetIds"], link["VpcLinkStatus"]) == (
        out["Link"], "link-one", SUBNETS[:1], "AVAILABLE")
    model = v2.get_model(ApiId=out["Ws"], ModelId=out["Thing"])
    assert (out["ThingId"], model["Name"], json.loads(model["Schema"])["required"]) == (out["Thing"], "ThingOne", ["name"])
    cert = rest.get_client_certificate(clientCertificateId=out["ClientCert"])
    assert out["ClientCertId"] == out["ClientCert"] and cert["description"] == "first"
    assert cert["tags"]["team"] == "apis" and "BEGIN CERTIFICATE" in cert["pemEncodedCertificate"]
    stage = rest.get_stage(restApiId=out["Rest"], stageName="prod")
    assert stage["clientCertificateId"] == out["ClientCert"] and stage["cacheClusterEnabled"] is False
    assert stage["methodSettings"]["*/*"]["cachingEnabled"] is True
    part = rest.get_documentation_part(restApiId=out["Rest"], documentationPartId=out["DocPart"])
    assert out["DocPartId"] == out["DocPart"] and json.loads(part["properties"])["info"]["description"] == "first"
    assert out["DocVer"] == "1.0"
    assert rest.get_documentation_version(restApiId=out["Rest"], documentationVersion="1.0")["description"] == "first"
    rest_link = rest.get_vpc_link(vpcLinkId=out["RestLink"])
    assert (out["RestLinkId"], rest_link["status"], rest_link["description"]) == (out["RestLink"], "AVAILABLE", "first")

    # the HTTP API through the stack's custom domain and mapping (the key stripped)
    assert _served(gureum, domain, "/v1/hello") == {"path": "/backend"}
    assert _get(gureum, domain, "/v2/hello")[0] == 403  # no mapping: Forbidden, as AWS answers

    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params(
        Key="v2", LinkName="link-two", ModelName="ThingTwo", CertNote="second", Cache="true", DocNote="second",
        LinkNote="second", Trust=""))
    stack = settle(cfn, name, timeout=240)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    new = _outputs(stack)
    same = ("Custom", "Mapping", "Link", "Thing", "ClientCert", "DocPart", "DocVer", "RestLink")
    assert {k: new[k] for k in same} == {k: out[k] for k in same}  # all in place
    assert v2.get_api_mapping(DomainName=domain, ApiMappingId=out["Mapping"])["ApiMappingKey"] == "v2"
    assert _served(gureum, domain, "/v2/hello") == {"path": "/backend"}
    assert _get(gureum, domain, "/v1/hello")[0] == 403
    assert v2.get_vpc_link(VpcLinkId=out["Link"])["Name"] == "link-two"
    assert v2.get_model(ApiId=out["Ws"], ModelId=out["Thing"])["Name"] == "ThingTwo"
    assert rest.get_client_certificate(clientCertificateId=out["ClientCert"])["description"] == "second"
    stage = rest.get_stage(restApiId=out["Rest"], stageName="prod")
    assert stage["cacheClusterEnabled"] is True and stage["cacheClusterSize"] == "0.5"
    assert stage["clientCertificateId"] == out["ClientCert"]
    part = rest.get_documentation_part(restApiId=out["Rest"], documentationPartId=out["DocPart"])
    assert json.loads(part["properties"])["info"]["description"] == "second"
    assert rest.get_documentation_version(restApiId=out["Rest"], documentationVersion="1.0")["description"] == "second"
    assert rest.get_vpc_link(vpcLinkId=out["RestLink"])["description"] == "second"
    assert "MutualTlsAuthentication" not in v2.get_domain_name(DomainName=mtls)  # mutual TLS off
    assert not rest.get_domain_name(domainName=rest_domain).get("mutualTlsAuthentication")

    moved = f"moved.{name}.example.com"
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Parameters=params(
        Key="v2", LinkName="link-two", ModelName="ThingTwo", CertNote="second", Cache="true", DocNote="second",
        LinkNote="second", Trust="", Domain=moved, Subnets=SUBNETS[1], DocVersion="2.0"))
    stack = settle(cfn, name, timeout=240)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(cfn, name)
    last = _outputs(stack)
    # replaced: a new domain with a new mapping, a new link, a new documentation version; the old ones gone
    assert last["Custom"] == moved and last["Mapping"] != out["Mapping"] and last["Link"] != out["Link"]
    assert last["DocVer"] == "2.0"
    assert _served(gureum, moved, "/v2/hello") == {"path": "/backend"}
    assert _gone(lambda: v2.get_domain_name(DomainName=domain))
    assert v2.get_vpc_link(VpcLinkId=last["Link"])["SubnetIds"] == SUBNETS[1:]
    assert wait_for("the replaced link deleted", lambda: _gone(lambda: v2.get_vpc_link(VpcLinkId=out["Link"])), 60)
    assert _gone(lambda: rest.get_documentation_version(restApiId=out["Rest"], documentationVersion="1.0"))
    assert rest.get_documentation_version(restApiId=out["Rest"], documentationVersion="2.0")["description"] == "second"

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=240)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    for call in (lambda: v2.get_domain_name(DomainName=moved), lambda: v2.get_domain_name(DomainName=mtls),
                 lambda: rest.get_domain_name(domainName=rest_domain), lambda: v2.get_api(ApiId=out["Http"]),
                 lambda: rest.get_client_certificate(clientCertificateId=out["ClientCert"]),
                 lambda: rest.get_vpc_link(vpcLinkId=out["RestLink"]), lambda: rest.get_rest_api(restApiId=out["Rest"])):
        assert _gone(call)
    assert wait_for("the link deleted", lambda: _gone(lambda: v2.get_vpc_link(VpcLinkId=last["Link"])), 60)


LINK_TO_NOWHERE = """
Resources:
  Link:
    Type: AWS::ApiGateway::VpcLink
    Properties:
      Name: !Sub "${AWS::StackName}-link"
      TargetArns: [!Sub "arn:${AWS::Partition}:elasticloadbalancing:${AWS::Region}:${AWS::AccountId}:loadbalancer/net/nowhere/0123456789abcdef"]
"""


def test_a_vpc_link_to_a_missing_load_balancer_fails_the_stack_and_leaves_nothing(gureum: Any) -> None:
    """The link goes FAILED as the service settles it: the resource fails with the service's
    reason, the stack rolls back and no link is left behind."""
    cfn, rest = gureum.client("cloudformation"), gureum.client("apigateway")
    name = uniq("nolb")
    cfn.create_stack(StackName=name, TemplateBody=LINK_TO_NOWHERE)
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE", statuses(cfn, name)
    assert any(logical == "Link" and "load balancer was not found" in reason for logical, _, reason in failures(cfn, name))
    links = [x for page in rest.get_paginator("get_vpc_links").paginate() for x in page["items"]]
    assert not [x for x in links if x["name"] == f"{name}-link"]
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE"


TAGGED_DOMAIN = """
Parameters:
  Domain: {Type: String}
  Team: {Type: String, Default: a}
Resources:
  Custom:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: !Ref Domain
      DomainNameConfigurations: [{CertificateArn: 'CERTARN'}]
      Tags: {team: !Ref Team}
""".replace("CERTARN", CERT)


def test_a_domain_name_tag_change_is_refused_and_rolled_back(gureum: Any) -> None:
    """Neither API Gateway's TagResource takes a domain name yet: a Tags change fails naming
    what, never a silent success, and the rollback keeps the domain as it was."""
    cfn, v2 = gureum.client("cloudformation"), gureum.client("apigatewayv2")
    name = uniq("dtag")
    domain = f"api.{name}.example.com"
    cfn.create_stack(StackName=name, TemplateBody=TAGGED_DOMAIN, Parameters=[{"ParameterKey": "Domain", "ParameterValue": domain}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    assert v2.get_domain_name(DomainName=domain)["Tags"]["team"] == "a"
    cfn.update_stack(StackName=name, TemplateBody=TAGGED_DOMAIN, Parameters=[
        {"ParameterKey": "Domain", "ParameterValue": domain}, {"ParameterKey": "Team", "ParameterValue": "b"}])
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE", statuses(cfn, name)
    assert any(logical == "Custom" and "Tags" in reason for logical, _, reason in failures(cfn, name))
    assert v2.get_domain_name(DomainName=domain)["Tags"]["team"] == "a"
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    assert _gone(lambda: v2.get_domain_name(DomainName=domain))
