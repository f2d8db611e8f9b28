# test_random_faults.py: tests of the fake's seeded random faults
# (--random-faults, --random-kinds, --seed, --stats; scripts/fakeapi/chaos.py).
#
# Design note: the draws are tested in-process (same seed, same faults;
# every kind reachable; the kinds list checked against the scenario's), the
# rest through a real fake process: every kind injected at rate 1 over
# concurrent streaming and plain requests without the fake failing, the
# --stats counts equal to what the record file shows, scripted faults and
# invalid requests untouched, and bad option values refused with exit 2.

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
from collections import Counter

from test_fake_anthropic import FAKE, ROOT, Fake, conv, req

sys.dont_write_bytecode = True
sys.path.insert(0, str(ROOT / "scripts"))

from fakeapi import chaos, scenario  # noqa: E402 (needs the path above)

SCENARIO = {
    "conversations": [
        conv("r", [{"content": [
            {"type": "text", "text": "a reply long enough to stream"},
            {"type": "tool_use", "name": "Bash",
             "input": {"command": "echo hi"}}]}]),
        conv("scripted", [{"content": [{"type": "text", "text": "x"}]}]),
    ],
    "faults": [{"conversation": "scripted", "turn": 0, "attempt": "all",
                "kind": "status", "status": 503}],
}


