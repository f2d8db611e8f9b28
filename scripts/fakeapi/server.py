# server.py: the HTTP/1.1 side of the fake: routing, headers, faults.
#
# Design note: one ThreadingHTTPServer, one thread per connection, HTTP/1.1
# keep-alive. Request bodies are read exactly (Content-Length or chunked,
# bounded at 32 MiB like the real API) before anything else, so an error
# reply never leaves the connection out of sync; when a body cannot be read
# the reply closes the connection. Checks run in the real API's order:
# x-api-key (401), anthropic-version (400), route, then the request body,
# then the thinking blocks it sends back (thinking.py signs and checks them).
#
# Every exchange is decided completely (status, conversation, turn, fault)
# before the first byte is sent, and it is logged and recorded at that
# moment: a test that has received a response can read its record line.
# The API key is compared in constant time and never logged or recorded.
#
# Streams use chunked transfer encoding with one chunk per event, written
# with an unbuffered socket writer, so each event is flushed as sent.
# Injected faults (scenario.py selects them) are applied here: among them
# two that a well-behaved server never sends, to test the client's bounds:
# huge_event (one SSE event of size_mb MiB, streamed in 1 MiB chunks until
# the client stops reading) and endless_headers (a status line, then
# header lines every interval_ms, never the blank line, until the client
# goes; at most ENDLESS_MAX bytes or ENDLESS_MAX_S seconds). With
# --tls-cert and --tls-key the server speaks TLS only (cli.py).

import email.utils
import json
import math
import os
import secrets
import select
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import servertools
from .errors import ApiError, error_type_for
from .render import build_message, encode_event, stream_events
from .scenario import DEFAULT_STALL_MS
from .thinking import check_request as check_thinking
from .thinking import sign_content
from .tokens import PromptCache
from .validate import VERSIONS, check_request

MAX_BODY = 32 * 1024 * 1024
MAX_CHUNK_LINE = 1024
MAX_TRAILERS = 64
IDLE_TIMEOUT_S = 300
ENDLESS_MAX = 256 * 1024 * 1024
ENDLESS_MAX_S = 120
RATE_LIMITS = (("requests", 4000), ("tokens", 2000000),
               ("input-tokens", 1600000), ("output-tokens", 400000))
DEFAULT_MESSAGES = {
    408: "Request timed out",
    409: "Conflict",
    429: "Number of request tokens has exceeded your per-minute rate limit",
    500: "Internal server error",
    504: "Gateway timeout",
    529: "Overloaded",
}


def log(message):
    """Write one line to stderr, prefixed with the program name."""
    print(f"fake-anthropic: {message}", file=sys.stderr, flush=True)


class Reset(Exception):
    """The connection was closed on purpose (reset or cut fault)."""


class State:
    """What the server shares between threads: the scenario, the key
    (bytes, or None to accept any non-empty key), counters, the prompt
    cache and the record file. record_path's file is owned here."""

    def __init__(self, scenario, key, record_path):
        self.scenario = scenario
        self.key = key
        self.models = frozenset(scenario.models)
        self.cache = PromptCache(scenario.cache_min_tokens)
        self.stopping = threading.Event()
        self.chaos = None  # a chaos.RandomFaults, set by cli.py
        self._lock = threading.Lock()
        self._requests = 0
        self._messages = 0
        self._attempts = {}
        self._record = None
        if record_path:
            fd = os.open(record_path, os.O_WRONLY | os.O_APPEND
                         | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._record = os.fdopen(fd, "a", encoding="utf-8")

    def next_request(self, is_messages):
        """Return (request number, messages request number or None)."""
        with self._lock:
            self._requests += 1
            if not is_messages:
                return self._requests, None
            self._messages += 1
            return self._requests, self._messages

    def next_attempt(self, conversation, turn):
        """Return the 1-based attempt number for (conversation, turn)."""
        with self._lock:
            key = (conversation, turn)
            self._attempts[key] = self._attempts.get(key, 0) + 1
            return self._attempts[key]

    def counts(self):
        """Return {"requests": n, "messages": n}: the requests received
        and the POST /v1/messages among them."""
        with self._lock:
            return {"requests": self._requests, "messages": self._messages}

    def commit(self, entry):
        """Log an exchange and append it to the record file, flushed."""
        log(f"#{entry['n']} {entry['method']} {entry['path'][:200]} -> "
            f"{entry['status']} auth={entry['auth']} "
            f"conversation={entry['conversation']} turn={entry['turn']} "
            f"fault={entry['fault']}")
        if self._record is None:
            return
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self._record.write(line)
            self._record.flush()

    def close(self):
        """Close the record file."""
        with self._lock:
            if self._record is not None:
                self._record.close()
                self._record = None


class Exchange:
    """One request and the decisions taken about it."""

    def __init__(self, n, request, method, path, headers):
        self.entry = {
            "n": n, "method": method, "path": path, "headers": headers,
            "auth": "missing", "body": None, "conversation": None,
            "turn": None, "status": None, "fault": None,
            "request": request, "attempt": None,
            "received_at": math.floor(time.time() * 1000) / 1000,
            "retry_at": None,
        }
        self.request_id = "req_" + secrets.token_hex(12)
        self.json_error = "empty body"
        self.committed = False


def _json_reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw):
    """Return (value, None) for a valid JSON body, (None, reason) else."""
    if not raw:
        return None, "empty body"
    try:
        return json.loads(raw.decode("utf-8"),
                          parse_constant=_json_reject_constant), None
    except (ValueError, RecursionError) as exc:
        return None, str(exc)[:200]


