#!/usr/bin/python3
"""Crash safety of `mats serve`: SIGKILL under concurrent load, restart, check.

  crash_test.py MATS_BINARY sqlite|postgres

sqlite:   one server; 4 client threads append over keep-alive connections; a
          poller saves every checkpoint it sees; after a while the server is
          SIGKILLed mid-load and restarted on the same data dir. Two rounds.
postgres: a throwaway PostgreSQL cluster (pg_cluster.sh) and two servers on
          one log: A sequences, B waits for the sequencer lock. A is SIGKILLed
          under load, B takes over and the clients move to B; then A is
          restarted as standby and B is killed. Two rounds.
After each round:
  * every acknowledged append (index, leaf hash) is in the new tree,
  * every checkpoint seen before is consistent with the new one
    (`mats log proof --old-checkpoint`, the C++ client, proof from tiles),
  * `mats log verify --audit` recomputes the whole log from its entries.
Bounded: each phase has a timeout; the whole test takes well under a minute.
"""
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

MATS, MODE = sys.argv[1], sys.argv[2]
ORIGIN = "crash.test/log"


class Poller:
    def __init__(self):
        self.port = None
        self.seen = {}  # note text -> size
        self.stop_flag = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop_flag.is_set():
            port = self.port
            if port:
                try:
                    note = harness.checkpoint(port)
                    self.seen[note] = harness.checkpoint_size(note)
                except Exception:
                    pass
            time.sleep(0.02)


def verify_round(srv, loader_acked, seen, tmp, state):
    top = max(loader_acked) + 1 if loader_acked else 0
    note = harness.wait_size(srv.port, top, timeout=30)
    n = harness.check_acked(srv.port, loader_acked, note)
    # Consistency of every earlier checkpoint with the new one (sampled to 25).
    notes = sorted(seen.items(), key=lambda kv: kv[1])
    if len(notes) > 25:
        step = len(notes) / 25.0
        notes = [notes[int(i * step)] for i in range(25)] + [notes[-1]]
    for i, (old, size) in enumerate(notes):
        path = os.path.join(tmp, "old-%d" % i)
        with open(path, "w") as f:
            f.write(old)
        harness.mats_log(MATS, "proof", "--url", srv.url, "--log-key", srv.vkey, "--old-checkpoint", path)
    # Rollback/fork detection state carried across rounds, plus a full audit.
    harness.mats_log(MATS, "verify", "--url", srv.url, "--log-key", srv.vkey, "--state", state, "--audit")
    return n, len(notes), harness.checkpoint_size(note)


def run_sqlite(tmp):
    data = os.path.join(tmp, "log")
    token = harness.add_token(MATS, data, "load")
    state = os.path.join(tmp, "client-state.json")
    srv = harness.Server(MATS, data, ORIGIN)
    poller = Poller()
    poller.port = srv.port
    poller.t.start()
    loader = harness.Loader([srv.port], token, threads=4)
    loader.start()
    try:
        for rnd in range(2):
            deadline = time.time() + 10
            while len(loader.acked) < 300 * (rnd + 1) and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(0.3)
            srv.kill()  # SIGKILL mid-load
            acked_before = len(loader.acked)
            time.sleep(0.2)
            srv = harness.Server(MATS, data, ORIGIN)
            loader.set_ports([srv.port])
            poller.port = srv.port
            n, checked, size = verify_round(srv, dict(loader.acked), dict(poller.seen), tmp, state)
            print("sqlite round %d: %d acked (%d before kill), size %d, %d checkpoints consistent"
                  % (rnd, n, acked_before, size, checked))
            assert acked_before > 0
    finally:
        loader.stop()
        poller.stop_flag.set()
        srv.stop()
    # Final: after the load stopped, everything acknowledged is there.
    srv = harness.Server(MATS, data, ORIGIN)
    try:
        verify_round(srv, dict(loader.acked), dict(poller.seen), tmp, state)
    finally:
        srv.stop()


def run_postgres(tmp):
    pgdir = os.path.join(tmp, "pg")
    os.makedirs(pgdir)
    conninfo = harness.pg_start(pgdir)
    servers = []
    try:
        dirs = [os.path.join(tmp, "a"), os.path.join(tmp, "b")]
        token = harness.add_token(MATS, dirs[0], "load")
        os.makedirs(dirs[1], exist_ok=True)
        shutil.copy(os.path.join(dirs[0], "tokens.json"), dirs[1])
        extra = ["--storage", "postgres", "--pg", conninfo, "--pg-lock-wait-ms", "60000"]
        a = harness.Server(MATS, dirs[0], ORIGIN, extra)
        servers.append(a)
        # B shares A's log key (same origin, same log).
        shutil.copy(os.path.join(dirs[0], "log.key"), dirs[1])
        b = harness.Server(MATS, dirs[1], ORIGIN, extra, wait_listen=False)
        servers.append(b)
        time.sleep(0.5)
        assert b.proc.poll() is None and b.port is None, "standby B must wait for the lock"
        state = os.path.join(tmp, "client-state.json")
        poller = Poller()
        poller.port = a.port
        poller.t.start()
        loader = harness.Loader([a.port], token, threads=4)
        loader.start()
        active, standby, standby_dir = a, b, dirs[0]
        try:
            for rnd in range(2):
                deadline = time.time() + 10
                while len(loader.acked) < 300 * (rnd + 1) and time.time() < deadline:
                    time.sleep(0.05)
                time.sleep(0.3)
                active.kill()
                acked_before = len(loader.acked)
                standby.wait_listening(timeout=60)  # takes the lock, recovers, listens
                loader.set_ports([standby.port])
                poller.port = standby.port
                n, checked, size = verify_round(standby, dict(loader.acked), dict(poller.seen), tmp, state)
                print("postgres round %d: %d acked (%d before kill), size %d, %d checkpoints consistent"
                      % (rnd, n, acked_before, size, checked))
                # The killed server comes back as the new standby.
                killed_dir = standby_dir
                standby_dir = dirs[1] if killed_dir == dirs[0] else dirs[0]
                new_standby = harness.Server(MATS, killed_dir, ORIGIN, extra, wait_listen=False)
                servers.append(new_standby)
                active, standby = standby, new_standby
        finally:
            loader.stop()
            poller.stop_flag.set()
        verify_round(active, dict(loader.acked), dict(poller.seen), tmp, state)
    finally:
        for s in servers:
            s.stop()
        harness.pg_stop(pgdir)


def main():
    tmp = tempfile.mkdtemp(prefix="mats-crash-")
    if MODE == "postgres":
        os.chmod(tmp, 0o755)
    try:
        if MODE == "sqlite":
            run_sqlite(tmp)
        elif MODE == "postgres":
            run_postgres(tmp)
        else:
            raise SystemExit("mode must be sqlite or postgres")
        print("crash test (%s): ok" % MODE)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
