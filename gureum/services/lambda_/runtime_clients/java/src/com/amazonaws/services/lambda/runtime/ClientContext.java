package com.amazonaws.services.lambda.runtime;

import java.util.Map;

/** The client context a mobile SDK sent with the invocation (gureum). */
public interface ClientContext {
    Client getClient();
    Map<String, String> getCustom();
    Map<String, String> getEnvironment();
}
