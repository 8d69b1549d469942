package com.amazonaws.services.lambda.runtime.events;

import java.util.List;
import java.util.Map;

/** A function URL's (and an HTTP API's payload 2.0) request (aws-lambda-java-events' APIGatewayV2HTTPEvent). */
public class APIGatewayV2HTTPEvent {

    private String version;
    private String routeKey;
    private String rawPath;
    private String rawQueryString;
    private List<String> cookies;
    private Map<String, String> headers;
    private Map<String, String> queryStringParameters;
    private Map<String, String> pathParameters;
    private Map<String, String> stageVariables;
    private String body;
    private boolean isBase64Encoded;
    private RequestContext requestContext;
    public String getVersion() { return version; }
    public void setVersion(String version) { this.version = version; }
    public String getRouteKey() { return routeKey; }
    public void setRouteKey(String routeKey) { this.routeKey = routeKey; }
    public String getRawPath() { return rawPath; }
    public void setRawPath(String rawPath) { this.rawPath = rawPath; }
    public String getRawQueryString() { return rawQueryString; }
    public void setRawQueryString(String rawQueryString) { this.rawQueryString = rawQueryString; }
    public List<String> getCookies() { return cookies; }
    public void setCookies(List<String> cookies) { this.cookies = cookies; }
    public Map<String, String> getHeaders() { return headers; }
    public void setHeaders(Map<String, String> headers) { this.headers = headers; }
    public Map<String, String> getQueryStringParameters() { return queryStringParameters; }
    public void setQueryStringParameters(Map<String, String> queryStringParameters) { this.queryStringParameters = queryStringParameters; }
    public Map<String, String> getPathParameters() { return pathParameters; }
    public void setPathParameters(Map<String, String> pathParameters) { this.pathParameters = pathParameters; }
    public Map<String, String> getStageVariables() { return stageVariables; }
    public void setStageVariables(Map<String, String> stageVariables) { this.stageVariables = stageVariables; }
    public String getBody() { return body; }
    public void setBody(String body) { this.body = body; }
    public boolean getIsBase64Encoded() { return isBase64Encoded; }
    public void setIsBase64Encoded(boolean isBase64Encoded) { this.isBase64Encoded = isBase64Encoded; }
    public RequestContext getRequestContext() { return requestContext; }
    public void setRequestContext(RequestContext requestContext) { this.requestContext = requestContext; }

    public static class RequestContext {
        private String routeKey;
        private String accountId;
        private String stage;
        private String apiId;
        private String domainName;
        private String domainPrefix;
        private String time;
        private long timeEpoch;
        private Http http;
        private String requestId;
        private Authorizer authorizer;
        public String getRouteKey() { return routeKey; }
        public void setRouteKey(String routeKey) { this.routeKey = routeKey; }
        public String getAccountId() { return accountId; }
        public void setAccountId(String accountId) { this.accountId = accountId; }
        public String getStage() { return stage; }
        public void setStage(String stage) { this.stage = stage; }
        public String getApiId() { return apiId; }
        public void setApiId(String apiId) { this.apiId = apiId; }
        public String getDomainName() { return domainName; }
        public void setDomainName(String domainName) { this.domainName = domainName; }
        public String getDomainPrefix() { return domainPrefix; }
        public void setDomainPrefix(String domainPrefix) { this.domainPrefix = domainPrefix; }
        public String getTime() { return time; }
        public void setTime(String time) { this.time = time; }
        public long getTimeEpoch() { return timeEpoch; }
        public void setTimeEpoch(long timeEpoch) { this.timeEpoch = timeEpoch; }
        public Http getHttp() { return http; }
        public void setHttp(Http http) { this.http = http; }
        public String getRequestId() { return requestId; }
        public void setRequestId(String requestId) { this.requestId = requestId; }
        public Authorizer getAuthorizer() { return authorizer; }
        public void setAuthorizer(Authorizer authorizer) { this.authorizer = authorizer; }

        public static class Http {
            private String method;
            private String path;
            private String protocol;
            private String sourceIp;
            private String userAgent;
            public String getMethod() { return method; }
            public void setMethod(String method) { this.method = method; }
            public String getPath() { return path; }
            public void setPath(String path) { this.path = path; }
            public String getProtocol() { return protocol; }
            public void setProtocol(String protocol) { this.protocol = protocol; }
            public String getSourceIp() { return sourceIp; }
            public void setSourceIp(String sourceIp) { this.sourceIp = sourceIp; }
            public String getUserAgent() { return userAgent; }
            public void setUserAgent(String userAgent) { this.userAgent = userAgent; }
        }

        public static class IAM {
            private String accessKey;
            private String accountId;
            private String callerId;
            private String principalOrgId;
            private String userArn;
            private String userId;
            public String getAccessKey() { return accessKey; }
            public void setAccessKey(String accessKey) { this.accessKey = accessKey; }
            public String getAccountId() { return accountId; }
            public void setAccountId(String accountId) { this.accountId = accountId; }
            public String getCallerId() { return callerId; }
            public void setCallerId(String callerId) { this.callerId = callerId; }
            public String getPrincipalOrgId() { return principalOrgId; }
            public void setPrincipalOrgId(String principalOrgId) { this.principalOrgId = principalOrgId; }
            public String getUserArn() { return userArn; }
            public void setUserArn(String userArn) { this.userArn = userArn; }
            public String getUserId() { return userId; }
            public void setUserId(String userId) { this.userId = userId; }
        }

        public static class Authorizer {
            private Map<String, Object> lambda;
            private IAM iam;
            public Map<String, Object> getLambda() { return lambda; }
            public void setLambda(Map<String, Object> lambda) { this.lambda = lambda; }
            public IAM getIam() { return iam; }
            public void setIam(IAM iam) { this.iam = iam; }
        }
    }
}
