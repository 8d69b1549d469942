package com.amazonaws.services.lambda.runtime;

/** The client application in a ClientContext (gureum). */
public interface Client {
    String getInstallationId();
    String getAppTitle();
    String getAppVersionName();
    String getAppVersionCode();
    String getAppPackageName();
}
