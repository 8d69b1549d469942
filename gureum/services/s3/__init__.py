"""Amazon S3: buckets and objects (bytes in the blob store, metadata in the store), multipart
uploads, versioning, and event notifications to SQS and SNS."""
