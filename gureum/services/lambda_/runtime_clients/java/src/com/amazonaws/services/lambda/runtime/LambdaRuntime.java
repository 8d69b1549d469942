package com.amazonaws.services.lambda.runtime;

import java.nio.charset.StandardCharsets;

/** Static access to the function's logger (gureum). */
public final class LambdaRuntime {
    private LambdaRuntime() {}

    private static final LambdaLogger LOGGER = new LambdaLogger() {
        public void log(String message) {
            log(message == null ? "null".getBytes(StandardCharsets.UTF_8) : message.getBytes(StandardCharsets.UTF_8));
        }

        public void log(byte[] message) {
            synchronized (System.out) {
                System.out.write(message, 0, message.length);
                if (message.length == 0 || message[message.length - 1] != '\n') {
                    System.out.write('\n');
                }
                System.out.flush();
            }
        }
    };

    public static LambdaLogger getLogger() {
        return LOGGER;
    }
}
