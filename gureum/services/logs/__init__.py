"""CloudWatch Logs basics: log groups, streams, events, retention (api.py over model.py);
writer.py batches what gureum's own services log (Lambda functions)."""
