#!/usr/bin/env python3
"""lockprobe DB [--seconds N] [--every MS] [--pid PID] [--show MS]

How long a writer beside a running job waits for kwangmyong's write lock:
the moderation form, a login, another ingest.  Every --every ms the probe
takes the lock the way lib/db.c does (flock on DB.lock, then BEGIN
IMMEDIATE), writes nothing, commits, and records how long it waited.  It
stops after --seconds, or when process --pid has exited, and prints the
number of probes, the wait's p50, p99 and maximum in ms, and how many
waits passed 5 s (the default busy_timeout_ms: a web form would have
failed).  Loopback-free: it only opens the database file.
"""
import argparse
import fcntl
import os
import sqlite3
import sys
import time


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of the caller counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--seconds", type=float, default=600.0)
    ap.add_argument("--every", type=float, default=200.0)
    ap.add_argument("--pid", type=int, default=0)
    ap.add_argument("--show", type=float, default=0.0,
                    help="print each wait longer than this many ms, with "
                    "the second it began at")
    a = ap.parse_args()

    con = sqlite3.connect(a.db, timeout=600.0, isolation_level=None)
    lock = os.open(a.db + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    waits = []
    start = time.monotonic()
    end = start + a.seconds
    while time.monotonic() < end and (a.pid == 0 or alive(a.pid)):
        t0 = time.monotonic()
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > end or (a.pid and not alive(a.pid)):
                    break
                time.sleep(0.002)
        else:
            pass
        try:
            con.execute("BEGIN IMMEDIATE")
            con.execute("COMMIT")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
        waits.append((time.monotonic() - t0) * 1000.0)
        if a.show > 0 and waits[-1] > a.show:
            print("%.1f s: waited %.1f ms" % (t0 - start, waits[-1]))
        time.sleep(a.every / 1000.0)
    if not waits:
        print("lockprobe: no probe made", file=sys.stderr)
        return 1
    w = sorted(waits)

    def pct(p):
        return w[min(len(w) - 1, int(p * len(w)))]

    print("probes %d  wait p50 %.1f ms  p99 %.1f ms  max %.1f ms  over 5 s: %d"
          % (len(w), pct(0.5), pct(0.99), w[-1], sum(1 for x in w if x > 5000)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