def _rfc3339(when):
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _display_name(model):
    parts = model.split("-")
    if parts[0] != "claude":
        return model
    if parts[-1].isdigit() and len(parts[-1]) == 8:
        parts = parts[:-1]
    words = [p.capitalize() for p in parts[1:] if not p.isdigit()]
    nums = [p for p in parts[1:] if p.isdigit()]
    return " ".join(["Claude"] + words + ([".".join(nums)] if nums else []))


def model_object(model):
    """Return the /v1/models object for a model id."""
    return {"type": "model", "id": model,
            "display_name": _display_name(model),
            "created_at": "2026-01-01T00:00:00Z"}


def _status_error(fault):
    status = fault["status"]
    message = fault.get("message") or DEFAULT_MESSAGES.get(
        status, f"injected {status} error")
    headers = []
    retry_at = None
    if "retry_after" in fault:
        secs = fault["retry_after"]
        if fault.get("retry_after_date"):
            when = datetime.now(timezone.utc) + timedelta(
                seconds=math.ceil(secs) + 1)
            value = email.utils.format_datetime(when, usegmt=True)
            retry_at = int(when.timestamp())  # the second the date names
        elif float(secs).is_integer():
            value = str(int(secs))
        else:
            value = str(secs)
        headers.append(("retry-after", value))
    if "retry_after_ms" in fault:
        headers.append(("retry-after-ms", str(fault["retry_after_ms"])))
    if "should_retry" in fault:
        headers.append(("x-should-retry",
                        str(fault["should_retry"]).lower()))
    err = ApiError(status, message, fault.get("error_type")
                   or error_type_for(status), headers)
    err.retry_at = retry_at
    return err


def _spend_limit_error(fault):
    now = datetime.now(timezone.utc)
    nxt = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    message = fault.get("message") or (
        "You have reached your organization's spend limit for the API "
        "(your specified API usage limits). You will regain access on "
        f"{nxt:%Y-%m-%d} at 00:00 UTC.")
    return ApiError(429, message, "rate_limit_error")


