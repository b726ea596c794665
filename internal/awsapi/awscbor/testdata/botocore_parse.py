"""Parse a CBOR response body with botocore's RpcV2CBORParser.

Usage: botocore_parse.py SERVICE OPERATION HEX-BODY; prints the parsed
output as JSON, timestamps in ISO 8601. Run by awscbor_test.go.
"""
import datetime
import json
import sys

import botocore.session
from botocore.parsers import RpcV2CBORParser


def main():
    service, op, body = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(op).output_shape
    parsed = RpcV2CBORParser().parse(
        {"status_code": 200, "headers": {"smithy-protocol": "rpc-v2-cbor"}, "body": body}, shape)
    parsed.pop("ResponseMetadata", None)

    def iso(v):
        if isinstance(v, datetime.datetime):
            return v.isoformat()
        raise TypeError(type(v))

    print(json.dumps(parsed, default=iso))


if __name__ == "__main__":
    main()
