"""CloudWatch (`cloudwatch`): metrics (PutMetricData, GetMetricStatistics, GetMetricData with
metric math, ListMetrics), dashboards, metric alarms and composite alarms with a background
evaluator publishing state changes to SNS, and tags."""