def _corrupt_event(name, data):
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {name}\ndata: {text[:len(text) // 2]}\n\n".encode()


class Handler(BaseHTTPRequestHandler):
    """One connection; the methods below handle one request each."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-anthropic/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S

    def version_string(self):
        return self.server_version

    def log_message(self, format, *args):  # noqa: A002 (base signature)
        # Exchanges are logged by State.commit; only errors get here.
        pass

    def log_error(self, format, *args):  # noqa: A002
        log("http: " + (format % args)[:300])

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # --- request reading ------------------------------------------------

    def _read_exact(self, size):
        data = self.rfile.read(size)
        if len(data) != size:
            raise Reset("client closed the connection mid-body")
        return data

    def _read_chunked(self):
        parts = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_CHUNK_LINE + 1)
            if not line:
                raise Reset("client closed the connection mid-body")
            size_txt = line.split(b";", 1)[0].strip()
            if (not line.endswith(b"\n") or not size_txt
                    or len(size_txt) > 15
                    or size_txt.strip(b"0123456789abcdefABCDEF")):
                raise ApiError(400, "malformed chunked request body",
                               close=True)
            size = int(size_txt, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise ApiError(413, "request body exceeds 32 MiB",
                               close=True)
            parts.append(self._read_exact(size))
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise ApiError(400, "malformed chunked request body",
                               close=True)
        for _ in range(MAX_TRAILERS):
            if self.rfile.readline(MAX_CHUNK_LINE + 1) in (b"\r\n", b"\n",
                                                           b""):
                return b"".join(parts)
        raise ApiError(400, "too many chunked trailers", close=True)

    def _read_body(self):
        te = self.headers.get_all("transfer-encoding") or []
        if te:
            if [v.strip().lower() for v in te] != ["chunked"]:
                raise ApiError(400, "unsupported transfer-encoding",
                               close=True)
            return self._read_chunked()
        cls = set(v.strip() for v in self.headers.get_all(
            "content-length") or [])
        if not cls:
            return b""
        value = cls.pop()
        if cls or not value.isascii() or not value.isdigit():
            raise ApiError(400, "invalid content-length", close=True)
        if int(value) > MAX_BODY:
            raise ApiError(413, "request body exceeds 32 MiB", close=True)
        return self._read_exact(int(value))

    def _recorded_headers(self):
        out = {}
        for name, value in self.headers.items():
            name = name.lower()
            if name in ("x-api-key", "authorization"):
                continue  # never record the key
            out[name] = out[name] + ", " + value if name in out else value
        return out

    # --- dispatch -------------------------------------------------------

    def _handle(self):
        state = self.server.state
        route = urlsplit(self.path).path
        n, req = state.next_request(self.command == "POST"
                                    and route == "/v1/messages")
        ex = Exchange(n, req, self.command, self.path,
                      self._recorded_headers())
        ex.entry["auth"] = self._auth_state()
        try:
            try:
                raw = self._read_body()
                ex.entry["body"], ex.json_error = parse_json(raw)
                self._route(ex, route)
            except ApiError as err:
                self._send_error(ex, err)
        except Reset as why:
            self.close_connection = True
            log(f"#{n} connection closed: {why}")
        except OSError as exc:
            self.close_connection = True
            log(f"#{n} connection error: {exc}")
        except Exception:  # never let a bad request kill the server
            log(f"#{n} internal error:\n{traceback.format_exc()}")
            self._internal_error(ex)

    def _internal_error(self, ex):
        self.close_connection = True
        if ex.committed:
            return
        try:
            self._send_error(ex, ApiError(500, "internal error in the fake"))
        except OSError:
            pass

    def _given_keys(self):
        """The keys the request carries: x-api-key, and a bearer token
        of Authorization (what the official SDKs send since 1.x/2.x)."""
        keys = list(self.headers.get_all("x-api-key") or [])
        for value in self.headers.get_all("authorization") or []:
            scheme, _, token = value.strip().partition(" ")
            keys.append(token.strip() if scheme.lower() == "bearer"
                        else "")
        return keys

    def _auth_state(self):
        values = self._given_keys()
        if not values or not values[0].strip():
            return "missing"
        key = self.server.state.key
        given = values[0].encode("iso-8859-1")
        if len(values) == 1 and (key is None
                                 or secrets.compare_digest(given, key)):
            return "ok"
        return "bad"

    def _check_version(self):
        version = self.headers.get("anthropic-version")
        if version is None:
            raise ApiError(400, "anthropic-version: header is required")
        if version not in VERSIONS:
            raise ApiError(400, f"anthropic-version: {version[:40]!r} is "
                           "not a valid version (use "
                           f"{' or '.join(VERSIONS)})")
        return version

    def _route(self, ex, route):
        if ex.entry["auth"] == "missing":
            raise ApiError(401, "x-api-key header is required (or "
                           "Authorization: Bearer)")
        if ex.entry["auth"] != "ok":
            raise ApiError(401, "invalid x-api-key")
        version = self._check_version()
        if route == "/v1/messages":
            self._allow(ex, "POST")
            self._messages(ex, version)
        elif route == "/v1/models":
            self._allow(ex, "GET")
            self._models_list(ex, urlsplit(self.path).query)
        elif route.startswith("/v1/models/"):
            self._allow(ex, "GET")
            model = unquote(route[len("/v1/models/"):])
            if model not in self.server.state.models:
                raise ApiError(404, f"model: {model[:200]}")
            self._send_json(ex, 200, model_object(model))
        else:
            raise ApiError(404, f"Not found: {route[:200]}")

    def _allow(self, ex, method):
        if self.command != method:
            raise ApiError(405, f"Method {self.command} not allowed; use "
                           f"{method}", headers=[("allow", method)])

    # --- /v1/models -----------------------------------------------------

    def _models_list(self, ex, query):
        params = parse_qs(query, keep_blank_values=True)
        limit = params.get("limit", ["20"])[-1]
        if not (limit.isascii() and limit.isdigit()
                and 1 <= int(limit) <= 1000):
            raise ApiError(400, "limit: Input should be an integer between "
                           "1 and 1000")
        ids = list(self.server.state.scenario.models)
        for name in ("after_id", "before_id"):
            if name not in params:
                continue
            mark = params[name][-1]
            if mark not in ids:
                raise ApiError(400, f"{name}: unknown model {mark[:200]!r}")
            at = ids.index(mark)
            ids = ids[at + 1:] if name == "after_id" else ids[:at]
        limit = int(limit)
        page = ids[-limit:] if "before_id" in params else ids[:limit]
        self._send_json(ex, 200, {
            "data": [model_object(m) for m in page],
            "has_more": len(ids) > limit,
            "first_id": page[0] if page else None,
            "last_id": page[-1] if page else None,
        })

    # --- /v1/messages ---------------------------------------------------

    def _messages(self, ex, version):
        state = self.server.state
        ctype = self.headers.get("content-type", "")
        if ctype.split(";")[0].strip().lower() != "application/json":
            raise ApiError(400, "content-type: must be application/json")
        body = ex.entry["body"]
        if body is None:
            raise ApiError(400, f"request body is not valid JSON: "
                           f"{ex.json_error}")
        check_request(body, version, state.models)
        servertools.check_beta(body, self.headers.get("anthropic-beta"))
        conv = state.scenario.match(body)
        if conv is None:
            raise ApiError(400, "scenario: no conversation's 'match' "
                           "pattern is found in the system prompt + first "
                           "user message of this request")
        turn_no = conv.turn_number(body["messages"])
        attempt = state.next_attempt(conv.name, turn_no)
        ex.entry.update(conversation=conv.name, turn=turn_no,
                        attempt=attempt)
        check_thinking(body, conv)
        conv.check_expect(turn_no, body)
        fault = state.scenario.find_fault(ex.entry["request"], conv.name,
                                          turn_no, attempt)
        if fault is None and state.chaos is not None:
            fault = state.chaos.pick()
        ex.entry["fault"] = fault["kind"] if fault else None
        turn = servertools.resolve(conv.turn(turn_no), body, conv.name,
                                   turn_no)
        self._answer(ex, body, turn, fault or {})

    def _answer(self, ex, body, turn, fault):
        kind = fault.get("kind")
        if kind == "status":
            raise _status_error(fault)
        if kind == "spend_limit":
            raise _spend_limit_error(fault)
        if kind == "error_event" and not body.get("stream"):
            raise ApiError(529, fault.get("message") or "Overloaded",
                           fault.get("error_type") or "overloaded_error")
        if kind == "reset":
            self._commit(ex, None)
            self._reset()
        if kind == "endless_headers":
            self._commit(ex, 200)
            self._endless_headers(fault)
        delay = turn["delay_ms"] + fault.get("delay_ms", 0)
        if delay and self.server.state.stopping.wait(delay / 1000):
            raise Reset("server is stopping")
        usage = self.server.state.cache.account(body["model"], body)
        message = build_message("msg_" + secrets.token_hex(12),
                                body["model"], turn, usage)
        sign_content(message["content"], body)
        if body.get("stream"):
            self._send_stream(ex, message, fault)
        else:
            self._send_message(ex, message, fault)

    def _reset(self):
        # SO_LINGER 0 turns close() into a TCP RST; detach first so that
        # socketserver's later shutdown()/close() cannot touch the fd.
        self.close_connection = True
        sock = self.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        os.close(sock.detach())
        raise Reset("reset fault")

    # --- responses ------------------------------------------------------

    def _commit(self, ex, status):
        ex.entry["status"] = status
        ex.committed = True
        self.server.state.commit(ex.entry)

    def _start(self, ex, status, ctype, extra=()):
        self._commit(ex, status)
        self.send_response(status)
        self.send_header("request-id", ex.request_id)
        self.send_header("content-type", ctype)
        reset = _rfc3339(datetime.now(timezone.utc) + timedelta(seconds=60))
        for name, limit in RATE_LIMITS:
            base = f"anthropic-ratelimit-{name}"
            self.send_header(f"{base}-limit", str(limit))
            self.send_header(f"{base}-remaining", str(limit - 1))
            self.send_header(f"{base}-reset", reset)
        for name, value in extra:
            self.send_header(name, value)

    def _send_json(self, ex, status, obj, extra=()):
        data = json.dumps(obj, ensure_ascii=False).encode("utf-8",
                                                          "surrogatepass")
        self._start(ex, status, "application/json", extra)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, ex, err):
        if err.close:
            self.close_connection = True
        extra = list(err.headers)
        ex.entry["retry_at"] = err.retry_at
        if err.close:
            extra.append(("connection", "close"))
        self._send_json(ex, err.status, err.body(ex.request_id), extra)

    def _stall(self, fault):
        """The stall fault: what was written goes out, then silence for
        stall_ms, or until the client closes or the server stops; then
        the connection closes."""
        self.close_connection = True
        self.wfile.flush()
        deadline = time.monotonic() + fault.get(
            "stall_ms", DEFAULT_STALL_MS) / 1000
        stopping = self.server.state.stopping
        while not stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.connection], [], [],
                                       min(left, 0.2))
            try:
                if ready and not self.connection.recv(4096):
                    return  # the client went
            except OSError:
                return

    def _endless_headers(self, fault):
        """The endless_headers fault: a status line, then header lines
        forever (bounded by ENDLESS_MAX and ENDLESS_MAX_S); the
        connection closes when the client goes."""
        self.close_connection = True
        interval = fault.get("interval_ms", 0) / 1000
        stopping = self.server.state.stopping
        sent, n = 0, 0
        deadline = time.monotonic() + ENDLESS_MAX_S
        line = b"x-pad-%d: " + b"a" * 1000 + b"\r\n"
        try:
            self.connection.sendall(b"HTTP/1.1 200 OK\r\n")
            while sent < ENDLESS_MAX and time.monotonic() < deadline:
                data = line % n
                self.connection.sendall(data)
                sent += len(data)
                n += 1
                if interval and stopping.wait(interval):
                    break
        except OSError:
            pass
        raise Reset("endless headers: the client went")

    def _send_huge(self, ex, fault):
        """The huge_event fault: message_start, then one content event
        whose data line is size_mb MiB, in 1 MiB chunks; stops when the
        client stops reading."""
        self._start(ex, 200, "text/event-stream; charset=utf-8",
                    [("transfer-encoding", "chunked")])
        self.end_headers()
        self.close_connection = True
        head = b"event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_delta\", \"text\": \""
        chunk = b"a" * (1 << 20)
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(head), head))
            for _ in range(fault.get("size_mb", 32)):
                if self.server.state.stopping.is_set():
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            tail = b"\"}}\n\n"
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(tail),
                                                               tail))
        except OSError:
            raise Reset("huge event: the client went") from None

    def _send_message(self, ex, message, fault):
        kind = fault.get("kind")
        data = json.dumps(message, ensure_ascii=False).encode(
            "utf-8", "surrogatepass")
        length = len(data)
        if kind == "invalid_json":
            data = data[:len(data) // 2]
            length = len(data)
        self._start(ex, 200, "application/json")
        self.send_header("content-length", str(length))
        self.end_headers()
        if kind in ("cut", "stall"):
            self.wfile.write(data[:len(data) // 2])
            self.close_connection = True
            if kind == "stall":
                self._stall(fault)
            return
        self.wfile.write(data)

    def _stream_plan(self, message, fault, seed):
        events = stream_events(message, seed)
        kind = fault.get("kind")
        if kind == "error_event":
            err = {"type": "error", "error": {
                "type": fault.get("error_type") or "overloaded_error",
                "message": fault.get("message") or "Overloaded"}}
            return [encode_event(*e) for e in events[:2]] + [
                encode_event("error", err)], None
        out = [encode_event(*e) for e in events]
        if kind == "invalid_json":
            out[2] = _corrupt_event(*events[2])
        if kind not in ("cut", "stall"):
            return out, None
        after = min(fault.get("after_events", max(2, len(out) // 2)),
                    len(out) - 1)
        return out[:after], out[after][:len(out[after]) // 2]

    def _send_stream(self, ex, message, fault):
        if fault.get("kind") == "huge_event":
            self._send_huge(ex, fault)
            return
        seed = f"{ex.entry['conversation']}/{ex.entry['turn']}"
        events, partial = self._stream_plan(message, fault, seed)
        chunked = self.request_version != "HTTP/1.0"
        extra = [("cache-control", "no-cache")]
        extra.append(("transfer-encoding", "chunked") if chunked
                     else ("connection", "close"))
        self._start(ex, 200, "text/event-stream; charset=utf-8", extra)
        self.end_headers()
        if not chunked:
            self.close_connection = True
        for data in events + ([partial] if partial else []):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data)
                             if chunked else data)
        if partial is not None:
            self.close_connection = True
            if fault.get("kind") == "stall":
                self._stall(fault)
            return
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


class FakeServer(ThreadingHTTPServer):
    """The listening server; state is a State shared by all handlers."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, family, state):
        self.address_family = family
        self.state = state
        super().__init__(address, Handler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name; loopback needs no
        # lookup, and a resolver may not exist here.
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]
