"""The ECS user's flow with boto3, against Berth's ECS API endpoint.

Run by TestSDKsDriveAService (test/e2e/ecsapi_test.go) with AWS_ENDPOINT_URL,
the access key and the region in the environment. Prints one JSON line of
what it saw; any failed expectation raises.
"""
import json
import sys

import boto3

ecs = boto3.client("ecs")
fast = {"Delay": 2, "MaxAttempts": 150}
cluster = sys.argv[1]
seen = {}

ecs.create_cluster(clusterName=cluster, capacityProviders=["FARGATE"],
                   defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
for image in ("nginx:1.27", "nginx:1.28"):
    rev = ecs.register_task_definition(
        family=cluster + "-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True}],
    )["taskDefinition"]
seen["revision"] = rev["revision"]
net = {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}
svc = ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=cluster + "-web:1", desiredCount=2,
                         networkConfiguration=net)["service"]
assert svc["status"] == "ACTIVE", svc
ecs.get_waiter("services_stable").wait(cluster=cluster, services=["web"], WaiterConfig=fast)
ecs.update_service(cluster=cluster, service="web", taskDefinition=cluster + "-web:2")
ecs.get_waiter("services_stable").wait(cluster=cluster, services=["web"], WaiterConfig=fast)
svc = ecs.describe_services(cluster=cluster, services=["web"])["services"][0]
seen["deployments"] = len(svc["deployments"])
seen["taskDefinition"] = svc["taskDefinition"]
seen["runningCount"] = svc["runningCount"]

tasks = ecs.run_task(cluster=cluster, taskDefinition=cluster + "-web", count=2, networkConfiguration=net)["tasks"]
arns = [t["taskArn"] for t in tasks]
ecs.get_waiter("tasks_running").wait(cluster=cluster, tasks=arns, WaiterConfig=fast)
pages = list(ecs.get_paginator("list_tasks").paginate(cluster=cluster, PaginationConfig={"PageSize": 1}))
seen["pages"] = len([p for p in pages if p["taskArns"]])
for arn in arns:
    ecs.stop_task(cluster=cluster, task=arn, reason="boto3 says stop")
ecs.get_waiter("tasks_stopped").wait(cluster=cluster, tasks=arns, WaiterConfig=fast)
t = ecs.describe_tasks(cluster=cluster, tasks=arns[:1])["tasks"][0]
seen["stopCode"] = t.get("stopCode")
seen["stoppedReason"] = t.get("stoppedReason")

ecs.delete_service(cluster=cluster, service="web", force=True)
ecs.get_waiter("services_inactive").wait(cluster=cluster, services=["web"], WaiterConfig=fast)
ecs.delete_cluster(cluster=cluster)
print(json.dumps(seen, sort_keys=True))
