# cli.py: command line of scripts/fake-anthropic.
#
# Design note: main() loads and checks everything that can be wrong (the
# scenario, the key file, the address) before it binds, so a mistake is a
# clear message and exit status 2, never a half-started server. It binds
# loopback only, prints "PORT <n>" on stdout once the socket listens, and
# serves in a background thread while the main thread waits for SIGTERM or
# SIGINT (signal handlers run in the main thread, and shutdown() must not
# be called from the serving thread). Logs go to stderr. With
# --random-faults, a chaos.RandomFaults joins the state; --stats writes the
# counts when the server stops (the soak reads them).

import argparse
import ipaddress
import json
import os
import signal
import socket
import ssl
import threading

from .chaos import ChaosError, RandomFaults, parse_kinds
from .scenario import ScenarioError, load_scenario
from .server import FakeServer, State, log

MAX_KEY_BYTES = 4096


class UsageError(Exception):
    """A command line, key file or address problem (exit status 2)."""


def _parser():
    p = argparse.ArgumentParser(
        prog="fake-anthropic",
        description="Fake Anthropic Messages API on loopback, for tests.")
    p.add_argument("--scenario", required=True, metavar="FILE",
                   help="scenario file (JSON; see docs/fake-api.md)")
    p.add_argument("--host", default="127.0.0.1",
                   help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0,
                   help="port to bind; 0 picks a free one (default)")
    p.add_argument("--key-file", metavar="PATH",
                   help="accept only the key in this file (trailing "
                   "whitespace stripped); default: any non-empty key")
    p.add_argument("--record", metavar="FILE",
                   help="append one JSON line per request to FILE")
    p.add_argument("--random-faults", type=float, default=0.0,
                   metavar="RATE",
                   help="inject a random fault into this share (0-1) of "
                   "the valid messages requests (default 0: none)")
    p.add_argument("--random-kinds", metavar="LIST", default="",
                   help="comma-separated fault kinds to draw from "
                   "(default: every kind)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the random faults (default 0)")
    p.add_argument("--tls-cert", metavar="PEM",
                   help="serve TLS only, with this certificate (needs "
                   "--tls-key); tests of the client's TLS failures")
    p.add_argument("--tls-key", metavar="PEM",
                   help="the private key of --tls-cert")
    p.add_argument("--stats", metavar="FILE",
                   help="write the request and fault counts to FILE "
                   "(JSON) when stopped")
    return p


def read_key(path):
    """Return the key in path (bytes, trailing whitespace stripped).
    Raises UsageError when the file is unreadable, empty or too long; the
    message never contains the key."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read key file {path}: "
                         f"{exc.strerror}") from None
    key = data.rstrip()
    if not key:
        raise UsageError(f"key file {path} is empty")
    if len(data) > MAX_KEY_BYTES or b"\n" in key or b"\r" in key:
        raise UsageError(f"key file {path} does not hold a single key")
    return key


def loopback_address(host):
    """Return (address, family) for a loopback host; raise UsageError for
    anything else."""
    if host == "localhost":
        host = "127.0.0.1"
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise UsageError(f"--host {host!r} is not an IP address") from None
    if not addr.is_loopback:
        raise UsageError(f"--host {host} is not a loopback address; the "
                         "fake binds loopback only")
    family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
    return str(addr), family


def _setup(args):
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port} is out of range")
    host, family = loopback_address(args.host)
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise UsageError(f"scenario: {exc}") from None
    key = read_key(args.key_file) if args.key_file else None
    try:
        chaos = RandomFaults(args.random_faults, args.seed,
                             parse_kinds(args.random_kinds))
    except ChaosError as exc:
        raise UsageError(str(exc)) from None
    try:
        state = State(scenario, key, args.record)
    except OSError as exc:
        raise UsageError(f"cannot open record file {args.record}: "
                         f"{exc.strerror}") from None
    if args.random_faults > 0:
        state.chaos = chaos
    try:
        server = FakeServer((host, args.port), family, state)
    except OSError as exc:
        state.close()
        raise UsageError(f"cannot listen on {host}:{args.port}: "
                         f"{exc.strerror}") from None
    if bool(args.tls_cert) != bool(args.tls_key):
        server.server_close()
        state.close()
        raise UsageError("--tls-cert and --tls-key go together")
    if args.tls_cert:
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as exc:
            server.server_close()
            state.close()
            raise UsageError(f"--tls-cert/--tls-key: {exc}") from None
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    return server, state


def main(argv=None):
    """Run the fake until SIGTERM or SIGINT. Returns the exit status:
    0 after a clean stop, 2 for a usage, scenario or bind error."""
    args = _parser().parse_args(argv)
    try:
        server, state = _setup(args)
    except UsageError as exc:
        log(f"error: {exc}")
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    port = server.server_address[1]
    print(f"PORT {port}", flush=True)
    log(f"listening on {server.server_address[0]} port {port}")
    while not stop.wait(0.5):
        pass
    state.stopping.set()
    server.shutdown()
    server.server_close()
    state.close()
    if args.stats:
        try:
            write_stats(args.stats, state)
        except OSError as exc:
            log(f"error: cannot write --stats {args.stats}: {exc.strerror}")
            return 1
    log("stopped")
    return 0


def write_stats(path, state):
    """Write the counts of requests and random faults to path as JSON
    (atomically: a reader sees the whole file or none)."""
    stats = state.counts()
    stats["random_faults"] = (state.chaos.counts() if state.chaos
                              else None)
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(stats, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)
