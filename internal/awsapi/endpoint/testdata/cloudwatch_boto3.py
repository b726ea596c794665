"""boto3 against the endpoint's CloudWatch API.

Usage: cloudwatch_boto3.py ENDPOINT_URL, with AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY set. Calls ListMetrics, DescribeAlarms, an
unsupported operation (ListDashboards) and ListMetrics with an invalid
value, once in the
protocol botocore picks for CloudWatch (json: botocore/utils.py
PRIORITY_ORDERED_SUPPORTED_PROTOCOLS ranks it before smithy-rpc-v2-cbor),
once with the model's protocols narrowed to smithy-rpc-v2-cbor (a copy of
the installed model on AWS_DATA_PATH). Prints one JSON line, by protocol.
Run by cloudwatch_test.go.
"""
import json
import os
import sys
import tempfile

import boto3
import botocore.loaders
from botocore.exceptions import ClientError


def check(url):
    session = boto3.session.Session()
    cw = session.client(
        "cloudwatch",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    seen = {"Protocol": cw.meta.service_model.resolved_protocol}
    out = cw.list_metrics(Namespace="AWS/ECS", RecentlyActive="PT3H")
    headers = out["ResponseMetadata"]["HTTPHeaders"]
    seen["ContentType"] = headers.get("content-type", "")
    seen["Metrics"] = out.get("Metrics")  # absent when empty (lists are omitempty)
    seen["Alarms"] = cw.describe_alarms().get("MetricAlarms", [])
    try:
        cw.list_dashboards()
        seen["Unsupported"] = "no error"
    except ClientError as e:
        seen["Unsupported"] = e.response["Error"]["Code"]
        seen["Message"] = e.response["Error"]["Message"]
    try:
        cw.list_metrics(RecentlyActive="P1D")
        seen["Invalid"] = "no error"
    except ClientError as e:
        seen["Invalid"] = e.response["Error"]["Code"]
        seen["InvalidClass"] = type(e).__name__
    return seen


def main():
    url = sys.argv[1]
    seen = {}
    os.environ.pop("AWS_DATA_PATH", None)
    s = check(url)
    seen[s["Protocol"]] = s

    model = botocore.loaders.Loader().load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    version = model["metadata"]["apiVersion"]
    with tempfile.TemporaryDirectory() as data:
        os.makedirs(os.path.join(data, "cloudwatch", version))
        with open(os.path.join(data, "cloudwatch", version, "service-2.json"), "w") as f:
            json.dump(model, f)
        os.environ["AWS_DATA_PATH"] = data
        s = check(url)
        seen[s["Protocol"]] = s
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
