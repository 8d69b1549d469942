package com.amazonaws.services.lambda.runtime.events;

import com.amazonaws.services.lambda.runtime.events.models.s3.S3EventNotification;

/** The event S3 sends to a function on an object change (aws-lambda-java-events' S3Event). */
public class S3Event extends S3EventNotification {
}
