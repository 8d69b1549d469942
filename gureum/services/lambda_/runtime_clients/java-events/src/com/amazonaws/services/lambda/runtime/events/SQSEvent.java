package com.amazonaws.services.lambda.runtime.events;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

/** The event an SQS event source mapping sends (the shape of aws-lambda-java-events' SQSEvent). */
public class SQSEvent {

    private List<SQSMessage> records;
    public List<SQSMessage> getRecords() { return records; }
    public void setRecords(List<SQSMessage> records) { this.records = records; }

    public static class MessageAttribute {
        private String stringValue;
        private ByteBuffer binaryValue;
        private List<String> stringListValues;
        private List<ByteBuffer> binaryListValues;
        private String dataType;
        public String getStringValue() { return stringValue; }
        public void setStringValue(String stringValue) { this.stringValue = stringValue; }
        public ByteBuffer getBinaryValue() { return binaryValue; }
        public void setBinaryValue(ByteBuffer binaryValue) { this.binaryValue = binaryValue; }
        public List<String> getStringListValues() { return stringListValues; }
        public void setStringListValues(List<String> stringListValues) { this.stringListValues = stringListValues; }
        public List<ByteBuffer> getBinaryListValues() { return binaryListValues; }
        public void setBinaryListValues(List<ByteBuffer> binaryListValues) { this.binaryListValues = binaryListValues; }
        public String getDataType() { return dataType; }
        public void setDataType(String dataType) { this.dataType = dataType; }
    }

    public static class SQSMessage {
        private String messageId;
        private String receiptHandle;
        private String body;
        private String md5OfBody;
        private String md5OfMessageAttributes;
        private String eventSourceArn;
        private String eventSource;
        private String awsRegion;
        private Map<String, String> attributes;
        private Map<String, MessageAttribute> messageAttributes;
        public String getMessageId() { return messageId; }
        public void setMessageId(String messageId) { this.messageId = messageId; }
        public String getReceiptHandle() { return receiptHandle; }
        public void setReceiptHandle(String receiptHandle) { this.receiptHandle = receiptHandle; }
        public String getBody() { return body; }
        public void setBody(String body) { this.body = body; }
        public String getMd5OfBody() { return md5OfBody; }
        public void setMd5OfBody(String md5OfBody) { this.md5OfBody = md5OfBody; }
        public String getMd5OfMessageAttributes() { return md5OfMessageAttributes; }
        public void setMd5OfMessageAttributes(String md5OfMessageAttributes) { this.md5OfMessageAttributes = md5OfMessageAttributes; }
        public String getEventSourceArn() { return eventSourceArn; }
        public void setEventSourceArn(String eventSourceArn) { this.eventSourceArn = eventSourceArn; }
        public String getEventSource() { return eventSource; }
        public void setEventSource(String eventSource) { this.eventSource = eventSource; }
        public String getAwsRegion() { return awsRegion; }
        public void setAwsRegion(String awsRegion) { this.awsRegion = awsRegion; }
        public Map<String, String> getAttributes() { return attributes; }
        public void setAttributes(Map<String, String> attributes) { this.attributes = attributes; }
        public Map<String, MessageAttribute> getMessageAttributes() { return messageAttributes; }
        public void setMessageAttributes(Map<String, MessageAttribute> messageAttributes) { this.messageAttributes = messageAttributes; }
    }
}
