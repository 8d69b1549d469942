"""API Gateway REST APIs (v1): the `apigateway` control plane and the execute-api data plane."""
