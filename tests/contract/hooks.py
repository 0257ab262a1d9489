"""Schemathesis hooks for scripts/contract: what a client does, and no schema can say.

An update needs the record's current ETag in If-Match (else 412), which no schema can hold: a client reads
the record first. So when the generated If-Match is a well-formed ETag, it is replaced by the one the
record has now, read as the role under test (a role that may not read it keeps the generated one, and is
refused with 403 anyway). Malformed or missing If-Match headers are sent as generated.

An Idempotency-Key is single-use: the same key with another body is refused (422). Generated keys repeat
(`0`, `A`, the example), so a well-formed key gets a unique suffix; malformed keys are sent as generated.
"""

import json
import os
import re
import uuid
import urllib.error
import urllib.request

import schemathesis

KEY = re.compile(r"^[!-~]{1,255}$")
ETAG = re.compile(r'^(?:W/)*"*v[+-]?0*[0-9]{1,18}"*$')
READ = {
    "addOccurrence": "/api/v1/cases/{id}",
    "recordCrimeDecision": "/api/v1/cases/{id}",
    "amendSearch": "/api/v1/searches/{id}",
    "recordOrderEvent": "/api/v1/orders/{id}",
    "recordBreach": "/api/v1/orders/{id}",
    "saveVictimPreferences": "/api/v1/cases/{id}/victim-care",
    "decideRetention": "/api/v1/retention/cases/{id}",
}


def current_etag(path):
    request = urllib.request.Request(os.environ["CONTRACT_BASE_URL"] + path)
    request.add_header("Authorization", os.environ["CONTRACT_AUTHORIZATION"])
    request.add_header("X-Access-Reason", "investigation")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.headers.get("etag")
    except (urllib.error.URLError, OSError):
        return None


@schemathesis.hook
def before_call(context, case, kwargs):
    unique_idempotency_key(case)
    current_if_match(case)


def unique_idempotency_key(case):
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and KEY.match(key):
        case.headers["Idempotency-Key"] = f"{key[:200]}-{uuid.uuid4().hex}"


def plan_version(action):
    """An action's version, from the plan (it has no read of its own)."""
    request = urllib.request.Request(os.environ["CONTRACT_BASE_URL"] + "/api/v1/plan")
    request.add_header("Authorization", os.environ["CONTRACT_AUTHORIZATION"])
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            plan = json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    for workstream in plan.get("workstreams", []):
        for item in workstream.get("actions", []):
            if item.get("id") == action:
                return f'"v{item["version"]}"'
    return None


def current_if_match(case):
    operation = case.operation.definition.raw.get("operationId")
    if operation == "updatePlanAction" and case.headers:
        generated = case.headers.get("If-Match")
        action = (case.path_parameters or {}).get("id")
        if isinstance(generated, str) and ETAG.match(generated) and isinstance(action, str):
            etag = plan_version(action)
            if etag:
                case.headers["If-Match"] = etag
        return
    read = READ.get(operation)
    if read is None or not case.headers:
        return
    generated = case.headers.get("If-Match")
    if not isinstance(generated, str) or not ETAG.match(generated):
        return
    record = case.path_parameters.get("id") if case.path_parameters else None
    if not isinstance(record, str) or "/" in record:
        return
    etag = current_etag(read.format(id=urllib.request.quote(record, safe="")))
    if etag:
        case.headers["If-Match"] = etag
