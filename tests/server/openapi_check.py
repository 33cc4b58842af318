#!/usr/bin/python3
"""Checks `mats serve` and `mats witness` against docs/api/openapi.yaml.

  openapi_check.py MATS_BINARY OPENAPI_YAML

Starts a log server (SQLite, temp dir, loopback, ephemeral port) and a
witness, appends 260 events, then:
  * every documented operation has x-mats-examples, and each example answers
    with its expected status, which must be documented for the operation,
    with a documented content type for that status;
  * the documented operations equal the routes the binaries register
    (`mats serve routes`), in both directions;
  * tiles carry immutable cache headers, the checkpoint no-cache.
Exits 0 on success, 1 with a list of failures.
"""
import base64
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import yaml

MATS, SPEC = sys.argv[1], sys.argv[2]
ORIGIN = "openapi.test/log"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def start(cmd, pattern):
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    lines = []
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(pattern, line)
        if m:
            return p, m, lines
    p.kill()
    raise SystemExit("could not start %s: %s %s" % (cmd, lines, p.stderr.read()))


def request(port, method, path, body=None, headers=None):
    if isinstance(body, str):
        body = body.encode("utf-8")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    out = (r.status, r.getheader("Content-Type") or "", r.getheader("Cache-Control") or "", data)
    c.close()
    return out


def event(i):
    return json.dumps({"type": "upload", "subject": "acme/model-%d@1.0" % i,
                       "digests": [{"role": "artifact", "algorithm": "sha256",
                                    "hex": "%064x" % (i + 1)}]})


