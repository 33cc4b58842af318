#!/usr/bin/python3
"""Append-to-checkpoint latency: time from sending an append until the served
checkpoint covers its index. Usage: tlog_latency.py URL TOKEN COUNT."""
import http.client
import json
import sys
import time
import urllib.parse

url, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(url)
post = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
poll = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
ack, full = [], []
for i in range(count):
    body = json.dumps({"type": "upload", "subject": "lat/m-%d@1.0" % i,
                       "digests": [{"role": "artifact", "algorithm": "sha256", "hex": "%064x" % (i + 7)}]})
    t0 = time.perf_counter()
    post.request("POST", "/api/v1/entries", body, {"Authorization": "Bearer " + token,
                                                   "Content-Type": "application/json"})
    r = post.getresponse()
    data = r.read()
    assert r.status == 201, (r.status, data)
    t1 = time.perf_counter()
    idx = json.loads(data)["index"]
    while True:
        poll.request("GET", "/checkpoint")
        cp = poll.getresponse().read().decode()
        if int(cp.split("\n")[1]) > idx:
            break
        time.sleep(0.001)
    t2 = time.perf_counter()
    ack.append((t1 - t0) * 1000)
    full.append((t2 - t0) * 1000)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))]


print("durable ack:         p50 %.1f ms  p99 %.1f ms" % (pct(ack, 0.5), pct(ack, 0.99)))
print("append->checkpoint:  p50 %.1f ms  p99 %.1f ms  (n=%d)" % (pct(full, 0.5), pct(full, 0.99), count))
