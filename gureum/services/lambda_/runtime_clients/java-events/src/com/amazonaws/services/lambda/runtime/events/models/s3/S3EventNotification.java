package com.amazonaws.services.lambda.runtime.events.models.s3;

import java.net.URLDecoder;
import java.util.List;

/** An S3 event notification (aws-lambda-java-events' S3EventNotification shape; eventTime is
 * the ISO-8601 string, where the AWS library gives a Joda DateTime). */
public class S3EventNotification {

    private List<S3EventNotificationRecord> records;
    public List<S3EventNotificationRecord> getRecords() { return records; }
    public void setRecords(List<S3EventNotificationRecord> records) { this.records = records; }

    public static class UserIdentityEntity {
        private String principalId;
        public String getPrincipalId() { return principalId; }
        public void setPrincipalId(String principalId) { this.principalId = principalId; }
    }

    public static class RequestParametersEntity {
        private String sourceIPAddress;
        public String getSourceIPAddress() { return sourceIPAddress; }
        public void setSourceIPAddress(String sourceIPAddress) { this.sourceIPAddress = sourceIPAddress; }
    }

    public static class S3BucketEntity {
        private String name;
        private UserIdentityEntity ownerIdentity;
        private String arn;
        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public UserIdentityEntity getOwnerIdentity() { return ownerIdentity; }
        public void setOwnerIdentity(UserIdentityEntity ownerIdentity) { this.ownerIdentity = ownerIdentity; }
        public String getArn() { return arn; }
        public void setArn(String arn) { this.arn = arn; }
    }

    public static class S3ObjectEntity {
        private String key;
        private Long size;
        private String eTag;
        private String versionId;
        private String sequencer;
        public String getKey() { return key; }
        public void setKey(String key) { this.key = key; }
        public Long getSize() { return size; }
        public void setSize(Long size) { this.size = size; }
        public String getETag() { return eTag; }
        public void setETag(String eTag) { this.eTag = eTag; }
        public String getVersionId() { return versionId; }
        public void setVersionId(String versionId) { this.versionId = versionId; }
        public String getSequencer() { return sequencer; }
        public void setSequencer(String sequencer) { this.sequencer = sequencer; }
        public Long getSizeAsLong() { return size; }
        public String getUrlDecodedKey() {
            try {
                return URLDecoder.decode(key, "UTF-8");  // the Charset overload is Java 10+
            } catch (java.io.UnsupportedEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static class S3Entity {
        private String configurationId;
        private S3BucketEntity bucket;
        private S3ObjectEntity object;
        private String s3SchemaVersion;
        public String getConfigurationId() { return configurationId; }
        public void setConfigurationId(String configurationId) { this.configurationId = configurationId; }
        public S3BucketEntity getBucket() { return bucket; }
        public void setBucket(S3BucketEntity bucket) { this.bucket = bucket; }
        public S3ObjectEntity getObject() { return object; }
        public void setObject(S3ObjectEntity object) { this.object = object; }
        public String getS3SchemaVersion() { return s3SchemaVersion; }
        public void setS3SchemaVersion(String s3SchemaVersion) { this.s3SchemaVersion = s3SchemaVersion; }
    }

    public static class S3EventNotificationRecord {
        private String awsRegion;
        private String eventName;
        private String eventSource;
        private String eventTime;
        private String eventVersion;
        private RequestParametersEntity requestParameters;
        private S3Entity s3;
        private UserIdentityEntity userIdentity;
        public String getAwsRegion() { return awsRegion; }
        public void setAwsRegion(String awsRegion) { this.awsRegion = awsRegion; }
        public String getEventName() { return eventName; }
        public void setEventName(String eventName) { this.eventName = eventName; }
        public String getEventSource() { return eventSource; }
        public void setEventSource(String eventSource) { this.eventSource = eventSource; }
        public String getEventTime() { return eventTime; }
        public void setEventTime(String eventTime) { this.eventTime = eventTime; }
        public String getEventVersion() { return eventVersion; }
        public void setEventVersion(String eventVersion) { this.eventVersion = eventVersion; }
        public RequestParametersEntity getRequestParameters() { return requestParameters; }
        public void setRequestParameters(RequestParametersEntity requestParameters) { this.requestParameters = requestParameters; }
        public S3Entity getS3() { return s3; }
        public void setS3(S3Entity s3) { this.s3 = s3; }
        public UserIdentityEntity getUserIdentity() { return userIdentity; }
        public void setUserIdentity(UserIdentityEntity userIdentity) { this.userIdentity = userIdentity; }
    }
}
