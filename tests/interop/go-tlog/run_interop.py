#!/usr/bin/python3
"""Interop: Go's golang.org/x/mod/sumdb/{note,tlog} verify a live `mats serve`.

  run_interop.py MATS_BINARY WORK_DIR

Builds main.go (GOPATH mode, offline, Debian golang-golang-x-mod-dev), starts
mats serve on a loopback ephemeral port, appends entries in three phases
(5, +300, +400 = 705: two full level-0 tiles, a partial one, a partial
level-1 tile), saves the signed checkpoint after each phase, and runs the Go
verifier against the final tree with the earlier checkpoints as -old.
Then a tampered old checkpoint must make the verifier fail.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tlog_e2e"))
import harness  # noqa: E402

MATS, WORK = sys.argv[1], sys.argv[2]
SRC = os.path.dirname(os.path.abspath(__file__))
ORIGIN = "interop.test/log"


def gopath():
    out = subprocess.run(["dpkg", "-L", "golang-golang-x-mod-dev"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.endswith("/src/golang.org/x/mod"):
            return line[: -len("/src/golang.org/x/mod")]
    raise SystemExit("golang-golang-x-mod-dev is not installed (tools/deps/apt-packages.txt)")


def build():
    os.makedirs(WORK, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOFLAGS="", GOPATH=gopath(),
               GOCACHE=os.path.join(WORK, "gocache"), GOTOOLCHAIN="local")
    binary = os.path.join(WORK, "mats-go-verify")
    subprocess.run(["go", "build", "-o", binary, os.path.join(SRC, "main.go")], check=True, env=env,
                   cwd=SRC, timeout=300)
    return binary


def main():
    verifier = build()
    tmp = tempfile.mkdtemp(prefix="mats-go-interop-")
    srv = None
    try:
        data = os.path.join(tmp, "log")
        token = harness.add_token(MATS, data, "interop")
        srv = harness.Server(MATS, data, ORIGIN)
        conn = harness.Conn(srv.port)
        olds = []
        n = 0
        # An empty tree first: Go's special case is handled by the verifier.
        empty = harness.wait_size(srv.port, 0)
        assert harness.checkpoint_size(empty) == 0
        subprocess.run([verifier, "-url", srv.url, "-vkey", srv.vkey, "-origin", ORIGIN, "-min-size", "0"],
                       check=True, timeout=120)
        for phase in (5, 300, 400):
            for _ in range(phase):
                conn.append(token, harness.event(n, "interop"))
                n += 1
            note = harness.wait_size(srv.port, n)
            path = os.path.join(tmp, "cp-%d" % n)
            with open(path, "w") as f:
                f.write(note)
            olds.append(path)
        conn.close()
        args = [verifier, "-url", srv.url, "-vkey", srv.vkey, "-origin", ORIGIN, "-min-size", str(n)]
        for o in olds:
            args += ["-old", o]
        subprocess.run(args, check=True, timeout=240)

        # Negative control: a wrong key and a forged old checkpoint must fail.
        bad = subprocess.run([verifier, "-url", srv.url, "-vkey",
                              "interop.test/log+00000000+AdsqWF2qMb4U3jYwMEpZb0r4CNbIOA4N3wQt6ORUrJpA",
                              "-origin", ORIGIN], capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0, "verifier accepted a wrong key"
        forged = os.path.join(tmp, "forged")
        with open(olds[0]) as f:
            text = f.read()
        lines = text.split("\n")
        lines[2] = "A" + lines[2][1:] if lines[2][0] != "A" else "B" + lines[2][1:]
        with open(forged, "w") as f:
            f.write("\n".join(lines))
        bad = subprocess.run([verifier, "-url", srv.url, "-vkey", srv.vkey, "-origin", ORIGIN, "-old", forged],
                             capture_output=True, text=True, timeout=120)
        assert bad.returncode != 0, "verifier accepted a forged old checkpoint"
        print("go interop: ok (%d entries, %d old checkpoints)" % (n, len(olds)))
    finally:
        if srv:
            srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)


main()
