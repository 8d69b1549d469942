package com.amazonaws.services.lambda.runtime.events;

import java.util.List;
import java.util.Map;

/** What a function URL's function returns (aws-lambda-java-events' APIGatewayV2HTTPResponse, with its builder). */
public class APIGatewayV2HTTPResponse {

    private int statusCode;
    private Map<String, String> headers;
    private Map<String, List<String>> multiValueHeaders;
    private List<String> cookies;
    private String body;
    private boolean isBase64Encoded;
    public int getStatusCode() { return statusCode; }
    public void setStatusCode(int statusCode) { this.statusCode = statusCode; }
    public Map<String, String> getHeaders() { return headers; }
    public void setHeaders(Map<String, String> headers) { this.headers = headers; }
    public Map<String, List<String>> getMultiValueHeaders() { return multiValueHeaders; }
    public void setMultiValueHeaders(Map<String, List<String>> multiValueHeaders) { this.multiValueHeaders = multiValueHeaders; }
    public List<String> getCookies() { return cookies; }
    public void setCookies(List<String> cookies) { this.cookies = cookies; }
    public String getBody() { return body; }
    public void setBody(String body) { this.body = body; }
    public boolean getIsBase64Encoded() { return isBase64Encoded; }
    public void setIsBase64Encoded(boolean isBase64Encoded) { this.isBase64Encoded = isBase64Encoded; }

    public APIGatewayV2HTTPResponse() {}

    public static Builder builder() { return new Builder(); }

    public static final class Builder {
        private final APIGatewayV2HTTPResponse r = new APIGatewayV2HTTPResponse();
        public Builder withStatusCode(int v) { r.statusCode = v; return this; }
        public Builder withHeaders(Map<String, String> v) { r.headers = v; return this; }
        public Builder withMultiValueHeaders(Map<String, List<String>> v) { r.multiValueHeaders = v; return this; }
        public Builder withCookies(List<String> v) { r.cookies = v; return this; }
        public Builder withBody(String v) { r.body = v; return this; }
        public Builder withIsBase64Encoded(boolean v) { r.isBase64Encoded = v; return this; }
        public APIGatewayV2HTTPResponse build() { return r; }
    }
}
