"""API Gateway's HTTP and WebSocket APIs (`apigatewayv2`) and the WebSocket management API
(`apigatewaymanagementapi`): the control plane, and the execute-api front door serving them
(REST APIs, `apigateway`, are gureum/services/apigateway/'s)."""
