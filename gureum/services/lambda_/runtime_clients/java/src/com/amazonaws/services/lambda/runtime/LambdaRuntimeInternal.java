package com.amazonaws.services.lambda.runtime;

/** What the runtime client tells the logger (gureum): the request being served, for JSON log lines. */
public final class LambdaRuntimeInternal {
    private LambdaRuntimeInternal() {}

    public static void setRequestId(String requestId) {
        LambdaRuntime.requestId = requestId;
    }
}
