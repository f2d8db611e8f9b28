# main.py: scripts/soak's sequence: build, fake API, the long invocation,
# the cancelled invocations, the checks and the table (scripts/soak's
# header says what is checked).
#
# Design note: every wait is bounded: the fake must print its port within
# 20 s, the whole soak must end within --minutes (the invocation is sent
# SIGTERM, then SIGKILL, when it is reached), a cancelled invocation must
# exit within 60 s of its signal. Failures are collected, not raised, so
# the table always shows every figure; the exit status is 1 when any
# check failed. Only loopback is used (the fake binds 127.0.0.1).

import argparse
import glob
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import check, watch, workload

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))
FD_MARGIN = 4
FD_TOLERANCE = 0.10
RSS_TOLERANCE = 0.10
CANCEL_JOBS = 3


def log(msg):
    print(f"soak: {msg}", file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="scripts/soak", description=(
        "Many gao-dev runs at once against the fake API with random "
        "faults; see the header of scripts/soak."))
    p.add_argument("--runs", type=int, help="runs in the long invocation "
                   "(default 200; 48 with --asan)")
    p.add_argument("--jobs", type=int, help="runs at once (default 16; 8 "
                   "with --asan)")
    p.add_argument("--minutes", type=float, default=30,
                   help="cap on the whole soak (default 30)")
    p.add_argument("--rate", type=float,
                   help="share of API requests given a random fault "
                   "(default 0.08; 0.15 with --asan)")
    p.add_argument("--seed", type=int, default=1, help="fault seed")
    p.add_argument("--cancel-runs", type=int, default=6,
                   help="runs of each cancelled invocation (default 6; "
                   "0: no cancellations)")
    p.add_argument("--asan", action="store_true",
                   help="use the AddressSanitizer build (build-asan)")
    p.add_argument("--build", metavar="DIR",
                   help="an existing build directory to use as is")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory")
    a = p.parse_args(argv)
    a.runs = a.runs if a.runs is not None else (48 if a.asan else 200)
    a.rate = a.rate if a.rate is not None else (0.15 if a.asan else 0.08)
    a.jobs = a.jobs if a.jobs is not None else (8 if a.asan else 16)
    if not (1 <= a.runs <= 10000 and 1 <= a.jobs <= 256
            and 0 < a.minutes <= 600 and 0 <= a.rate <= 1
            and 0 <= a.cancel_runs <= 100):
        p.error("--runs 1-10000, --jobs 1-256, --minutes up to 600, "
                "--rate 0-1, --cancel-runs 0-100")
    return a


def build(args):
    """Return the build directory, configured and built as needed."""
    if args.build:
        return os.path.abspath(args.build)
    bdir = os.path.join(ROOT, "build-asan" if args.asan else "build-soak")
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        opts = (["-Db_sanitize=address,undefined", "-Db_lundef=false"]
                if args.asan else [])
        subprocess.run(["meson", "setup", bdir, *opts], check=True,
                       stdout=subprocess.DEVNULL)
    log(f"building {os.path.relpath(bdir, ROOT)}")
    subprocess.run(["ninja", "-C", bdir, "supervisor/gao-dev",
                    "worker/gao-dev-worker"], check=True,
                   stdout=subprocess.DEVNULL)
    return bdir


