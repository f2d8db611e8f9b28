# chaos.py: seeded random faults, for the soak (scripts/soak).
#
# Design note: a scenario's "faults" aim at chosen requests; a soak wants
# faults nobody chose, of every kind, spread over hundreds of runs, and
# still reproducible. RandomFaults draws from one random.Random seeded by
# the command line (--seed), under a lock, once per POST /v1/messages that
# passed validation, matched a conversation, met its expectations and has
# no scripted fault: with probability RATE it returns a fault of a kind
# drawn from KINDS as from a shuffled bag (each kind once in every
# len(KINDS) faults, in a random order: uniform, and every kind is
# injected by the time as many faults were, so a short soak sees all of
# them), in the same form as a scenario fault, so the
# server applies it on the same path (server.py, Handler._answer). The
# draw order follows the order requests arrive, so a concurrent soak is
# reproducible only in its rates, not request by request.
#
# Every fault it makes is one the client is meant to survive, except
# spend_limit, which is fatal to a run by design (the soak counts such
# runs as expected outcomes). Statuses are the retryable ones (408, 409,
# 429, 500, 502, 503, 504, 529) with retry-after 0 (a 429 or 529 holds
# every run of a gao-dev process while it waits), delays of slow
# faults are short: a soak measures the client, not the wait. A stall
# lasts 6 to 8 s: longer than the idle timeout the soak gives gao-dev.
#
# counts() reports how many requests were eligible and how many faults of
# each kind were injected; cli.py writes it to the --stats file.

import random
import threading

KINDS = ("status", "reset", "cut", "error_event", "invalid_json", "slow",
         "stall", "spend_limit")
STATUSES = (408, 409, 429, 500, 502, 503, 504, 529)
MAX_SLOW_MS = 800
# a stall outlasts the soak's --idle-timeout 5, so the attempt is ended by
# the client's idle timeout and retried; after it the fake closes
STALL_MS = (6000, 8000)


class ChaosError(ValueError):
    """A bad --random-faults, --seed or --random-kinds value."""


def parse_kinds(text):
    """Return the tuple of fault kinds named in a comma-separated list
    (the empty string or None: every kind). Raises ChaosError naming an
    unknown kind."""
    if not text:
        return KINDS
    kinds = []
    for name in text.split(","):
        name = name.strip()
        if name not in KINDS:
            raise ChaosError(f"--random-kinds: unknown kind {name[:40]!r} "
                             f"(kinds: {', '.join(KINDS)})")
        if name not in kinds:
            kinds.append(name)
    return tuple(kinds)


class RandomFaults:
    """Draws random faults at a rate in [0, 1] from the given kinds."""

    def __init__(self, rate, seed, kinds=KINDS):
        if not 0.0 <= rate <= 1.0:
            raise ChaosError(f"--random-faults {rate}: must be a rate "
                             "between 0 and 1")
        if not kinds:
            raise ChaosError("--random-kinds: no kind given")
        self.rate = rate
        self.kinds = tuple(kinds)
        self._rng = random.Random(seed)
        self._bag = []
        self._lock = threading.Lock()
        self._eligible = 0
        self._counts = {k: 0 for k in KINDS}

    def _make(self, kind):
        rng = self._rng
        if kind == "status":
            status = rng.choice(STATUSES)
            fault = {"kind": kind, "status": status, "retry_after": 0}
            if rng.random() < 0.25:
                fault["retry_after_ms"] = rng.randrange(0, 300)
            return fault
        if kind == "slow":
            return {"kind": kind, "delay_ms": rng.randrange(50, MAX_SLOW_MS)}
        if kind == "stall":
            return {"kind": kind, "stall_ms": rng.randrange(*STALL_MS)}
        if kind == "cut" and rng.random() < 0.5:
            return {"kind": kind, "after_events": rng.randrange(1, 8)}
        return {"kind": kind}

    def pick(self):
        """Return a fault (a dict like a scenario fault) for one eligible
        request, or None for no fault."""
        with self._lock:
            self._eligible += 1
            if self._rng.random() >= self.rate:
                return None
            if not self._bag:
                self._bag = list(self.kinds)
                self._rng.shuffle(self._bag)
            kind = self._bag.pop()
            self._counts[kind] += 1
            return self._make(kind)

    def counts(self):
        """Return {"eligible": n, "injected": total, "by_kind": {...}}."""
        with self._lock:
            return {"rate": self.rate, "eligible": self._eligible,
                    "injected": sum(self._counts.values()),
                    "by_kind": dict(self._counts)}
