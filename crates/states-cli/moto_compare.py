"""Run the same Pass/Choice loop definition as `media-hub sfn bench` on moto's Step
Functions engine (a port of LocalStack's interpreter) and print transitions per second.

    python3 -m venv /tmp/motoenv && /tmp/motoenv/bin/pip install "moto[stepfunctions]"
    /tmp/motoenv/bin/python crates/states/benches/moto_compare.py 5000
"""
import json
import sys
import time

import boto3
from moto import mock_aws

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000

DEFINITION = {
    "StartAt": "Loop",
    "States": {
        "Loop": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": 0, "Next": "Check"}], "Default": "Done"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericLessThanPath": "$.n", "Next": "Inc"}], "Default": "Done"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "n.$": "$.n"}, "Next": "Check"},
        "Done": {"Type": "Succeed"},
    },
}


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def main():
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = sfn.create_state_machine(
        name="bench", definition=json.dumps(DEFINITION),
        roleArn="arn:aws:iam::123456789012:role/sfn")["stateMachineArn"]
    t = time.time()
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"i": 0, "n": N}))["executionArn"]
    while True:
        d = sfn.describe_execution(executionArn=ex)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.01)
    secs = time.time() - t
    transitions = 2 * N + 3
    print(json.dumps({"engine": "moto", "status": d["status"], "output": json.loads(d.get("output", "null")),
                      "iterations": N, "transitions": transitions, "seconds": secs,
                      "transitions_per_second": round(transitions / secs)}))


main()
