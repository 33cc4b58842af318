"""Helpers for the mats transparency-log end-to-end tests (loopback only).

Each helper is bounded in time; a failure raises AssertionError or
RuntimeError with a message. Used by crash_test.py, corruption_test.py,
../interop/go-tlog/run_interop.py and ../server/openapi_check.py.
"""
import base64
import hashlib
import http.client
import json
import os
import re
import signal
import struct
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PG_CLUSTER = os.path.join(HERE, "pg_cluster.sh")


def event(i, tag="e2e"):
    return json.dumps({"type": "upload", "subject": "%s/model-%d@1.0" % (tag, i),
                       "digests": [{"role": "artifact", "algorithm": "sha256",
                                    "hex": hashlib.sha256(b"%s-%d" % (tag.encode(), i)).hexdigest()}]})


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).hexdigest()


class Server:
    """A `mats serve` child process."""

    def __init__(self, mats, data_dir, origin, extra=(), run_as=None, wait_listen=True, timeout=30):
        self.mats, self.data_dir, self.origin = mats, data_dir, origin
        cmd = [mats, "serve", "--data-dir", data_dir, "--origin", origin,
               "--listen", "127.0.0.1:0", "--checkpoint-interval-ms", "50"] + list(extra)
        if run_as:
            cmd = ["runuser", "-u", run_as, "--"] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = None
        self.vkey = None
        self.stderr_lines = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        if wait_listen:
            self.wait_listening(timeout)

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def wait_listening(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                time.sleep(0.05)
                if self.proc.poll() is not None:
                    break
                continue
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            m = re.search(r"verifier key (\S+)", line)
            if m:
                self.vkey = m.group(1)
                return
        raise RuntimeError("server did not start: rc=%s stderr=%s" % (self.proc.poll(), "".join(self.stderr_lines)))

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def add_token(mats, data_dir, name, scope="append", run_as=None):
    cmd = [mats, "serve", "token", "add", "--data-dir", data_dir, "--name", name, "--scope", scope]
    if run_as:
        cmd = ["runuser", "-u", run_as, "--"] + cmd
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


class Conn:
    """A keep-alive HTTP connection."""

    def __init__(self, port, timeout=30):
        self.port, self.timeout = port, timeout
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            self.c.request(method, path, body=body, headers=headers or {})
            r = self.c.getresponse()
            return r.status, r.read(), r.getheader("Content-Type") or ""
        except Exception:
            self.c.close()
            self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            raise

    def get(self, path):
        return self.request("GET", path)

    def append(self, token, body):
        st, data, _ = self.request("POST", "/api/v1/entries", body,
                                   {"Authorization": "Bearer " + token, "Content-Type": "application/json"})
        if st != 201:
            raise RuntimeError("append: %d %s" % (st, data[:200]))
        return json.loads(data)

    def close(self):
        self.c.close()


def checkpoint(port):
    c = Conn(port)
    try:
        st, data, _ = c.get("/checkpoint")
        assert st == 200, st
        return data.decode()
    finally:
        c.close()


def checkpoint_size(note):
    return int(note.split("\n")[1])


def wait_size(port, size, timeout=30):
    deadline = time.time() + timeout
    note = ""
    while time.time() < deadline:
        note = checkpoint(port)
        if checkpoint_size(note) >= size:
            return note
        time.sleep(0.03)
    raise AssertionError("checkpoint did not reach %d (last %r)" % (size, note[:80]))


def read_entries(port, size):
    """All entries of the tree of `size` from the C2SP entry bundles."""
    c = Conn(port)
    out = []
    try:
        n = 0
        while n * 256 < size:
            w = min(256, size - n * 256)
            path = "/tile/entries/" + encode_index(n) + ("" if w == 256 else ".p/%d" % w)
            st, data, _ = c.get(path)
            assert st == 200, (path, st, data[:100])
            off = 0
            for _ in range(w):
                (l,) = struct.unpack(">H", data[off:off + 2])
                out.append(data[off + 2:off + 2 + l])
                off += 2 + l
            assert off == len(data), path
            n += 1
    finally:
        c.close()
    return out


def encode_index(n):
    s = "%03d" % (n % 1000)
    n //= 1000
    while n > 0:
        s = "x%03d/" % (n % 1000) + s
        n //= 1000
    return s


def mats_log(mats, *args, check=True):
    p = subprocess.run([mats, "log"] + list(args), capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("mats log %s failed (%d): %s %s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


class Loader:
    """Appends from several threads until stopped; records acknowledged appends."""

    def __init__(self, ports, token, threads=4, tag="load"):
        self.ports = list(ports)
        self.token = token
        self.acked = {}  # index -> leaf hash hex
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.counter = 0
        self.errors = 0
        self.tag = tag
        self.threads = [threading.Thread(target=self._run, args=(t,), daemon=True) for t in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()

    def set_ports(self, ports):
        with self.lock:
            self.ports = list(ports)

    def _run(self, tid):
        conn = None
        port = None
        while not self.stop_flag.is_set():
            with self.lock:
                i = self.counter
                self.counter += 1
                want = self.ports[tid % len(self.ports)] if self.ports else None
            if want is None:
                time.sleep(0.05)
                continue
            if conn is None or port != want:
                if conn:
                    conn.close()
                port = want
                conn = Conn(port, timeout=10)
            body = event(i, self.tag)
            try:
                r = conn.append(self.token, body)
            except Exception:
                self.errors += 1
                time.sleep(0.05)
                continue
            with self.lock:
                self.acked[r["index"]] = r["leaf_hash"]

    def stop(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(timeout=30)


def check_acked(port, acked, note):
    """Every acknowledged append is in the tree of `note` at its index."""
    size = checkpoint_size(note)
    if not acked:
        return 0
    assert max(acked) < size, "acked index %d beyond checkpoint size %d" % (max(acked), size)
    entries = read_entries(port, size)
    for idx, lh in acked.items():
        got = leaf_hash(entries[idx])
        assert got == lh, "entry %d: leaf %s, acked %s" % (idx, got, lh)
    return len(acked)


def pg_start(tmpdir):
    out = subprocess.run(["bash", PG_CLUSTER, "start", tmpdir], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def pg_stop(tmpdir):
    subprocess.run(["bash", PG_CLUSTER, "stop", tmpdir], capture_output=True)


def psql(conninfo, sql):
    return subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qAt", conninfo, "-c", sql], check=True,
                          capture_output=True, text=True).stdout
