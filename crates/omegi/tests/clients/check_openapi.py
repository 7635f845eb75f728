"""Validates Omegi's OpenAPI document against the OpenAPI 3.1 specification, then each recorded
answer against the schema the document gives for its operation and status.

    python check_openapi.py openapi.json answers.json

answers.json: [{"method": "get", "path": "/api/errors/{id}", "status": 200, "body": ...}, ...]
Prints one line per problem and exits 1 if there is any."""

import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

doc = json.load(open(sys.argv[1]))
answers = json.load(open(sys.argv[2]))
validate(doc)  # raises with the first problem of the document itself

problems = []
for path, item in doc["paths"].items():
    for method, op in item.items():
        for p in op.get("parameters", []):
            if p["in"] == "path" and "{" + p["name"] + "}" not in path:
                problems.append(f"{method} {path}: '{p['name']}' is declared in the path but is not in it")
            if p["in"] == "path" and p.get("required") is not True:
                problems.append(f"{method} {path}: path parameter '{p['name']}' is not required")

for answer in answers:
    where = f"{answer['method'].upper()} {answer['path']} {answer['status']}"
    op = doc["paths"].get(answer["path"], {}).get(answer["method"])
    if op is None:
        problems.append(f"{where}: no such operation in the document")
        continue
    response = op["responses"].get(str(answer["status"]))
    if response is None:
        problems.append(f"{where}: status not documented")
        continue
    content = response.get("content", {}).get("application/json")
    if content is None:
        if answer["body"] is not None:
            problems.append(f"{where}: answered a JSON body the document does not describe")
        continue
    schema = dict(content["schema"])
    schema["components"] = doc["components"]  # so "#/components/..." resolves
    for error in Draft202012Validator(schema).iter_errors(answer["body"]):
        path = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{where}: at '{path}': {error.message[:300]}")

for p in problems:
    print(p)
print(f"{len(answers)} answers checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
