package com.amazonaws.services.lambda.runtime.events;

import java.util.List;
import java.util.Map;

/** The event SNS sends to a subscribed function (aws-lambda-java-events' SNSEvent shape;
 * Timestamp is the ISO-8601 string, where the AWS library gives a Joda DateTime). */
public class SNSEvent {

    private List<SNSRecord> records;
    public List<SNSRecord> getRecords() { return records; }
    public void setRecords(List<SNSRecord> records) { this.records = records; }

    public static class MessageAttribute {
        private String type;
        private String value;
        public String getType() { return type; }
        public void setType(String type) { this.type = type; }
        public String getValue() { return value; }
        public void setValue(String value) { this.value = value; }
    }

    public static class SNS {
        private String type;
        private String messageId;
        private String topicArn;
        private String subject;
        private String message;
        private String timestamp;
        private String signatureVersion;
        private String signature;
        private String signingCertUrl;
        private String unsubscribeUrl;
        private Map<String, MessageAttribute> messageAttributes;
        public String getType() { return type; }
        public void setType(String type) { this.type = type; }
        public String getMessageId() { return messageId; }
        public void setMessageId(String messageId) { this.messageId = messageId; }
        public String getTopicArn() { return topicArn; }
        public void setTopicArn(String topicArn) { this.topicArn = topicArn; }
        public String getSubject() { return subject; }
        public void setSubject(String subject) { this.subject = subject; }
        public String getMessage() { return message; }
        public void setMessage(String message) { this.message = message; }
        public String getTimestamp() { return timestamp; }
        public void setTimestamp(String timestamp) { this.timestamp = timestamp; }
        public String getSignatureVersion() { return signatureVersion; }
        public void setSignatureVersion(String signatureVersion) { this.signatureVersion = signatureVersion; }
        public String getSignature() { return signature; }
        public void setSignature(String signature) { this.signature = signature; }
        public String getSigningCertUrl() { return signingCertUrl; }
        public void setSigningCertUrl(String signingCertUrl) { this.signingCertUrl = signingCertUrl; }
        public String getUnsubscribeUrl() { return unsubscribeUrl; }
        public void setUnsubscribeUrl(String unsubscribeUrl) { this.unsubscribeUrl = unsubscribeUrl; }
        public Map<String, MessageAttribute> getMessageAttributes() { return messageAttributes; }
        public void setMessageAttributes(Map<String, MessageAttribute> messageAttributes) { this.messageAttributes = messageAttributes; }
    }

    public static class SNSRecord {
        private String eventSource;
        private String eventVersion;
        private String eventSubscriptionArn;
        private SNS sns;
        public String getEventSource() { return eventSource; }
        public void setEventSource(String eventSource) { this.eventSource = eventSource; }
        public String getEventVersion() { return eventVersion; }
        public void setEventVersion(String eventVersion) { this.eventVersion = eventVersion; }
        public String getEventSubscriptionArn() { return eventSubscriptionArn; }
        public void setEventSubscriptionArn(String eventSubscriptionArn) { this.eventSubscriptionArn = eventSubscriptionArn; }
        public SNS getSns() { return sns; }
        public void setSns(SNS sns) { this.sns = sns; }
        public SNS getSNS() { return sns; }
    }
}
