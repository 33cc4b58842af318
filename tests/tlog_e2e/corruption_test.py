#!/usr/bin/python3
"""Corrupt storage and read-only storage: the server must refuse to sign a
wrong tree, and `mats log verify --audit` must pinpoint the corruption.

  corruption_test.py MATS_BINARY sqlite|postgres|readonly|fulldisk

sqlite:   300 entries; flip a byte in the full tile file tile/0/000 -> after a
          restart the audit names tile/0/000 and an inclusion proof through it
          fails; flip a byte in the right-edge tile (tile/0/001.p/44) -> the
          server refuses to start ("refusing to sign"), naming the tile.
postgres: throwaway cluster; corrupt entry row 5 -> the audit names entry 5;
          corrupt the edge row 290 -> the server refuses to start, naming it;
          corrupt a tile row's length -> a clear error naming the row.
readonly: the server runs as `nobody` on a data dir that becomes read-only
          (chmod, as root) while it runs: once the integrator fails to write a
          tile the server answers appends with 503 and a JSON error naming the
          cause ("refusing appends"), and keeps refusing them (at most the few
          appends before the first failed integration are acknowledged; SQLite
          still writes through its open handles); no checkpoint is signed for
          entries whose tiles cannot be written, reads keep working, the served
          checkpoint stays valid and consistent, and a restart on the read-only
          dir fails cleanly.
fulldisk: the data dir lives on a 4 MiB tmpfs (mounted as root; skipped when
          mounting is not permitted) that a filler file makes full: appends
          get 503 with a JSON error naming the cause and keep being refused,
          nothing wrong is signed (audit passes), reads keep working; once
          the filler is removed, appends are accepted again (after the
          integrator's retry succeeds, or after a restart if the outcome of
          a failed commit was unknown) and every acknowledged entry is covered
          by a checkpoint consistent with the earlier one.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MATS, MODE = sys.argv[1], sys.argv[2]
ORIGIN = "corrupt.test/log"


def fill(srv, token, n, first=0):
    loader_conn = [harness.Conn(srv.port) for _ in range(4)]
    import threading
    nxt = [first]
    lock = threading.Lock()

    def run(c):
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= first + n:
                return
            c.append(token, harness.event(i, "corrupt"))

    ts = [threading.Thread(target=run, args=(c,)) for c in loader_conn]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for c in loader_conn:
        c.close()
    return harness.wait_size(srv.port, first + n)


def audit(srv, state=None, expect_ok=True):
    args = ["verify", "--url", srv.url, "--log-key", srv.vkey, "--audit", "--state",
            state or os.path.join(TMP, "scratch-state-%d.json" % time.monotonic_ns())]
    p = harness.mats_log(MATS, *args, check=False)
    if expect_ok:
        assert p.returncode == 0, (p.stdout, p.stderr)
        return json.loads(p.stdout)
    assert p.returncode == 1, ("audit should fail", p.returncode, p.stdout, p.stderr)
    return json.loads(p.stdout)


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x40]))


def start_fails(data, extra=(), run_as=None):
    cmd = [MATS, "serve", "--data-dir", data, "--listen", "127.0.0.1:0"] + list(extra)
    if run_as:
        cmd = ["runuser", "-u", run_as, "--"] + cmd
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        raise AssertionError("server started although storage is corrupt: %s" % out)
    assert p.returncode != 0 and "listening" not in out, (p.returncode, out, err)
    return err


def run_sqlite(tmp):
    data = os.path.join(tmp, "log")
    token = harness.add_token(MATS, data, "c")
    srv = harness.Server(MATS, data, ORIGIN)
    state = os.path.join(tmp, "state.json")
    try:
        fill(srv, token, 300)
        audit(srv, state)
    finally:
        srv.stop()
    # 1. A full tile inside the tree.
    tile = os.path.join(data, "tile", "0", "000")
    assert os.path.exists(tile), os.listdir(os.path.join(data, "tile", "0"))
    flip(tile, 5 * 32 + 7)
    srv = harness.Server(MATS, data, ORIGIN)
    try:
        rep = audit(srv, expect_ok=False)
        assert rep["audit"].get("first_bad_tile") == "tile/0/000" or rep["audit"].get("first_bad_entry") == 5, rep
        assert "tile/0/000" in rep["audit"]["problem"], rep
        p = harness.mats_log(MATS, "proof", "--url", srv.url, "--log-key", srv.vkey, "--index", "6", check=False)
        assert p.returncode == 1, (p.stdout, p.stderr)  # proof through the corrupt tile fails
        print("sqlite: corrupt tile pinpointed:", rep["audit"]["problem"][:160])
    finally:
        srv.stop()
    flip(tile, 5 * 32 + 7)  # repair
    # 2. The right-edge tile: the server refuses to sign on top of it.
    edge = os.path.join(data, "tile", "0", "001.p", "44")
    assert os.path.exists(edge), os.listdir(os.path.join(data, "tile", "0"))
    flip(edge, 3)
    err = start_fails(data)
    assert "tile/0/001" in err and "refus" in err, err
    print("sqlite: corrupt edge tile refused:", err.strip()[:160])
    flip(edge, 3)
    srv = harness.Server(MATS, data, ORIGIN)
    try:
        audit(srv, state)  # repaired: consistent with the state remembered before
    finally:
        srv.stop()


def run_postgres(tmp):
    os.chmod(tmp, 0o755)
    pgdir = os.path.join(tmp, "pg")
    os.makedirs(pgdir)
    conninfo = harness.pg_start(pgdir)
    extra = ["--storage", "postgres", "--pg", conninfo, "--pg-lock-wait-ms", "5000"]
    data = os.path.join(tmp, "log")
    try:
        token = harness.add_token(MATS, data, "c")
        srv = harness.Server(MATS, data, ORIGIN, extra)
        try:
            fill(srv, token, 300)
            audit(srv)
        finally:
            srv.stop()
        # 1. An entry row inside a full tile.
        harness.psql(conninfo, "UPDATE mats_log.entries SET data = overlay(data placing '\\xff'::bytea from 30) "
                               "WHERE idx = 5")
        srv = harness.Server(MATS, data, ORIGIN, extra)
        try:
            rep = audit(srv, expect_ok=False)
            assert rep["audit"].get("first_bad_entry") == 5, rep
            print("postgres: corrupt row pinpointed:", rep["audit"]["problem"][:160])
        finally:
            srv.stop()
        # 2. An entry row on the right edge: refuse to sign.
        harness.psql(conninfo, "UPDATE mats_log.entries SET data = overlay(data placing '\\xff'::bytea from 30) "
                               "WHERE idx = 290")
        err = start_fails(data, extra)
        assert "290" in err and "refus" in err, err
        print("postgres: corrupt edge row refused:", err.strip()[:160])
        # 3. A tile row with a bad length: a clear error naming the row.
        harness.psql(conninfo, "UPDATE mats_log.tiles SET data = substring(data from 1 for 100) "
                               "WHERE level = 0 AND idx = 1")
        err = start_fails(data, extra)
        assert "corrupt tile row" in err, err
        print("postgres: corrupt tile row refused:", err.strip()[:160])
    finally:
        harness.pg_stop(pgdir)


def run_readonly(tmp):
    if os.geteuid() != 0:
        # root ignores file modes, so the test drops to `nobody`, which needs root.
        print("readonly: needs root to run the server as nobody; skipped")
        sys.exit(77)
    os.chmod(tmp, 0o755)
    data = os.path.join(tmp, "log")
    os.makedirs(data)
    shutil.chown(data, "nobody")
    token = harness.add_token(MATS, data, "c", run_as="nobody")
    srv = harness.Server(MATS, data, ORIGIN, run_as="nobody")
    try:
        note = fill(srv, token, 50)
        before = harness.checkpoint_size(note)
        subprocess.run(["chmod", "-R", "a-w", data], check=True)
        conn = harness.Conn(srv.port)
        hdrs = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        statuses = []
        refusal = None
        # The integrator (100 ms interval) must notice within a few seconds.
        for i in range(300):
            st, body, _ = conn.request("POST", "/api/v1/entries", harness.event(1000 + i, "ro"), hdrs)
            statuses.append(st)
            if st != 201:
                refusal = (st, body)
                break
            time.sleep(0.01)
        acked = statuses.count(201)
        print("readonly: %d appends acknowledged after chmod, then %s" % (acked, refusal))
        assert refusal is not None, "appends to a read-only data dir were all acknowledged"
        st, body = refusal
        assert st == 503, refusal
        err = json.loads(body)["error"]
        assert "refusing appends" in err, err
        assert any(c in err for c in ("Permission denied", "Read-only")), err
        # It keeps refusing: nothing more is acknowledged.
        for i in range(20):
            st, body, _ = conn.request("POST", "/api/v1/entries", harness.event(2000 + i, "ro"), hdrs)
            assert st == 503, (st, body)
        time.sleep(0.5)
        note2 = harness.checkpoint(srv.port)
        after = harness.checkpoint_size(note2)
        # No checkpoint covers entries whose tiles could not be written.
        assert after <= before + acked, (before, acked, after)
        # Reads keep working.
        st, body, _ = conn.get("/api/v1/entries/0")
        assert st == 200, (st, body)
        # Whatever was signed must verify completely (no wrong tree signed).
        audit(srv)
        assert srv.proc.poll() is None, "server crashed"
        print("readonly: statuses %s, checkpoint %d -> %d" % (sorted(set(statuses)), before, after))
    finally:
        srv.stop()
    # Restart on the read-only dir: fails cleanly or refuses writes.
    cmd = ["runuser", "-u", "nobody", "--", MATS, "serve", "--data-dir", data, "--listen", "127.0.0.1:0"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=10)
        assert p.returncode not in (0, None) and p.returncode < 128, (p.returncode, err)
        print("readonly restart refused:", err.strip()[:160])
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("server started on a read-only data dir")
    subprocess.run(["chmod", "-R", "u+w", data], check=True)


def post(conn, token, i):
    return conn.request("POST", "/api/v1/entries", harness.event(i, "full"),
                        {"Authorization": "Bearer " + token, "Content-Type": "application/json"})


def run_fulldisk(tmp):
    disk = os.path.join(tmp, "disk")
    os.makedirs(disk)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", disk],
                                           stderr=subprocess.DEVNULL).returncode != 0:
        print("fulldisk: cannot mount a tmpfs (needs root and mount permission); skipped")
        sys.exit(77)
    try:
        data = os.path.join(disk, "log")
        os.makedirs(data)
        token = harness.add_token(MATS, data, "c")
        srv = harness.Server(MATS, data, ORIGIN)
        try:
            note = fill(srv, token, 50)
            before = harness.checkpoint_size(note)
            filler = os.path.join(disk, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                while os.write(fd, b"\0" * 4096) > 0:
                    pass
            except OSError:
                pass
            finally:
                os.close(fd)
            conn = harness.Conn(srv.port)
            acked, refusal = [], None
            for i in range(2000):
                st, body, _ = post(conn, token, 1000 + i)
                if st == 201:
                    acked.append(json.loads(body)["index"])
                    time.sleep(0.01)
                    continue
                refusal = (st, body)
                break
            print("fulldisk: %d appends acknowledged on the full disk, then %s" % (len(acked), refusal))
            assert refusal is not None, "appends to a full disk were all acknowledged"
            assert refusal[0] == 503, refusal
            err = json.loads(refusal[1])["error"]
            assert any(c in err for c in ("No space", "full")), err
            for i in range(10):
                st, body, _ = post(conn, token, 3000 + i)
                assert st == 503, (st, body)
            st, body, _ = conn.get("/api/v1/entries/0")
            assert st == 200, (st, body)
            after = harness.checkpoint_size(harness.checkpoint(srv.port))
            assert before <= after <= before + len(acked), (before, acked, after)
            audit(srv)
            assert srv.proc.poll() is None, "server crashed"
            # Space comes back: appends are accepted again.
            os.unlink(filler)
            ok = None
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                st, body, _ = post(conn, token, 4000)
                if st == 201:
                    ok = json.loads(body)["index"]
                    break
                time.sleep(0.1)
            if ok is None:
                print("fulldisk: still refusing after space came back (%s); restarting" % body[:160])
                srv.stop()
                srv = harness.Server(MATS, data, ORIGIN)
                conn = harness.Conn(srv.port)
                st, body, _ = post(conn, token, 4001)
                assert st == 201, (st, body)
                ok = json.loads(body)["index"]
            else:
                print("fulldisk: accepting appends again after the retry")
            final = harness.wait_size(srv.port, ok + 1)
            assert harness.checkpoint_size(final) == ok + 1
            audit(srv)
            print("fulldisk: checkpoint %d -> %d -> %d" % (before, after, ok + 1))
        finally:
            srv.stop()
    finally:
        subprocess.run(["umount", disk])


TMP = tempfile.mkdtemp(prefix="mats-corrupt-")


def main():
    tmp = TMP
    try:
        {"sqlite": run_sqlite, "postgres": run_postgres, "readonly": run_readonly,
         "fulldisk": run_fulldisk}[MODE](tmp)
        print("corruption test (%s): ok" % MODE)
    finally:
        subprocess.run(["chmod", "-R", "u+w", tmp])
        shutil.rmtree(tmp, ignore_errors=True)


main()
