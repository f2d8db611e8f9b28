# watch.py: samples a running gao-dev supervisor from /proc.
#
# Design note: a thread samples every INTERVAL seconds, until stop(): the
# supervisor's open file descriptors (/proc/PID/fd), its resident memory
# (VmRSS) and every process below it (the ppid chain over /proc/*/stat),
# each remembered by (pid, start time) so that a pid reused later is not
# taken for one of ours. After the invocation, leftovers() names those
# still alive, and token_processes() every process whose command line
# holds the soak's token (the agents' commands carry it): the machine may
# run other gao-dev processes, which neither check looks at.

import os
import threading
import time

INTERVAL = 0.2


def _stat(pid):
    """Return (ppid, start time, comm) of pid, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    close = data.rfind(b")")
    comm = data[data.find(b"(") + 1:close].decode("utf-8", "replace")
    fields = data[close + 2:].split()
    return int(fields[1]), int(fields[19]), comm


def _pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def fd_count(pid):
    """Return the number of open fds of pid, or None if it is gone."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def rss_kib(pid):
    """Return VmRSS of pid in KiB, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


class Watcher:
    """Samples the supervisor pid until stop(); see the design note."""

    def __init__(self, pid):
        self.pid = pid
        self.samples = []  # (seconds since start, fds, rss KiB, children)
        self.seen = {}  # (pid, start) -> comm of every descendant seen
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _descendants(self):
        parent = {}
        info = {}
        for pid in _pids():
            st = _stat(pid)
            if st:
                parent[pid] = st[0]
                info[pid] = st
        out = []
        for pid in parent:
            p, hops = parent.get(pid), 0
            while p and p != self.pid and hops < 64:
                p, hops = parent.get(p), hops + 1
            if p == self.pid:
                out.append((pid, info[pid][1], info[pid][2]))
        return out

    def _loop(self):
        while not self._stop.is_set():
            fds, rss = fd_count(self.pid), rss_kib(self.pid)
            if fds is None or rss is None:
                break
            kids = self._descendants()
            for pid, start, comm in kids:
                self.seen[(pid, start)] = comm
            self.samples.append((time.monotonic() - self._t0, fds, rss,
                                 len(kids)))
            self._stop.wait(INTERVAL)

    def stop(self):
        """Stop sampling (call once the supervisor has exited)."""
        self._stop.set()
        self._thread.join()

    def leftovers(self):
        """Return "pid comm" for each descendant seen that still lives."""
        out = []
        for (pid, start), comm in sorted(self.seen.items()):
            st = _stat(pid)
            if st and st[1] == start:
                out.append(f"{pid} {comm}")
        return out


def token_processes(token):
    """Return "pid cmdline" of every process whose command line holds
    token (this process excluded)."""
    out = []
    for pid in _pids():
        if pid == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ")
        except OSError:
            continue
        if token.encode() in cmd:
            out.append(f"{pid} {cmd.decode('utf-8', 'replace')[:120]}")
    return out


def count_token_processes(token):
    """Return how many processes hold token in their command line."""
    return len(token_processes(token))
