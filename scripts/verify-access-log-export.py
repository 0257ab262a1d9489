#!/usr/bin/env python3
"""Verify an access-log export independently of the app (Python 3 standard library only).

    GET /api/v1/audit/export?from=YYYY-MM-DD&to=YYYY-MM-DD  >  export.json
    scripts/verify-access-log-export.py export.json [--key-file FILE] [--anchor HASH]

Recomputes every entry's SHA-256 from the documented encoding (README, "Verifying an export") and
checks that each follows the one before it, starting from the export's anchor (or from --anchor, a hash
the auditor already trusts, e.g. the last hash of their previous export).

With --key-file (the `audit_checkpoint_key`, as raw bytes) it also checks, with HMAC-SHA256:
  - every entry's MAC (entries written before MACs existed, up to the high-water mark's
    `legacy_until`, may lack one), so no entry can have been forged or altered without the key;
  - every checkpoint's seal, and that it seals the chain as recomputed;
  - the export's seal: the app's signature over the period, the first and last entry numbers and the
    last hash, so an export cut short, extended or spliced is noticed;
  - the high-water mark (the log's last entry when exported): its signature, and, where the export
    reaches it, that the chain matches it.
Without the key only the chain is checked: anyone can recompute a chain, so that alone does not show
that entries were not forged. Exit status 0 when everything verifies, 1 otherwise (the first problem
is printed), 2 for bad usage.
"""

import argparse
import hashlib
import hmac
import json
import sys

FORMAT = "stalking-response/access-log/v2"
ENTRY_DOMAIN = b"stalking-response/access-log/v1\n"
CHECKPOINT_DOMAIN = b"stalking-response/access-log-checkpoint/v1\n"
ENTRY_MAC_DOMAIN = b"stalking-response/access-log-entry/v1\n"
HIGH_WATER_DOMAIN = b"stalking-response/access-log-high-water/v1\n"
EXPORT_DOMAIN = b"stalking-response/access-log-export/v1\n"
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
    # Added later, so encoded only when present: the digest as the twelfth field, the case id as the
    # thirteenth, the credential as the fourteenth, the nonce as the fifteenth; an absent one before a
    # present one is ABSENT.
    extensions = [entry.get("digest"), entry.get("case_id"), entry.get("credential"), entry.get("nonce")]
    while extensions and extensions[-1] is None:
        extensions.pop()
    return out + b"".join(field(e if e is not None else ABSENT) for e in extensions)


def entry_hash(prev_hash, entry):
    return hashlib.sha256(ENTRY_DOMAIN + prev_hash.encode() + encode(entry)).hexdigest()


def mac(key, domain, message):
    return hmac.new(key, domain + message.encode(), hashlib.sha256).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--key-file")
    parser.add_argument("--anchor")
    args = parser.parse_args()
    with open(args.export, encoding="utf-8") as f:
        export = json.load(f)
    if export.get("format") != FORMAT:
        print(f"not an access-log export of format {FORMAT}", file=sys.stderr)
        return 2
    key = None
    if args.key_file:
        with open(args.key_file, "rb") as f:
            key = f.read().rstrip(b"\r\n")

    mark = export.get("high_water_mark")
    if key is not None:
        if mark is None:
            print("the export has no high-water mark: entries cut from the end could not be noticed")
            return 1
        expected = mac(key, HIGH_WATER_DOMAIN, f"{mark['seq']}:{mark['hash']}:{mark['legacy_until']}:{mark['at']}")
        if not hmac.compare_digest(expected, mark["mac"]):
            print("the high-water mark's signature does not verify")
            return 1
    legacy_until = mark["legacy_until"] if mark else 0

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
        if key is not None:
            if entry.get("mac") is None:
                if seq > legacy_until:
                    print(f"entry {seq}: it has no MAC (written without the key)")
                    return 1
            elif not hmac.compare_digest(mac(key, ENTRY_MAC_DOMAIN, f"{seq}:{entry['hash']}"), entry["mac"]):
                print(f"entry {seq}: its MAC does not verify")
                return 1
        running = entry["hash"]
        hashes[seq] = running
        previous_seq = seq

    checked = 0
    if key is not None:
        for checkpoint in export["checkpoints"]:
            seq, sealed = checkpoint["seq"], checkpoint["hash"]
            if not hmac.compare_digest(mac(key, CHECKPOINT_DOMAIN, f"{seq}:{sealed}"), checkpoint["mac"]):
                print(f"checkpoint {seq}: its seal does not verify")
                return 1
            if hashes.get(seq) != sealed:
                print(f"checkpoint {seq}: the chain does not match it")
                return 1
            checked += 1
        seal = export.get("seal")
        if seal is None:
            print("the export has no seal")
            return 1
        message = f"{export['from']}:{export['to']}:{seal['first_seq']}:{seal['last_seq']}:{seal['last_hash']}"
        if not hmac.compare_digest(mac(key, EXPORT_DOMAIN, message), seal["mac"]):
            print("the export's seal does not verify")
            return 1
        entries = export["entries"]
        first = entries[0]["seq"] if entries else seal["first_seq"]
        last = entries[-1]["seq"] if entries else seal["last_seq"]
        if (first, last, running) != (seal["first_seq"], seal["last_seq"], seal["last_hash"]):
            print(f"the export holds entries {first} to {last}, but was sealed with entries "
                  f"{seal['first_seq']} to {seal['last_seq']} (cut short, extended or spliced)")
            return 1
        if mark["seq"] in hashes and hashes[mark["seq"]] != mark["hash"]:
            print(f"entry {mark['seq']}: the chain does not match the high-water mark")
            return 1
    print(f"ok: {len(export['entries'])} entries, {checked} checkpoints verified; last hash {running}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