def send_all(fake, n):
    """Send n requests to conversation r from 6 threads, half streaming;
    return the HTTP statuses (None for a broken connection)."""
    out = []
    lock = threading.Lock()

    def one(i):
        try:
            status, _, _ = fake.messages(req("r", stream=bool(i % 2)))
        except (OSError, Exception):  # reset or cut: no status
            status = None
        with lock:
            out.append(status)

    threads = [threading.Thread(target=lambda k=k: [
        one(i) for i in range(k, n, 6)]) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


class TestDraws(unittest.TestCase):
    def test_kinds_are_the_scenario_kinds(self):
        self.assertEqual(set(chaos.KINDS), set(scenario.FAULT_KINDS) -
                         set(scenario.BOUND_KINDS))

    def test_same_seed_same_faults_every_kind(self):
        a = chaos.RandomFaults(0.5, 42)
        b = chaos.RandomFaults(0.5, 42)
        seq_a = [a.pick() for _ in range(400)]
        self.assertEqual(seq_a, [b.pick() for _ in range(400)])
        c = chaos.RandomFaults(0.5, 43)
        self.assertNotEqual(seq_a, [c.pick() for _ in range(400)])
        kinds = Counter(f["kind"] for f in seq_a if f)
        self.assertEqual(set(kinds), set(chaos.KINDS))
        counts = a.counts()
        self.assertEqual(counts["eligible"], 400)
        self.assertEqual(counts["injected"], sum(kinds.values()))
        self.assertEqual(counts["by_kind"],
                         {k: kinds.get(k, 0) for k in chaos.KINDS})
        self.assertTrue(120 < counts["injected"] < 280, counts)

    def test_every_kind_once_in_each_round(self):
        # a short soak (scripts/test) must see every kind: each run of
        # len(KINDS) faults holds each kind once, in a seeded order
        draws = chaos.RandomFaults(1.0, 7)
        n = len(chaos.KINDS)
        seq = [draws.pick()["kind"] for _ in range(n * 5)]
        for r in range(5):
            self.assertEqual(sorted(seq[r * n:(r + 1) * n]),
                             sorted(chaos.KINDS))
        self.assertNotEqual(seq[:n], seq[n:2 * n])

    def test_faults_are_valid_scenario_faults(self):
        draws = chaos.RandomFaults(1.0, 5)
        for i in range(200):
            fault = dict(draws.pick(), request=1)
            # the scenario loader accepts it as written in a file
            scenario._load_fault(fault, f"draw{i}", set())
            if fault["kind"] == "status":
                self.assertIn(fault["status"], chaos.STATUSES)
            if fault["kind"] == "slow":
                self.assertLess(fault["delay_ms"], chaos.MAX_SLOW_MS)

    def test_rate_zero_and_bad_values(self):
        none = chaos.RandomFaults(0.0, 1)
        self.assertEqual([none.pick() for _ in range(50)], [None] * 50)
        for rate in (-0.1, 1.5, float("nan")):
            with self.assertRaises(chaos.ChaosError):
                chaos.RandomFaults(rate, 1)
        self.assertEqual(chaos.parse_kinds(""), chaos.KINDS)
        self.assertEqual(chaos.parse_kinds("reset, cut,reset"),
                         ("reset", "cut"))
        for bad in ("explode", "reset,", "Reset"):
            with self.assertRaises(chaos.ChaosError):
                chaos.parse_kinds(bad)


class TestServer(unittest.TestCase):
    def run_fake(self, fake):
        status = fake.stop()
        log = fake.stderr()
        self.assertEqual(status, 0, log)
        self.assertNotIn("Traceback", log)
        self.assertNotIn("internal error", log)
        return log

    def test_every_kind_at_rate_one_and_stats_match_record(self):
        tmp = tempfile.mkdtemp(prefix="fakeapi-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        stats_path = os.path.join(tmp, "stats.json")
        fake = Fake(SCENARIO, args=["--random-faults", "1", "--seed", "3",
                                    "--stats", stats_path])
        self.addCleanup(fake.cleanup)
        statuses = send_all(fake, 42)
        # invalid requests and scripted faults are not drawn on
        bad = fake.messages(req("r", messages=[]))
        self.assertEqual(bad[0], 400)
        self.assertEqual(fake.messages(req("scripted"))[0], 503)
        # rate 1: no request is answered normally, except invalid_json
        # and slow faults, which answer 200
        self.assertEqual(len(statuses), 42)
        self.run_fake(fake)
        recs = [r for r in fake.records() if r["conversation"] == "r"]
        self.assertEqual(len(recs), 42)
        kinds = Counter(r["fault"] for r in recs)
        self.assertNotIn(None, kinds)
        with open(stats_path, encoding="utf-8") as fh:
            stats = json.load(fh)
        self.assertEqual(stats["messages"], 44)
        rnd = stats["random_faults"]
        self.assertEqual(rnd["eligible"], 42)
        self.assertEqual(rnd["injected"], 42)
        self.assertEqual({k: v for k, v in rnd["by_kind"].items() if v},
                         dict(kinds))
        self.assertGreaterEqual(len(kinds), 5, kinds)
        self.assertEqual(
            [r["fault"] for r in fake.records()
             if r["conversation"] == "scripted"], ["status"])

    def test_kinds_subset_and_no_stats_without_faults(self):
        fake = Fake(SCENARIO, args=["--random-faults", "0.5",
                                    "--random-kinds", "reset,spend_limit",
                                    "--seed", "9"])
        self.addCleanup(fake.cleanup)
        statuses = send_all(fake, 24)
        self.run_fake(fake)
        got = Counter(r["fault"] for r in fake.records())
        self.assertLessEqual(set(got), {None, "reset", "spend_limit"})
        self.assertTrue(got[None] and got["reset"] + got["spend_limit"],
                        got)
        self.assertEqual(statuses.count(200), got[None])

    def test_bad_values_exit_2(self):
        for args, word in ((["--random-faults", "2"], "between 0 and 1"),
                           (["--random-faults", "x"], "--random-faults"),
                           (["--random-kinds", "boom"], "boom"),
                           (["--seed", "1.5"], "--seed")):
            proc = subprocess.run(
                [sys.executable, str(FAKE), "--scenario",
                 str(ROOT / "benchmarks" / "demo.fake.json"), *args],
                capture_output=True, timeout=20, text=True)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertEqual(proc.stdout, "")
            self.assertIn(word, proc.stderr)


if __name__ == "__main__":
    unittest.main()
