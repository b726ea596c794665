"""An ECS user reading a service's logs with boto3, against Berth's endpoint.

Run by TestLogsWithTheAWSCLI (test/e2e/logs_test.go) with AWS_ENDPOINT_URL,
the access key and the region in the environment; argv: the log group and
the stream with the most lines. Prints one JSON line of what it saw.
"""
import json
import sys

import boto3

logs = boto3.client("logs")
group, big = sys.argv[1], sys.argv[2]
seen = {}

streams = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)["logStreams"]
seen["streams"] = len(streams)

# The paginator of FilterLogEvents, one page of 100 events at a time.
pages = logs.get_paginator("filter_log_events").paginate(
    logGroupName=group, filterPattern='{ $.level = "error" }', PaginationConfig={"PageSize": 100})
errors = [e["message"] for page in pages for e in page["events"]]
seen["errors"] = len(errors)
seen["allErrors"] = all('"level":"error"' in m for m in errors)

# GetLogEvents from the head, following the forward token until it repeats.
token, lines = None, 0
while True:
    kw = {"nextToken": token} if token else {"startFromHead": True}
    out = logs.get_log_events(logGroupName=group, logStreamName=big, limit=2000, **kw)
    lines += len(out["events"])
    if out["nextForwardToken"] == token:
        break
    token = out["nextForwardToken"]
seen["lines"] = lines

try:
    logs.describe_log_streams(logGroupName="/ecs/nope")
except logs.exceptions.ResourceNotFoundException:
    seen["missing"] = "ResourceNotFoundException"
print(json.dumps(seen))
