#!/usr/bin/env python3
"""Peer for the ledger benchmark: securesystemslib (the library in-toto's Python
implementation signs with) creates and verifies the same number of DSSE envelopes carrying
in-toto Statement v1 payloads with Ed25519, in memory (no storage, no Merkle tree).
Prints JSON with the timings."""
import hashlib, json, sys, time
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner

n = int(sys.argv[1])
signer = CryptoSigner.generate_ed25519()
payloads = []
for i in range(n):
    blob = f'{{"run":{i},"score":{i % 97}}}'.encode()
    st = {"_type": "https://in-toto.io/Statement/v1",
          "subject": [{"name": f"model-{i % 50}", "digest": {"sha256": hashlib.sha256(blob).hexdigest()}}],
          "predicateType": "https://assay.dev/evidence/eval-run/v1",
          "predicate": {"kind": "eval-run", "fileName": f"run-{i}.json", "size": len(blob), "meta": {"suite": "ctf"}}}
    payloads.append(json.dumps(st, separators=(",", ":")).encode())
t = time.perf_counter()
envs = []
for p in payloads:
    e = Envelope(payload=p, payload_type="application/vnd.in-toto+json", signatures={})
    e.sign(signer)
    envs.append(e)
sign_s = time.perf_counter() - t
t = time.perf_counter()
for e in envs:
    e.verify([signer.public_key], 1)
verify_s = time.perf_counter() - t
print(json.dumps({"entries": n, "sign_s": sign_s, "verify_s": verify_s,
                  "sign_per_s": n / sign_s, "verify_per_s": n / verify_s}))
