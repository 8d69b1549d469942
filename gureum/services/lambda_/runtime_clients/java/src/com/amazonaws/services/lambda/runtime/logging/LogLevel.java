package com.amazonaws.services.lambda.runtime.logging;

/** Levels a LambdaLogger message may carry (gureum). */
public enum LogLevel {
    UNDEFINED, TRACE, DEBUG, INFO, WARN, ERROR, FATAL;

    public static LogLevel fromString(String level) {
        try {
            return LogLevel.valueOf(level.toUpperCase());
        } catch (Exception e) {
            return UNDEFINED;
        }
    }
}
