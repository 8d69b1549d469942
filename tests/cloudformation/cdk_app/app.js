// A CDK app: a queue, a parameter naming it, and a Lambda function whose code is a file asset
// (uploaded by `cdk deploy` to the bootstrap bucket). GUREUM_CDK_STACK names the stack and
// GUREUM_CDK_VISIBILITY changes the queue for the update deploy.
const cdk = require('aws-cdk-lib');
const app = new cdk.App();
const stack = new cdk.Stack(app, process.env.GUREUM_CDK_STACK || 'GureumCdk', {env: {account: '000000000000', region: 'us-east-1'}});
const queue = new cdk.aws_sqs.Queue(stack, 'Queue', {
  visibilityTimeout: cdk.Duration.seconds(Number(process.env.GUREUM_CDK_VISIBILITY || 30))});
new cdk.aws_ssm.StringParameter(stack, 'Param', {parameterName: `/${stack.stackName}/queue`, stringValue: queue.queueUrl});
const fn = new cdk.aws_lambda.Function(stack, 'Fn', {
  runtime: cdk.aws_lambda.Runtime.PYTHON_3_12, handler: 'index.handler',
  code: cdk.aws_lambda.Code.fromAsset(__dirname + '/fn'), environment: {QUEUE: queue.queueUrl}});
new cdk.CfnOutput(stack, 'QueueUrl', {value: queue.queueUrl});
new cdk.CfnOutput(stack, 'FunctionName', {value: fn.functionName});
app.synth();
