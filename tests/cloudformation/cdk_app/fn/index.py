import os


def handler(event, context):
    return {"queue": os.environ["QUEUE"], "got": event}