def main():
    spec = yaml.safe_load(open(SPEC))
    tmp = tempfile.mkdtemp(prefix="mats-openapi-")
    procs = []
    try:
        data = os.path.join(tmp, "log")
        tok = {}
        for name, scope in (("appender", "append"), ("reader", "read")):
            out = subprocess.run([MATS, "serve", "token", "add", "--data-dir", data, "--name", name,
                                  "--scope", scope], check=True, capture_output=True, text=True)
            tok[scope] = out.stdout.strip()
        log, m, lines = start([MATS, "serve", "--data-dir", data, "--origin", ORIGIN,
                               "--listen", "127.0.0.1:0", "--checkpoint-interval-ms", "20"],
                              r"listening on http://127\.0\.0\.1:(\d+)")
        procs.append(log)
        port = int(m.group(1))
        vkey = None
        while vkey is None:
            line = log.stdout.readline()
            mm = re.search(r"verifier key (\S+)", line)
            if mm:
                vkey = mm.group(1)
        auth = {"Authorization": "Bearer " + tok["append"], "Content-Type": "application/json"}
        for i in range(260):
            st, _, _, body = request(port, "POST", "/api/v1/entries", event(i), auth)
            if st != 201:
                raise SystemExit("append %d failed: %d %s" % (i, st, body))
        size = 0
        for _ in range(500):
            size = json.loads(request(port, "GET", "/api/v1/log")[3])["tree_size"]
            if size >= 260:
                break
            time.sleep(0.02)
        if size != 260:
            raise SystemExit("checkpoint did not reach 260 (%d)" % size)
        leaf0 = json.loads(request(port, "GET", "/api/v1/entries/0")[3])["leaf_hash"]

        wkey_file = os.path.join(tmp, "witness.key")
        subprocess.run([MATS, "witness", "keygen", "--name", "openapi.test/witness", "--key", wkey_file],
                       check=True, capture_output=True)
        wit, wm, _ = start([MATS, "witness", "--key", wkey_file, "--log-key", vkey, "--state",
                            os.path.join(tmp, "witness-state.json"), "--port", "0"],
                           r"listening on http://127\.0\.0\.1:(\d+)")
        procs.append(wit)
        wport = int(wm.group(1))

        note = request(port, "GET", "/checkpoint")[3].decode()
        text, sigs = note.split("\n\n", 1)
        sig_line = sigs.splitlines()[0]
        prefix, b64 = sig_line.rsplit(" ", 1)
        raw = bytearray(base64.b64decode(b64))
        raw[10] ^= 1
        bad_sig_note = text + "\n\n" + prefix + " " + base64.b64encode(bytes(raw)).decode() + "\n"
        unknown_note = note.replace(ORIGIN, "other.test/log", 1)

        def bodies(name):
            if name == "event":
                return event(1000)
            if name == "oversize":
                return b"\x00" * 70000
            if name == "hugejson":
                return '{"type":"' + "x" * 300000 + '"}'
            if name == "witness-first":
                return "old 0\n\n" + note
            if name == "witness-stale":
                return "old 0\n\n" + note
            if name == "witness-unknown-origin":
                return "old 0\n\n" + unknown_note
            if name == "witness-bad-signature":
                return "old 260\n\n" + bad_sig_note
            if name == "witness-old-too-big":
                return "old 999999\n\n" + note
            if name == "witness-bad-proof":
                # A newer checkpoint with a bogus proof from the cosigned size.
                st, _, _, _ = request(port, "POST", "/api/v1/entries", event(2000), auth)
                assert st == 201
                n2 = note
                for _ in range(500):
                    n2 = request(port, "GET", "/checkpoint")[3].decode()
                    if int(n2.split("\n")[1]) > 260:
                        break
                    time.sleep(0.02)
                return "old 260\n" + base64.b64encode(b"\x00" * 32).decode() + "\n\n" + n2
            return name

        documented_routes = set()
        for path, ops in spec["paths"].items():
            for method, op in ops.items():
                server = op.get("x-mats-server")
                documented_routes.add("%s %s %s" % (server, method.upper(), path))
                examples = op.get("x-mats-examples") or []
                if not examples:
                    fail("%s %s has no x-mats-examples" % (method, path))
                for ex in examples:
                    m_ = ex.get("method", "GET")
                    if m_.lower() != method:
                        fail("example %s under %s %s has method %s" % (ex["path"], method, path, m_))
                    headers = {}
                    body = None
                    if "body" in ex:
                        body = bodies(ex["body"])
                        headers["Content-Type"] = ex.get("content_type", "application/json"
                                                         if server == "log" else "text/plain")
                    a = ex.get("auth")
                    if a == "append":
                        headers["Authorization"] = "Bearer " + tok["append"]
                    elif a == "read":
                        headers["Authorization"] = "Bearer " + tok["read"]
                    elif a == "wrong":
                        headers["Authorization"] = "Bearer mats_wrongtoken"
                    p = ex["path"].replace("LEAF0", leaf0)
                    st, ctype, cache, data = request(wport if server == "witness" else port, m_, p,
                                                     body, headers)
                    where = "%s %s -> %d" % (m_, p, st)
                    if st != ex["status"]:
                        fail("%s, want %d: %s" % (where, ex["status"], data[:200]))
                    resp = op["responses"].get(str(st))
                    if resp is None:
                        fail("%s: status not documented" % where)
                        continue
                    if "$ref" in resp:
                        resp = spec["components"]["responses"][resp["$ref"].split("/")[-1]]
                    types = list((resp.get("content") or {}).keys())
                    base = ctype.split(";")[0].strip()
                    if base not in types:
                        fail("%s: content type %r not in %r" % (where, ctype, types))
                    if st == 200 and p.startswith("/tile/") and "immutable" not in cache:
                        fail("%s: Cache-Control %r is not immutable" % (where, cache))
                    if st == 200 and p == "/checkpoint" and cache != "no-cache":
                        fail("%s: Cache-Control %r" % (where, cache))
                    if st == 409 and server == "witness" and base == "text/x.tlog.size":
                        if not re.fullmatch(rb"\d+\n", data):
                            fail("%s: 409 body %r is not <size>\\n" % (where, data))

        served = subprocess.run([MATS, "serve", "routes"], check=True, capture_output=True,
                                text=True).stdout.split("\n")
        served = set(l.strip() for l in served if l.strip())
        for r in sorted(served - documented_routes):
            fail("served but not documented: " + r)
        for r in sorted(documented_routes - served):
            fail("documented but not served: " + r)
        # The servers are still alive after all the bad requests.
        if request(port, "GET", "/checkpoint")[0] != 200 or log.poll() is not None:
            fail("log server died")
        if wit.poll() is not None:
            fail("witness died")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        sys.exit(1)
    print("openapi: all documented operations conform; routes match")


main()
