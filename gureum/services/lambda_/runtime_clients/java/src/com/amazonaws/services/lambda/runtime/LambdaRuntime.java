package com.amazonaws.services.lambda.runtime;

import com.amazonaws.services.lambda.runtime.logging.LogLevel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Static access to the function's logger (gureum). Text format (the default): a message as
 * given, "[LEVEL] message" when logged with a level. AWS_LAMBDA_LOG_FORMAT=JSON: one JSON
 * object a message, {"timestamp", "level", "message", "AWSRequestId"} (level UNDEFINED when
 * logged without one), messages below AWS_LAMBDA_LOG_LEVEL (default INFO) dropped.
 */
public final class LambdaRuntime {
    private LambdaRuntime() {}

    private static final boolean JSON = "JSON".equalsIgnoreCase(System.getenv("AWS_LAMBDA_LOG_FORMAT"));
    private static final LogLevel MIN_LEVEL = minLevel(System.getenv("AWS_LAMBDA_LOG_LEVEL"));
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    static volatile String requestId;

    private static LogLevel minLevel(String text) {
        LogLevel level = text == null ? LogLevel.UNDEFINED : LogLevel.fromString(text);
        return level == LogLevel.UNDEFINED ? (JSON ? LogLevel.INFO : LogLevel.UNDEFINED) : level;
    }

    private static final LambdaLogger LOGGER = new LambdaLogger() {
        public void log(String message) {
            log(message, LogLevel.UNDEFINED);
        }

        public void log(byte[] message) {
            log(message, LogLevel.UNDEFINED);
        }

        public void log(String message, LogLevel level) {
            log(message == null ? "null".getBytes(StandardCharsets.UTF_8) : message.getBytes(StandardCharsets.UTF_8), level);
        }

        public void log(byte[] message, LogLevel level) {
            LogLevel lv = level == null ? LogLevel.UNDEFINED : level;
            byte[] line;
            if (JSON) {
                if (lv != LogLevel.UNDEFINED && lv.ordinal() < MIN_LEVEL.ordinal()) return;
                StringBuilder b = new StringBuilder(message.length + 128);
                b.append("{\"timestamp\":\"").append(TIMESTAMP.format(Instant.now())).append("\",\"level\":\"").append(lv.name())
                    .append("\",\"message\":");
                quote(b, new String(message, StandardCharsets.UTF_8));
                String id = requestId;
                if (id != null) {
                    b.append(",\"AWSRequestId\":");
                    quote(b, id);
                }
                line = b.append('}').toString().getBytes(StandardCharsets.UTF_8);
            } else if (lv != LogLevel.UNDEFINED) {
                line = ("[" + lv.name() + "] " + new String(message, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
            } else {
                line = message;
            }
            synchronized (System.out) {
                System.out.write(line, 0, line.length);
                if (line.length == 0 || line[line.length - 1] != '\n') {
                    System.out.write('\n');
                }
                System.out.flush();
            }
        }
    };

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        b.append('"');
    }

    public static LambdaLogger getLogger() {
        return LOGGER;
    }
}
