"""CloudWatch Logs basics: log groups, streams, events, retention (api.py over model.py);
writer.py batches what gureum's own services log (Lambda functions); ingest.py is where every
stored event goes in (masking, metric filters, subscription filters); metric_filters.py,
subscriptions.py, destinations.py, masking.py, policies.py, records.py and exports.py own one
concern each (api_filters.py, api_policies.py and api_exports.py are their handlers)."""
