package com.amazonaws.services.lambda.runtime.events;

import java.util.ArrayList;
import java.util.List;

/** What a function returns to report partial batch failures (ReportBatchItemFailures). */
public class SQSBatchResponse {

    private List<BatchItemFailure> batchItemFailures;
    public List<BatchItemFailure> getBatchItemFailures() { return batchItemFailures; }
    public void setBatchItemFailures(List<BatchItemFailure> batchItemFailures) { this.batchItemFailures = batchItemFailures; }

    public SQSBatchResponse() { this.batchItemFailures = new ArrayList<>(); }
    public SQSBatchResponse(List<BatchItemFailure> batchItemFailures) { this.batchItemFailures = batchItemFailures; }

    public static class BatchItemFailure {
        private String itemIdentifier;
        public String getItemIdentifier() { return itemIdentifier; }
        public void setItemIdentifier(String itemIdentifier) { this.itemIdentifier = itemIdentifier; }
        public BatchItemFailure() {}
        public BatchItemFailure(String itemIdentifier) { this.itemIdentifier = itemIdentifier; }
    }
}
