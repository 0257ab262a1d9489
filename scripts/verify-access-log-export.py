#!/usr/bin/env python3
"""Verify an access-log export independently of the app (Python 3 standard library only).

    GET /api/v1/audit/export?from=YYYY-MM-DD&to=YYYY-MM-DD  >  export.json
    scripts/verify-access-log-export.py export.json [--key-file FILE] [--anchor HASH]

Recomputes every entry's SHA-256 from the documented encoding (README, "Verifying an export") and
checks that each follows the one before it, starting from the export's anchor (or from --anchor, a hash
the auditor already trusts, e.g. the last hash of their previous export). With --key-file (the
`audit_checkpoint_key`, as raw bytes), every checkpoint's HMAC-SHA256 is checked too, and that it
seals the chain as recomputed. Exit status 0 when everything verifies, 1 otherwise (the first
problem is printed), 2 for bad usage.
"""

import argparse
import hashlib
import hmac
import json
import sys

ENTRY_DOMAIN = b"stalking-response/access-log/v1\n"
CHECKPOINT_DOMAIN = b"stalking-response/access-log-checkpoint/v1\n"
ABSENT = "\0"  # an absent optional field is encoded as one NUL character
FIELDS = ["at", "subject", "role", "operation", "record_type", "record_id", "reason_code"]


def field(text):
    data = text.encode("utf-8")
    return str(len(data)).encode() + b":" + data + b","


def encode(entry):
    parts = [str(entry["seq"])] + [entry[name] for name in FIELDS]
    for optional in ("reason_text", "recipient"):
        parts.append(entry[optional] if entry.get(optional) is not None else ABSENT)
    parts.append(entry["outcome"])
    out = b"".join(field(p) for p in parts)
    # Added later, so encoded only when present: the digest (or ABSENT, when there is a case id but
    # no digest) as the twelfth field, the case id as the thirteenth.
    digest, case_id = entry.get("digest"), entry.get("case_id")
    if case_id is not None:
        out += field(digest if digest is not None else ABSENT) + field(case_id)
    elif digest is not None:
        out += field(digest)
    return out


def entry_hash(prev_hash, entry):
    return hashlib.sha256(ENTRY_DOMAIN + prev_hash.encode() + encode(entry)).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--key-file")
    parser.add_argument("--anchor")
    args = parser.parse_args()
    with open(args.export, encoding="utf-8") as f:
        export = json.load(f)
    if export.get("format") != "stalking-response/access-log/v1":
        print("not an access-log export (format)", file=sys.stderr)
        return 2
    running = args.anchor or export["anchor_hash"]
    hashes = {}
    previous_seq = None
    for entry in export["entries"]:
        seq = entry["seq"]
        if previous_seq is not None and seq != previous_seq + 1:
            print(f"entry {previous_seq + 1}: missing (the next is {seq})")
            return 1
        if entry["prev_hash"] != running:
            print(f"entry {seq}: does not follow the entry before it")
            return 1
        if entry_hash(running, entry) != entry["hash"]:
            print(f"entry {seq}: its content does not match its hash")
            return 1
        running = entry["hash"]
        hashes[seq] = running
        previous_seq = seq
    checked = 0
    if args.key_file:
        with open(args.key_file, "rb") as f:
            key = f.read().rstrip(b"\r\n")
        for checkpoint in export["checkpoints"]:
            seq, sealed = checkpoint["seq"], checkpoint["hash"]
            mac = hmac.new(key, CHECKPOINT_DOMAIN + f"{seq}:{sealed}".encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(mac, checkpoint["mac"]):
                print(f"checkpoint {seq}: its seal does not verify")
                return 1
            if hashes.get(seq) != sealed:
                print(f"checkpoint {seq}: the chain does not match it")
                return 1
            checked += 1
    print(f"ok: {len(export['entries'])} entries, {checked} checkpoints verified; last hash {running}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
