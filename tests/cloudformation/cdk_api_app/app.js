// A CDK app with no assets and no bootstrap (BootstraplessSynthesizer): a REST API with a mock
// GET that needs an API key and a POST validated against a model, a gateway response, an API
// key and a usage plan on the API's stage. GUREUM_CDK_STACK names the stack, GUREUM_CDK_KEY is
// the key's value and GUREUM_CDK_QUOTA the plan's daily quota (changed by the update deploy).
const cdk = require('aws-cdk-lib');
const apigw = cdk.aws_apigateway;
const app = new cdk.App({analyticsReporting: false});
const stack = new cdk.Stack(app, process.env.GUREUM_CDK_STACK || 'GureumCdkApi', {
  synthesizer: new cdk.BootstraplessSynthesizer()});
const api = new apigw.RestApi(stack, 'Api', {cloudWatchRole: false, deployOptions: {stageName: 'live'}});
const model = api.addModel('Thing', {contentType: 'application/json', schema: {
  type: apigw.JsonSchemaType.OBJECT, required: ['name'], properties: {name: {type: apigw.JsonSchemaType.STRING}}}});
const validator = api.addRequestValidator('Body', {validateRequestBody: true});
const answer = (body) => new apigw.MockIntegration({
  requestTemplates: {'application/json': '{"statusCode": 200}'},
  integrationResponses: [{statusCode: '200', responseTemplates: {'application/json': body}}]});
const things = api.root.addResource('things');
things.addMethod('GET', answer('{"ok": true}'), {apiKeyRequired: true, methodResponses: [{statusCode: '200'}]});
things.addMethod('POST', answer('{"made": true}'), {requestValidator: validator, requestModels: {'application/json': model},
  methodResponses: [{statusCode: '200'}]});
api.addGatewayResponse('Invalid', {type: apigw.ResponseType.BAD_REQUEST_BODY, statusCode: '422',
  templates: {'application/json': '{"invalid": true}'}});
const key = api.addApiKey('Key', {value: process.env.GUREUM_CDK_KEY});
const plan = api.addUsagePlan('Plan', {quota: {limit: Number(process.env.GUREUM_CDK_QUOTA || 100), period: apigw.Period.DAY},
  throttle: {rateLimit: 50, burstLimit: 100}});
plan.addApiKey(key);
plan.addApiStage({stage: api.deploymentStage});
new cdk.CfnOutput(stack, 'ApiId', {value: api.restApiId});
new cdk.CfnOutput(stack, 'KeyId', {value: key.keyId});
new cdk.CfnOutput(stack, 'PlanId', {value: plan.usagePlanId});
app.synth();
