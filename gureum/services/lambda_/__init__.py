"""AWS Lambda: functions that really run, in sandboxes speaking the Lambda Runtime API.

api.py (operations) → model.py (rules, stored state) → engine.py (the data plane on a node:
scheduler.py pools of environment.py execution environments, each a gureum.sandbox process
tree with its own runtime_api.py endpoint), async_queue.py (Event invokes), urls.py
(function URLs), runtimes/ (one launcher per runtime family; runtime_clients/ holds
gureum's own Node, Java and Ruby clients), code.py (zips, unpacked once).
"""
