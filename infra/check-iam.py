#!/usr/bin/env python3
"""Least-privilege checks on infra/template.yaml after the SAM transform (offline, through the
samtranslator that cfn-lint ships): the auth and migrate functions get no statement beyond the
managed Lambda basic/VPC policies, and every S3 object permission names a prefix of the bucket,
never the whole bucket."""

import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.translator.transform import transform

os.environ.setdefault("AWS_DEFAULT_REGION", "eu-central-1")
ALLOWED_MANAGED = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
}
NO_EXTRA_STATEMENTS = ["AuthFunctionRole", "MigrateFunctionRole"]


class Policies:
    def load(self):
        return {arn.rsplit("/", 1)[1]: arn for arn in ALLOWED_MANAGED}


template, matches = decode(sys.argv[1] if len(sys.argv) > 1 else "infra/template.yaml")
if matches:
    sys.exit(f"template does not parse: {matches}")
template = json.loads(json.dumps(template))
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"  # sam build fills it in
resources = transform(template, {}, Policies())["Resources"]

failures = []
for name in NO_EXTRA_STATEMENTS:
    if name not in resources:
        continue
    props = resources[name]["Properties"]
    extra = set(props.get("ManagedPolicyArns", [])) - ALLOWED_MANAGED
    if props.get("Policies") or extra:
        failures.append(f"{name} has permissions beyond basic+VPC: {props.get('Policies')} {extra}")

for name, resource in resources.items():
    if resource["Type"] != "AWS::IAM::Role":
        continue
    for policy in resource["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if not any(a.startswith("s3:") and a != "s3:ListBucket" for a in actions):
                continue
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for target in targets:
                text = json.dumps(target)
                if "Bucket" in text and "/theaters/*/" not in text:
                    failures.append(f"{name}: S3 object access not limited to a prefix: {text}")

if failures:
    sys.exit("\n".join(failures))
print("IAM: auth/migrate have no extra permissions; S3 object access is scoped to a theatre area")