class Fake:
    """scripts/fake-anthropic on loopback, with its stats file."""

    def __init__(self, work, name, extra):
        self.stats_path = os.path.join(work, f"{name}.stats.json")
        self.log_path = os.path.join(work, f"{name}.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "scripts", "fake-anthropic"),
             "--scenario", os.path.join(work, "scenario.json"),
             "--key-file", os.path.join(work, "key"), "--host", "127.0.0.1",
             "--stats", self.stats_path, *extra],
            stdout=subprocess.PIPE, stderr=self._log)
        line = b""
        deadline = time.monotonic() + 20
        os.set_blocking(self.proc.stdout.fileno(), False)
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            line += self.proc.stdout.read() or b""
            time.sleep(0.05)
        m = re.fullmatch(rb"PORT (\d+)\n", line)
        if not m:
            self.stop()
            raise RuntimeError(f"the fake API did not start (see "
                               f"{self.log_path})")
        self.url = f"http://127.0.0.1:{int(m.group(1))}"

    def stop(self):
        """Stop the fake; return its stats (dict) or None."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        try:
            with open(self.stats_path, encoding="utf-8") as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None


class Soak:
    def __init__(self, args, bdir, work, token):
        self.args = args
        self.gao_dev = os.path.join(bdir, "supervisor", "gao-dev")
        self.work = work
        self.token = token
        self.failures = []
        self.rows = []
        self.deadline = time.monotonic() + args.minutes * 60
        self.validator = check.load_schema(ROOT)
        if self.validator is None:
            self.fail("python3 jsonschema is missing: results files not "
                      "checked against the schema (apt-get install "
                      "python3-jsonschema)")
        self.names, self.paths = workload.write(work, token)

    def fail(self, msg):
        self.failures.append(msg)
        log(f"FAILED: {msg}")

    def row(self, what, value):
        self.rows.append((what, str(value)))

    def env(self, fake):
        env = dict(os.environ)
        for name in ("ANTHROPIC_API_KEY", "GAO_DEV_CONFIG"):
            env.pop(name, None)
        env["ANTHROPIC_BASE_URL"] = fake.url
        env["GAO_DEV_CONFIG"] = os.path.join(self.work, "no-user-config")
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        return env

    def start(self, fake, name, configs, extra):
        root = os.path.join(self.work, name)
        err = open(os.path.join(self.work, f"{name}.err"), "wb")
        out = open(os.path.join(self.work, f"{name}.out"), "wb")
        proc = subprocess.Popen(
            [self.gao_dev, "sandbox", "run", *configs, "--standalone",
             "--api-key-file", os.path.join(self.work, "key"),
             "--idle-timeout", "5",  # ends the fake's stall faults
             "--sandbox-root", root, *extra],
            stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            env=self.env(fake), cwd=self.work)
        err.close()
        out.close()
        return proc, root

    def wait(self, proc, limit=None):
        """Wait for proc within the soak's deadline (or limit seconds);
        on expiry SIGTERM, then SIGKILL, and fail. Returns its code."""
        left = self.deadline - time.monotonic()
        if limit is not None:
            left = min(left, limit)
        try:
            return proc.wait(max(left, 1))
        except subprocess.TimeoutExpired:
            self.fail(f"gao-dev pid {proc.pid} still running at the time "
                      "cap: sent SIGTERM")
            proc.send_signal(signal.SIGTERM)
            try:
                return proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                return proc.wait()

    def sanitizer_reports(self, name):
        path = os.path.join(self.work, f"{name}.err")
        with open(path, "rb") as fh:
            data = fh.read()
        pats = (rb"ERROR: AddressSanitizer", rb"ERROR: LeakSanitizer",
                rb"runtime error:", rb"SUMMARY: UndefinedBehavior")
        return sum(data.count(p) for p in pats)

    def check_results(self, root, runs, name, allowed=None):
        files = sorted(glob.glob(os.path.join(root, "results", "*.json")))
        if len(files) != runs:
            self.fail(f"{name}: {len(files)} results files for {runs} runs")
        statuses, codes, bad = {}, [], 0
        for path in files:
            res, probs = check.check_run(path, self.names, self.validator,
                                         self.gao_dev, allowed)
            for p in probs[:5]:
                self.fail(f"{name}: {p}")
            bad += bool(probs)
            if res:
                key = res.get("status") + (
                    f"/{res['stop_reason']}" if res.get("stop_reason")
                    else "")
                statuses[key] = statuses.get(key, 0) + 1
                codes.append(res.get("exit_code"))
        return statuses, codes, bad

    def leftovers(self, name, watcher):
        left = watcher.leftovers() if watcher else []
        left += [p for p in watch.token_processes(self.token)
                 if p not in left]
        for p in left[:10]:
            self.fail(f"{name}: process left behind: {p}")
        return len(left)

    # --- the long invocation -------------------------------------------

    def long_run(self, fake):
        a = self.args
        configs = [p for k in dict.fromkeys(workload.KINDS)
                   for p in self.paths[k]]
        repeat = math.ceil(a.runs / len(configs))
        runs = repeat * len(configs)
        log(f"long invocation: {runs} runs, {a.jobs} at once, faults in "
            f"{a.rate:.0%} of requests")
        t0 = time.monotonic()
        proc, root = self.start(fake, "long", configs,
                                ["--jobs", str(a.jobs), "--repeat",
                                 str(repeat)])
        watcher = watch.Watcher(proc.pid)
        code = self.wait(proc)
        watcher.stop()
        wall = time.monotonic() - t0
        if code < 0:
            self.fail(f"long: gao-dev killed by signal {-code} (a crash)")
        statuses, codes, bad = self.check_results(root, runs, "long")
        want = check.aggregate(codes, False)
        if code != want:
            self.fail(f"long: exit {code}, the runs' aggregate is {want}")
        left = self.leftovers("long", watcher)
        self.row("runs (long invocation)", f"{runs} ({len(configs)} configs"
                 f" x {repeat}), --jobs {a.jobs}")
        self.row("wall time", f"{wall:.0f} s")
        self.row("exit code (aggregate)", f"{code} ({want})")
        self.row("statuses", ", ".join(f"{k} {v}" for k, v in
                                       sorted(statuses.items())))
        self.row("runs failing a check", bad)
        self.row("processes seen / left", f"{len(watcher.seen)} / {left}")
        self.memory_fds(watcher)
        if a.asan:
            n = self.sanitizer_reports("long")
            self.row("sanitizer reports", n)
            if n:
                self.fail(f"long: {n} sanitizer reports in "
                          f"{self.work}/long.err")

    def memory_fds(self, watcher):
        s = watcher.samples
        with open(os.path.join(self.work, "long.samples.tsv"), "w",
                  encoding="ascii") as fh:
            fh.write("seconds\tfds\trss_kib\tdescendants\n")
            for x in s:
                fh.write(f"{x[0]:.2f}\t{x[1]}\t{x[2]}\t{x[3]}\n")
        # from the first run on (the first samples may predate the exec)
        s = s[next((i for i, x in enumerate(s) if x[3]), len(s)):]
        if len(s) < 8:
            self.fail(f"long: only {len(s)} samples of the supervisor")
            return
        span = s[-1][0] - s[0][0]
        first = [x for x in s if x[0] - s[0][0] <= span / 4]
        last = [x for x in s if x[0] - s[0][0] >= span * 3 / 4]
        f1 = sum(x[1] for x in first) / len(first)
        f4 = sum(x[1] for x in last) / len(last)
        peak1, end = max(x[1] for x in first), s[-1][1]
        self.row("supervisor fds: 1st / last quarter mean, peak, end",
                 f"{f1:.1f} / {f4:.1f}, {max(x[1] for x in s)}, {end}")
        # A leak grows with the runs done: the last quarter would hold
        # more than the first at the same concurrency, and the end more
        # than the first quarter's peak.
        if f4 > f1 * (1 + FD_TOLERANCE) + FD_MARGIN or end > peak1:
            self.fail(f"long: supervisor fds grew: {f1:.1f} then "
                      f"{f4:.1f} on average, {end} at the end (a leak?)")
        m1 = sum(x[2] for x in first) / len(first)
        m4 = sum(x[2] for x in last) / len(last)
        delta = (m4 - m1) / m1
        self.row("supervisor RSS MiB: 1st / last quarter mean, peak",
                 f"{m1 / 1024:.1f} / {m4 / 1024:.1f} ({delta:+.1%}), "
                 f"{max(x[2] for x in s) / 1024:.1f}")
        if abs(delta) > RSS_TOLERANCE and not self.args.asan:
            self.fail(f"long: supervisor RSS moved {delta:+.1%} between "
                      "the first and the last quarter")

    # --- cancellations --------------------------------------------------

    def cancelled_run(self, fake, signum):
        name = f"cancel-{signal.Signals(signum).name}"
        runs = self.args.cancel_runs
        jobs = min(CANCEL_JOBS, runs)
        proc, root = self.start(fake, name, self.paths["cancel"],
                                ["--jobs", str(jobs), "--repeat",
                                 str(runs)])
        watcher = watch.Watcher(proc.pid)
        want = f"{self.token}-cancel"
        limit = time.monotonic() + 120
        while (watch.count_token_processes(want) < jobs
               and time.monotonic() < limit and proc.poll() is None):
            time.sleep(0.1)
        busy = watch.count_token_processes(want)
        proc.send_signal(signum)
        t0 = time.monotonic()
        code = self.wait(proc, 60)
        took = time.monotonic() - t0
        watcher.stop()
        if busy < jobs:
            self.fail(f"{name}: only {busy} of {jobs} runs were busy at "
                      "the signal")
        if code != 130:
            self.fail(f"{name}: exit {code}, not 130")
        statuses, _, bad = self.check_results(
            root, len(glob.glob(os.path.join(root, "results", "*.json"))),
            name, allowed=workload.EXPECTED["cancel"])
        started = len(glob.glob(os.path.join(root, "runs", "*")))
        if started != sum(statuses.values()):
            self.fail(f"{name}: {started} runs started, "
                      f"{sum(statuses.values())} results files")
        left = self.leftovers(name, watcher)
        self.row(f"{name}: runs / started / results",
                 f"{runs} / {started} / " + ", ".join(
                     f"{k} {v}" for k, v in sorted(statuses.items())))
        self.row(f"{name}: exit, seconds to exit, left", f"{code}, "
                 f"{took:.1f} s, {left}")
        if self.args.asan and self.sanitizer_reports(name):
            self.fail(f"{name}: sanitizer reports in {self.work}/"
                      f"{name}.err")

    def faults(self, stats, what):
        if not stats:
            self.fail(f"{what}: the fake wrote no stats")
            return
        rnd = stats.get("random_faults") or {}
        self.row(f"{what}: API requests (messages)",
                 f"{stats['requests']} ({stats['messages']})")
        if rnd:
            kinds = rnd["by_kind"]
            self.row(f"{what}: faults injected", f"{rnd['injected']} of "
                     f"{rnd['eligible']}: " + ", ".join(
                         f"{k} {v}" for k, v in kinds.items()))
            missing = [k for k, v in kinds.items() if not v]
            if missing:
                self.fail(f"{what}: no fault of kind {', '.join(missing)}"
                          " was injected (more runs or a higher --rate)")

    def table(self):
        width = max(len(w) for w, _ in self.rows)
        with open("/proc/loadavg", encoding="ascii") as fh:
            load = " ".join(fh.read().split()[:3])
        when = time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime())
        print(f"\n# scripts/soak ({when}, {os.cpu_count()} CPUs, load "
              f"{load}{', ASan' if self.args.asan else ''})\n")
        for what, value in self.rows:
            print(f"  {what:<{width}}  {value}")
        print(f"\n  checks failed: {len(self.failures)}")
        for f in self.failures[:40]:
            print(f"    - {f}")


def main(argv=None):
    args = parse_args(argv)
    bdir = build(args)
    work = tempfile.mkdtemp(prefix="gao-soak-")
    os.chmod(work, 0o711)  # the workers' uid must reach the sandbox roots
    token = f"gaosoak{os.getpid()}x{os.urandom(3).hex()}"
    fd = os.open(os.path.join(work, "key"), os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"soak-key-for-the-fake-api-only\n")
    os.close(fd)
    soak = Soak(args, bdir, work, token)
    log(f"work directory {work}, token {token}")
    fake = Fake(work, "fake-long", ["--random-faults", str(args.rate),
                                    "--seed", str(args.seed)])
    try:
        soak.long_run(fake)
    finally:
        soak.faults(fake.stop(), "long")
    if args.cancel_runs:
        fake = Fake(work, "fake-cancel", [])
        try:
            for signum in (signal.SIGTERM, signal.SIGINT):
                soak.cancelled_run(fake, signum)
        finally:
            fake.stop()
    soak.table()
    if soak.failures or args.keep:
        print(f"\n  work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if soak.failures else 0
