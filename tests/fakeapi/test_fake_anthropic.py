# test_fake_anthropic.py: tests of scripts/fake-anthropic, the fake API.
#
# Design note: every test talks to a real server process started on port 0
# (as gao-dev's integration tests do) over http.client or a raw socket, so
# the HTTP framing is tested along with the logic. A few servers are shared
# per test class; scenarios aim each test at its own conversation so tests
# stay independent. Run: python3 -m unittest discover -s tests/fakeapi

import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

sys.dont_write_bytecode = True

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "scripts" / "fake-anthropic"
DEMO = ROOT / "benchmarks" / "demo.fake.json"
NEW = "2026-10-21"
OLD = "2023-06-01"
MODEL = "claude-sonnet-5-5"
# Does not start with sk-ant-, so only an exact match can hide it.
TEST_KEY = "fake-test-key-3b9e51d07c"


class Fake:
    """A fake-anthropic process with its scenario, key and record files."""

    def __init__(self, scenario, key=TEST_KEY, args=()):
        self.dir = tempfile.mkdtemp(prefix="fakeapi-test-")
        self.scenario_path = os.path.join(self.dir, "scenario.json")
        with open(self.scenario_path, "w", encoding="utf-8") as fh:
            json.dump(scenario, fh)
        self.record_path = os.path.join(self.dir, "record.jsonl")
        self.log_path = os.path.join(self.dir, "stderr.log")
        cmd = [sys.executable, str(FAKE), "--scenario", self.scenario_path,
               "--record", self.record_path, *args]
        if key is not None:
            key_path = os.path.join(self.dir, "key")
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600)
            os.write(fd, (key + "\n").encode())
            os.close(fd)
            cmd += ["--key-file", key_path]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=self.log)
        self.port = self._read_port()

    def _read_port(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        match = re.fullmatch(r"PORT (\d+)\n", line)
        if not match:
            self.stop()
            raise RuntimeError(f"fake did not start: {line!r} "
                               f"{self.stderr()}")
        return int(match.group(1))

    def stop(self):
        """SIGTERM the server; return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        return status

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def stderr(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def records(self):
        with open(self.record_path, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port,
                                          timeout=timeout)

    def call(self, method, path, body=None, key=TEST_KEY, version=NEW,
             headers=None, conn=None):
        """Send one request; return (status, headers, raw body)."""
        hdrs = {"content-type": "application/json"}
        if key is not None:
            hdrs["x-api-key"] = key
        if version is not None:
            hdrs["anthropic-version"] = version
        hdrs.update(headers or {})
        data = body if isinstance(body, bytes) or body is None else \
            json.dumps(body).encode()
        own = conn is None
        conn = conn or self.conn()
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, {k.lower(): v for k, v in
                                 resp.getheaders()}, raw
        finally:
            if own:
                conn.close()

    def messages(self, body, **kw):
        status, headers, raw = self.call("POST", "/v1/messages", body, **kw)
        return status, headers, raw


def conv(name, turns, match=None):
    return {"name": name, "match": match or re.escape(f"agent:{name}."),
            "turns": turns}


def req(name, messages=None, stream=False, **extra):
    body = {"model": MODEL, "max_tokens": 1000,
            "system": f"You are agent:{name}.",
            "messages": [{"role": "user", "content": "start"}]
            if messages is None else messages}
    if stream:
        body["stream"] = True
    body.update(extra)
    return body


def parse_sse(raw):
    """Return [(event, data_text)] from an event-stream body."""
    events = []
    for chunk in raw.decode("utf-8").split("\n\n"):
        if not chunk:
            continue
        lines = chunk.split("\n")
        name = lines[0][len("event: "):]
        data = "\n".join(x[len("data: "):] for x in lines[1:])
        events.append((name, data))
    return events


def sse_json(raw):
    return [(name, json.loads(data)) for name, data in parse_sse(raw)]


def error_of(raw):
    body = json.loads(raw)
    return body["error"]["type"], body["error"]["message"]


WRITE_INPUT = {"file_path": "a.txt",
               "content": "line1\nline2 \"q\" \\ back \u00fc\u00ef \u20ac"}
MAIN_SCENARIO = {
    "cache_min_tokens": 60,
    "conversations": [
        conv("plain", [
            {"content": [
                {"type": "text",
                 "text": "Hello from turn zero, with words to chunk."},
                {"type": "tool_use", "name": "Write", "input": WRITE_INPUT}]},
            {"expect": {"tool_result_contains": ["wrote a.txt"]},
             "content": [{"type": "text", "text": "turn one"}]},
            {"content": [{"type": "text", "text": "cut short"}],
             "stop_reason": "max_tokens"},
        ]),
        conv("two-tools", [
            {"content": [
                {"type": "tool_use", "name": "Read",
                 "input": {"file_path": "x"}},
                {"type": "tool_use", "name": "Glob", "input": {}}]},
            {"content": [{"type": "text", "text": "ok"}]},
        ]),
        conv("think", [
            {"content": [{"type": "thinking", "thinking": "pondering it"},
                         {"type": "text", "text": "answer"}]}]),
        conv("usage", [
            {"content": [{"type": "text", "text": "x"}],
             "usage": {"output_tokens": 777}}]),
    ],
}


def assistant_for(fake, name, messages):
    """Play one non-streaming turn; return the response message."""
    status, _, raw = fake.messages(req(name, messages))
    if status != 200:
        raise AssertionError(f"{status}: {raw!r}")
    return json.loads(raw)


class SharedFake(unittest.TestCase):
    SCENARIO = MAIN_SCENARIO
    KEY = TEST_KEY
    fake = None

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(cls.SCENARIO, key=cls.KEY)

    @classmethod
    def tearDownClass(cls):
        status = cls.fake.stop()
        log = cls.fake.stderr()
        cls.fake.cleanup()
        if status != 0:
            raise AssertionError(f"fake exited with {status}")
        if "Traceback" in log or "internal error" in log:
            raise AssertionError(f"fake hit an internal error:\n{log}")

    def assertError(self, result, status, etype, pattern=""):
        got_status, headers, raw = result
        self.assertEqual(got_status, status, raw)
        body = json.loads(raw)
        self.assertEqual(set(body), {"type", "error", "request_id"})
        self.assertEqual(body["type"], "error")
        self.assertEqual(set(body["error"]), {"type", "message"})
        self.assertEqual(body["error"]["type"], etype)
        if pattern:
            self.assertRegex(body["error"]["message"], pattern)
        self.assertRegex(body["request_id"], r"^req_[0-9a-f]+$")
        self.assertEqual(headers["request-id"], body["request_id"])
        self.assertEqual(headers["content-type"], "application/json")
        return body["error"]["message"]


class TestAuthHeadersRecord(SharedFake):
    def test_missing_key_is_401(self):
        res = self.fake.call("GET", "/v1/models", key=None)
        self.assertError(res, 401, "authentication_error", "x-api-key")

    def test_wrong_key_is_401(self):
        res = self.fake.call("GET", "/v1/models", key=TEST_KEY + "x")
        self.assertError(res, 401, "authentication_error", "invalid")
        res = self.fake.messages(req("plain"), key="other")
        self.assertError(res, 401, "authentication_error")

    def test_bearer_token_is_accepted_like_x_api_key(self):
        # what the official SDKs send since their 1.x/2.x releases
        bearer = {"authorization": "Bearer " + TEST_KEY}
        status, _, raw = self.fake.call("GET", "/v1/models?limit=1",
                                        key=None, headers=bearer)
        self.assertEqual(status, 200, raw)
        res = self.fake.call("GET", "/v1/models", key=None,
                             headers={"authorization": "Bearer nope"})
        self.assertError(res, 401, "authentication_error", "invalid")
        res = self.fake.call("GET", "/v1/models", key=None,
                             headers={"authorization": "Basic " + TEST_KEY})
        self.assertError(res, 401, "authentication_error")
        # two keys at once (x-api-key and a bearer token) are refused
        res = self.fake.call("GET", "/v1/models", headers=bearer)
        self.assertError(res, 401, "authentication_error")
        with open(self.fake.record_path, encoding="utf-8") as fh:
            self.assertNotIn(TEST_KEY, fh.read())

    def test_auth_checked_before_version(self):
        res = self.fake.call("GET", "/v1/models", key="nope", version=None)
        self.assertError(res, 401, "authentication_error")

    def test_version_missing_or_unknown_is_400(self):
        res = self.fake.call("GET", "/v1/models", version=None)
        self.assertError(res, 400, "invalid_request_error",
                         "anthropic-version")
        res = self.fake.messages(req("plain"), version="2024-01-01")
        self.assertError(res, 400, "invalid_request_error", "2024-01-01")

    def test_both_versions_accepted(self):
        for version in (OLD, NEW):
            status, _, raw = self.fake.call("GET", "/v1/models?limit=1",
                                            version=version)
            self.assertEqual(status, 200, raw)

    def test_rate_limit_and_request_id_headers(self):
        for result in (self.fake.call("GET", "/v1/models"),
                       self.fake.call("GET", "/v1/models", key=None),
                       self.fake.messages(req("plain", stream=True))):
            headers = result[1]
            self.assertRegex(headers["request-id"], r"^req_[0-9a-f]{8,}$")
            self.assertIn("content-type", headers)
            for kind in ("requests", "tokens", "input-tokens",
                         "output-tokens"):
                base = f"anthropic-ratelimit-{kind}"
                self.assertGreater(int(headers[f"{base}-limit"]), 0)
                self.assertGreaterEqual(int(headers[f"{base}-remaining"]),
                                        0)
                reset = datetime.strptime(headers[f"{base}-reset"],
                                          "%Y-%m-%dT%H:%M:%SZ")
                self.assertIsNotNone(reset)

    def test_models_list_limit_and_get(self):
        status, _, raw = self.fake.call("GET", "/v1/models?limit=3")
        self.assertEqual(status, 200)
        page = json.loads(raw)
        self.assertEqual(len(page["data"]), 3)
        self.assertTrue(page["has_more"])
        self.assertEqual(page["first_id"], page["data"][0]["id"])
        self.assertEqual(page["data"][0]["type"], "model")
        status, _, raw = self.fake.call("GET", "/v1/models?limit=1000")
        ids = [m["id"] for m in json.loads(raw)["data"]]
        self.assertIn(MODEL, ids)
        # December 2026: the fable/mythos 5.2 release is listed first;
        # claude-sonnet-4-5 was retired on 2026-11-30 and is gone
        self.assertEqual(ids[:2], ["claude-fable-5-2", "claude-mythos-5-2"])
        self.assertIn("claude-opus-4-5", ids)
        self.assertNotIn("claude-sonnet-4-5", ids)
        self.assertNotIn("claude-sonnet-4-5-20250929", ids)
        self.assertFalse(json.loads(raw)["has_more"])
        status, _, raw = self.fake.call("GET", f"/v1/models/{MODEL}")
        self.assertEqual((status, json.loads(raw)["id"]), (200, MODEL))
        res = self.fake.call("GET", "/v1/models/claude-nonesuch")
        self.assertError(res, 404, "not_found_error", "claude-nonesuch")
        res = self.fake.call("GET", "/v1/models?limit=0")
        self.assertError(res, 400, "invalid_request_error", "limit")

    def test_unknown_path_and_method(self):
        res = self.fake.call("GET", "/v1/nothing")
        self.assertError(res, 404, "not_found_error")
        res = self.fake.call("GET", "/v1/messages")
        self.assertError(res, 405, "invalid_request_error")

    def test_record_has_no_key_and_tracks_auth(self):
        self.fake.call("GET", "/v1/models", key="wrong-key-value")
        self.fake.call("GET", "/v1/models", key=None)
        self.fake.messages(req("plain"), headers={"x-trace": "t1"})
        with open(self.fake.record_path, encoding="utf-8") as fh:
            text = fh.read()
        self.assertNotIn(TEST_KEY, text)
        self.assertNotIn("wrong-key-value", text)
        self.assertNotIn(TEST_KEY, self.fake.stderr())
        recs = self.fake.records()
        self.assertEqual([r["n"] for r in recs],
                         list(range(1, len(recs) + 1)))
        for rec in recs:
            self.assertNotIn("x-api-key", rec["headers"])
            self.assertNotIn("authorization", rec["headers"])
            self.assertLessEqual({"n", "method", "path", "headers", "auth",
                                  "body", "conversation", "turn", "status",
                                  "fault"}, set(rec))
        auths = {r["auth"] for r in recs}
        self.assertLessEqual({"ok", "bad", "missing"}, auths)
        last = [r for r in recs if r["headers"].get("x-trace") == "t1"][0]
        self.assertEqual((last["status"], last["conversation"],
                          last["turn"], last["fault"]), (200, "plain", 0,
                                                         None))
        self.assertEqual(last["body"]["messages"][0]["content"], "start")
        self.assertEqual(last["headers"]["anthropic-version"], NEW)


class TestValidation(SharedFake):
    def bad(self, body, pattern="", version=NEW, status=400,
            etype="invalid_request_error"):
        res = self.fake.messages(body, version=version)
        return self.assertError(res, status, etype, pattern)

    def test_unknown_top_level_field(self):
        self.bad(req("plain", frobnicate=1), "frobnicate")
        self.bad(req("plain", cache_control={"type": "ephemeral"}),
                 "cache_control")

    def test_required_fields(self):
        for name in ("model", "max_tokens", "messages"):
            body = req("plain")
            del body[name]
            self.bad(body, name)
        self.bad(req("plain", max_tokens=0), "max_tokens")
        self.bad(req("plain", max_tokens="100"), "max_tokens")
        self.bad(req("plain", max_tokens=True), "max_tokens")
        self.bad(req("plain", messages=[]), "messages")

    def test_unknown_model_is_404_naming_it(self):
        self.bad(req("plain", model="claude-imaginary-9"),
                 "claude-imaginary-9", status=404, etype="not_found_error")

    def test_sampling_removed_in_new_version(self):
        for field, value in (("temperature", 0.5), ("top_p", 0.9),
                             ("top_k", 5)):
            self.bad(req("plain", **{field: value}), field)
            status, _, raw = self.fake.messages(req("plain", **{field:
                                                                value}),
                                                version=OLD)
            self.assertEqual(status, 200, raw)
        self.bad(req("plain", temperature=3), "temperature", version=OLD)

    def test_roles(self):
        self.bad(req("plain", messages=[{"role": "assistant",
                                         "content": "hi"}]), "first")
        self.bad(req("plain", messages=[
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"}]), "alternate")
        self.bad(req("plain", messages=[{"role": "system",
                                         "content": "x"}]), "role")
        self.bad(req("plain", messages=[{"role": "user", "content": ""}]),
                 "non-empty")
        self.bad(req("plain", messages=[{"role": "user", "content": "x",
                                         "name": "n"}]), "name")

    def test_body_must_be_json_object(self):
        self.bad(b"{not json", "JSON")
        self.bad(b"[1, 2]", "object")
        self.bad(b'{"max_tokens": NaN}', "JSON")
        res = self.fake.messages(req("plain"),
                                 headers={"content-type": "text/plain"})
        self.assertError(res, 400, "invalid_request_error", "content-type")

    def test_version_specific_blocks(self):
        doc = {"type": "document", "source": {"type": "text",
                                              "media_type": "text/plain",
                                              "data": "d"}}
        msgs = [{"role": "user", "content": "a"},
                {"role": "assistant", "content": [doc]},
                {"role": "user", "content": "b"}]
        self.bad(req("plain", messages=msgs), "document")
        cited = [{"role": "user", "content": [
            {"type": "text", "text": "a", "citations": [{"x": 1}]}]}]
        self.bad(req("plain", messages=cited), "citations")

    def tool_turn(self, ids=("toolu_1",)):
        return {"role": "assistant", "content": [
            {"type": "text", "text": "running"}] + [
            {"type": "tool_use", "id": i, "name": "Bash",
             "input": {"command": "true"}} for i in ids]}

    def result(self, tid, text="out"):
        return {"type": "tool_result", "tool_use_id": tid, "content": text}

    def test_tool_result_pairing_ok(self):
        msgs = [{"role": "user", "content": "go"},
                self.tool_turn(("toolu_a", "toolu_b")),
                {"role": "user", "content": [
                    self.result("toolu_a"),
                    self.result("toolu_b"),
                    {"type": "text", "text": "also this"}]}]
        status, _, raw = self.fake.messages(req("two-tools", msgs))
        self.assertEqual(status, 200, raw)

    def test_tool_result_pairing_errors(self):
        start = {"role": "user", "content": "go"}
        two = self.tool_turn(("toolu_a", "toolu_b"))
        cases = [
            ([self.result("toolu_a")], "toolu_b"),
            ([self.result("toolu_b"), self.result("toolu_a")], "order"),
            ([{"type": "text", "text": "hi"}, self.result("toolu_a"),
              self.result("toolu_b")], "tool_result"),
            ([self.result("toolu_a"), self.result("toolu_b"),
              self.result("toolu_c")], "toolu_c"),
            ("just text", "tool_result"),
        ]
        for content, pattern in cases:
            with self.subTest(content=content):
                msgs = [start, two, {"role": "user", "content": content}]
                self.bad(req("two-tools", msgs), pattern)
        stray = [{"role": "user", "content": [self.result("toolu_z")]}]
        self.bad(req("plain", stray), "toolu_z")
        plain = [start, {"role": "assistant", "content": "no tools"},
                 {"role": "user", "content": [self.result("toolu_q")]}]
        self.bad(req("plain", plain), "toolu_q")

    def test_tool_blocks_in_wrong_role(self):
        msgs = [{"role": "user", "content": [
            {"type": "tool_use", "id": "toolu_x", "name": "Bash",
             "input": {}}]}]
        self.bad(req("plain", msgs), "user")

    def cached_system(self, n):
        return [{"type": "text", "text": f"You are agent:plain. part {i}",
                 "cache_control": {"type": "ephemeral"}} for i in range(n)]

    def test_breakpoint_limit(self):
        status, _, raw = self.fake.messages(req("plain",
                                                system=self.cached_system(4)))
        self.assertEqual(status, 200, raw)
        self.bad(req("plain", system=self.cached_system(5)),
                 "maximum of 4")
        tools = [{"name": "T", "input_schema": {"type": "object"},
                  "cache_control": {"type": "ephemeral"}}]
        msgs = [{"role": "user", "content": [
            {"type": "text", "text": "x",
             "cache_control": {"type": "ephemeral", "ttl": "1h"}}]}]
        self.bad(req("plain", system=self.cached_system(3), tools=tools,
                     messages=msgs), "Found 5")
        bad_cc = [{"type": "text", "text": "x",
                   "cache_control": {"type": "forever"}}]
        self.bad(req("plain", system=bad_cc), "ephemeral")

    def test_tools_shape(self):
        self.bad(req("plain", tools=[{"name": "T"}]), "input_schema")
        self.bad(req("plain", tools=[{"name": "T", "input_schema":
                                      {"type": "string"}}]), "object")
        self.bad(req("plain", tools=[{"name": "bad name!",
                                      "input_schema": {"type": "object"}}]),
                 "name")
        tool = {"name": "T", "input_schema": {"type": "object"}}
        self.bad(req("plain", tools=[tool, tool]), "unique")
        self.bad(req("plain", tool_choice={"type": "auto"}), "tools")
        ok = req("plain", tools=[dict(tool, description="d")],
                 tool_choice={"type": "auto"})
        self.assertEqual(self.fake.messages(ok)[0], 200)

    def test_no_conversation_matches(self):
        body = req("plain", system="You are nobody in particular.")
        self.bad(body, "scenario")

    def test_hostile_values_do_not_crash(self):
        for body in (req("plain", messages=[{"role": "user",
                                             "content": [{"type": [1]}]}]),
                     req("plain", messages=[{"role": "user",
                                             "content": [[1]]}]),
                     req("plain", system=[{"type": "text"}]),
                     req("plain", tools={"a": 1}),
                     req("plain", metadata={"user_id": 5}),
                     b"[" * 100000 + b"]" * 100000,
                     b"\xff\xfe"):
            self.bad(body)
        status, _, _ = self.fake.call("GET", "/v1/models")
        self.assertEqual(status, 200)

    def test_keep_alive_and_chunked_body(self):
        conn = self.fake.conn()
        try:
            for _ in range(3):
                status, _, raw = self.fake.messages(req("plain"), conn=conn)
                self.assertEqual(status, 200, raw)
                status, _, _ = self.fake.messages(req("plain", bogus=1),
                                                  conn=conn)
                self.assertEqual(status, 400)
            data = json.dumps(req("plain")).encode()
            conn.request("POST", "/v1/messages",
                         body=iter([data[:10], data[10:]]),
                         encode_chunked=True,
                         headers={"x-api-key": TEST_KEY,
                                  "anthropic-version": NEW,
                                  "content-type": "application/json"})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            self.assertEqual(json.loads(resp.read())["type"], "message")
        finally:
            conn.close()

    def test_malformed_chunked_body_closes_connection(self):
        with socket.create_connection(("127.0.0.1", self.fake.port),
                                      timeout=10) as sock:
            sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
                         b"x-api-key: " + TEST_KEY.encode() + b"\r\n"
                         b"anthropic-version: " + NEW.encode() + b"\r\n"
                         b"content-type: application/json\r\n"
                         b"transfer-encoding: chunked\r\n\r\nzz\r\n")
            data = b""
            while True:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:100])
        self.assertIn(b"chunked", data)


class TestTurns(SharedFake):
    def first_turn(self):
        return assistant_for(self.fake, "plain", None)

    def test_message_shape(self):
        msg = self.first_turn()
        self.assertEqual(set(msg), {"id", "type", "role", "model",
                                    "content", "stop_reason",
                                    "stop_sequence", "usage"})
        self.assertRegex(msg["id"], r"^msg_[0-9a-f]+$")
        self.assertEqual((msg["type"], msg["role"], msg["model"]),
                         ("message", "assistant", MODEL))
        self.assertEqual(msg["stop_reason"], "tool_use")
        self.assertIsNone(msg["stop_sequence"])
        use = msg["content"][1]
        self.assertRegex(use["id"], r"^toolu_[0-9a-f]{24}$")
        self.assertEqual((use["name"], use["input"]), ("Write",
                                                       WRITE_INPUT))
        usage = msg["usage"]
        for key in ("input_tokens", "output_tokens",
                    "cache_creation_input_tokens",
                    "cache_read_input_tokens"):
            self.assertIsInstance(usage[key], int)
        self.assertGreater(usage["input_tokens"], 0)
        self.assertGreater(usage["output_tokens"], 1)

    def test_turn_follows_assistant_count(self):
        first = self.first_turn()
        again = self.first_turn()
        tid = first["content"][1]["id"]
        self.assertEqual(again["content"][1]["id"], tid)
        self.assertNotEqual(first["id"], again["id"])
        history = [{"role": "user", "content": "start"},
                   {"role": "assistant", "content": first["content"]},
                   {"role": "user", "content": [
                       {"type": "tool_result", "tool_use_id": tid,
                        "content": "wrote a.txt (3 lines)"}]}]
        second = assistant_for(self.fake, "plain", history)
        self.assertEqual(second["content"],
                         [{"type": "text", "text": "turn one"}])
        self.assertEqual(second["stop_reason"], "end_turn")
        history += [{"role": "assistant", "content": second["content"]},
                    {"role": "user", "content": "more"}]
        third = assistant_for(self.fake, "plain", history)
        self.assertEqual(third["stop_reason"], "max_tokens")
        history += [{"role": "assistant", "content": "cut short"},
                    {"role": "user", "content": "and?"}]
        done = assistant_for(self.fake, "plain", history)
        self.assertEqual(done["content"][0]["text"], "scenario exhausted")
        self.assertEqual(done["stop_reason"], "end_turn")

    def test_expectation_failure_is_loud(self):
        first = self.first_turn()
        tid = first["content"][1]["id"]
        history = [{"role": "user", "content": "start"},
                   {"role": "assistant", "content": first["content"]},
                   {"role": "user", "content": [
                       {"type": "tool_result", "tool_use_id": tid,
                        "content": [{"type": "text", "text": "denied"}],
                        "is_error": True}]}]
        res = self.fake.messages(req("plain", history))
        msg = self.assertError(res, 400, "invalid_request_error",
                               "scenario expectation failed")
        self.assertIn("wrote a.txt", msg)
        self.assertIn("denied", msg)

    def test_usage_override(self):
        msg = assistant_for(self.fake, "usage", None)
        self.assertEqual(msg["usage"]["output_tokens"], 777)


class TestStreaming(SharedFake):
    def stream(self, name, messages=None):
        status, headers, raw = self.fake.messages(req(name, messages,
                                                      stream=True))
        self.assertEqual(status, 200, raw)
        self.assertTrue(headers["content-type"].startswith(
            "text/event-stream"))
        return sse_json(raw)

    def test_event_order(self):
        events = self.stream("plain")
        names = [n for n, _ in events]
        for name, data in events:
            self.assertEqual(name, data["type"])
        self.assertEqual(names[:2], ["message_start", "ping"])
        self.assertEqual(names[-2:], ["message_delta", "message_stop"])
        core = [n for n in names[2:-2] if n != "ping"]
        shape = " ".join("D" if n == "content_block_delta" else
                         {"content_block_start": "S",
                          "content_block_stop": "E"}[n] for n in core)
        self.assertRegex(shape, r"^S( D)+ E S( D)+ E$")
        start = events[0][1]["message"]
        self.assertEqual(start["content"], [])
        self.assertIsNone(start["stop_reason"])
        self.assertEqual(start["usage"]["output_tokens"], 1)
        self.assertGreater(start["usage"]["input_tokens"], 0)
        delta = events[-2][1]
        self.assertEqual(delta["delta"], {"stop_reason": "tool_use",
                                          "stop_sequence": None})
        self.assertGreater(delta["usage"]["output_tokens"], 1)
        self.assertEqual(delta["usage"]["input_tokens"],
                         start["usage"]["input_tokens"])

    def test_deltas_rebuild_the_content(self):
        events = self.stream("plain")
        blocks = {}
        for name, data in events:
            if name == "content_block_start":
                blocks[data["index"]] = {"start": data["content_block"],
                                         "parts": []}
            elif name == "content_block_delta":
                blocks[data["index"]]["parts"].append(data["delta"])
        text = blocks[0]
        self.assertEqual(text["start"], {"type": "text", "text": ""})
        self.assertGreater(len(text["parts"]), 1)
        self.assertEqual("".join(p["text"] for p in text["parts"]),
                         "Hello from turn zero, with words to chunk.")
        tool = blocks[1]
        self.assertEqual(tool["start"]["input"], {})
        self.assertRegex(tool["start"]["id"], r"^toolu_[0-9a-f]{24}$")
        frags = [p["partial_json"] for p in tool["parts"]]
        self.assertTrue(all(p["type"] == "input_json_delta"
                            for p in tool["parts"]))
        self.assertGreater(len(frags), 3)
        self.assertGreater(len(set(map(len, frags))), 1)
        self.assertEqual(json.loads("".join(frags)), WRITE_INPUT)

    def test_stream_matches_non_stream(self):
        events = self.stream("plain")
        msg = assistant_for(self.fake, "plain", None)
        tool_start = [d["content_block"] for n, d in events
                      if n == "content_block_start"][1]
        self.assertEqual(tool_start["id"], msg["content"][1]["id"])

    def test_empty_input_and_two_tools(self):
        events = self.stream("two-tools")
        frags = {}
        for name, data in events:
            if name == "content_block_delta":
                frags.setdefault(data["index"], []).append(
                    data["delta"]["partial_json"])
        self.assertEqual(json.loads("".join(frags[0])), {"file_path": "x"})
        self.assertEqual("".join(frags[1]), "")

    def test_thinking_passthrough(self):
        events = self.stream("think")
        starts = [d["content_block"] for n, d in events
                  if n == "content_block_start"]
        self.assertEqual(starts[0]["type"], "thinking")
        deltas = [d["delta"] for n, d in events
                  if n == "content_block_delta" and d["index"] == 0]
        thought = "".join(d.get("thinking", "") for d in deltas
                          if d["type"] == "thinking_delta")
        self.assertEqual(thought, "pondering it")
        self.assertEqual(deltas[-1]["type"], "signature_delta")
        self.assertTrue(deltas[-1]["signature"])
        msg = assistant_for(self.fake, "think", None)
        self.assertEqual(msg["content"][0]["signature"],
                         deltas[-1]["signature"])

    def test_chunked_framing_one_event_per_chunk(self):
        body = json.dumps(req("plain", stream=True)).encode()
        with socket.create_connection(("127.0.0.1", self.fake.port),
                                      timeout=10) as sock:
            sock.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
                         b"x-api-key: " + TEST_KEY.encode() + b"\r\n"
                         b"anthropic-version: " + NEW.encode() + b"\r\n"
                         b"content-type: application/json\r\n"
                         b"connection: close\r\n"
                         b"content-length: " + str(len(body)).encode()
                         + b"\r\n\r\n" + body)
            data = b""
            while True:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        head, _, rest = data.partition(b"\r\n\r\n")
        self.assertIn(b"transfer-encoding: chunked", head.lower())
        chunks = []
        while True:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            self.assertEqual(rest[size:size + 2], b"\r\n")
            rest = rest[size + 2:]
        for chunk in chunks:
            self.assertTrue(chunk.startswith(b"event: "))
            self.assertTrue(chunk.endswith(b"\n\n"))
            self.assertEqual(chunk.count(b"\n\n"), 1)


FAULT_CONVS = ["f-status", "f-ms", "f-date", "f-reset", "f-cut",
               "f-cut-plain", "f-error", "f-error-plain", "f-invalid",
               "f-invalid-plain", "f-slow", "f-spend", "f-all", "f-numbered",
               "f-stall", "f-stall-plain"]
FAULT_SCENARIO = {
    "conversations": [conv(n, [{"content": [
        {"type": "text", "text": f"reply from {n} with enough text"},
        {"type": "tool_use", "name": "Bash",
         "input": {"command": "echo hi", "description": "say hi"}}]}])
        for n in FAULT_CONVS],
    "faults": [
        {"conversation": "f-status", "turn": 0, "attempt": 1,
         "kind": "status", "status": 529, "error_type": "overloaded_error",
         "retry_after": 2, "should_retry": "true"},
        {"conversation": "f-ms", "turn": 0, "kind": "status",
         "status": 500, "retry_after_ms": 250, "should_retry": False},
        {"conversation": "f-date", "turn": 0, "kind": "status",
         "status": 429, "retry_after": 30, "retry_after_date": True},
        {"conversation": "f-reset", "turn": 0, "kind": "reset"},
        {"conversation": "f-cut", "turn": 0, "kind": "cut"},
        {"conversation": "f-cut-plain", "turn": 0, "kind": "cut"},
        {"conversation": "f-error", "turn": 0, "kind": "error_event"},
        {"conversation": "f-error-plain", "turn": 0, "kind": "error_event"},
        {"conversation": "f-invalid", "turn": 0, "kind": "invalid_json"},
        {"conversation": "f-invalid-plain", "turn": 0,
         "kind": "invalid_json"},
        {"conversation": "f-slow", "turn": 0, "kind": "slow",
         "delay_ms": 600},
        {"conversation": "f-spend", "turn": 0, "attempt": "all",
         "kind": "spend_limit"},
        {"conversation": "f-all", "turn": 0, "attempt": "all",
         "kind": "status", "status": 503},
        {"conversation": "f-stall", "turn": 0, "kind": "stall",
         "stall_ms": 400},
        {"conversation": "f-stall-plain", "turn": 0, "kind": "stall"},
    ],
}


READ = {"file_path": "a.txt"}
THINK_SCENARIO = {
    "conversations": [
        conv("loop", [
            {"content": [{"type": "thinking", "thinking": "Read a.txt first."},
                         {"type": "tool_use", "name": "Read",
                          "input": READ}]},
            {"content": [{"type": "thinking", "thinking": "Now list."},
                         {"type": "redacted_thinking", "data": "c2VjcmV0"},
                         {"type": "tool_use", "name": "Glob",
                          "input": {"pattern": "*"}}]},
            {"content": [{"type": "text", "text": "done"}]},
        ]),
    ],
}
TOOLS = [{"name": "Read", "description": "read",
          "input_schema": {"type": "object", "properties": {}}},
         {"name": "Glob", "description": "glob",
          "input_schema": {"type": "object", "properties": {}}}]


def loop_req(messages, **extra):
    return req("loop", messages, tools=json.loads(json.dumps(TOOLS)),
               **extra)


def results_for(content):
    return {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": b["id"], "content": "ok"}
        for b in content if b["type"] == "tool_use"]}


class TestThinking(SharedFake):
    """Thinking blocks are signed over their conversation and must come
    back unchanged, in an unchanged conversation (thinking.py)."""

    SCENARIO = THINK_SCENARIO

    def play(self, messages, status=200, pattern="", **extra):
        res = self.fake.messages(loop_req(messages, **extra))
        if status != 200:
            return self.assertError(res, status, "invalid_request_error",
                                    pattern)
        self.assertEqual(res[0], 200, res[2])
        return json.loads(res[2])["content"]

    def two_turns(self):
        """The conversation after turn 1: [user, a0, results, a1,
        results]."""
        msgs = [{"role": "user", "content": "start"}]
        a0 = self.play(msgs)
        msgs += [{"role": "assistant", "content": a0}, results_for(a0)]
        a1 = self.play(msgs)
        msgs += [{"role": "assistant", "content": a1}, results_for(a1)]
        return msgs

    def test_round_trip_with_moving_breakpoint(self):
        msgs = self.two_turns()
        a1 = msgs[3]["content"]
        self.assertEqual([b["type"] for b in a1],
                         ["thinking", "redacted_thinking", "tool_use"])
        self.assertRegex(a1[0]["signature"], r"^[A-Za-z0-9+/]{43}=$")
        self.assertTrue(a1[1]["data"].startswith("c2VjcmV0~"))
        # the rolling cache_control breakpoint moves: allowed
        msgs[-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
        self.assertEqual(self.play(msgs)[0]["text"], "done")

    def test_signature_depends_on_the_conversation(self):
        a = self.play([{"role": "user", "content": "start"}])
        b = self.play([{"role": "user", "content": "start again"}])
        self.assertEqual(a[0]["thinking"], b[0]["thinking"])
        self.assertNotEqual(a[0]["signature"], b[0]["signature"])

    def test_altered_thinking_text_or_signature_is_400(self):
        for key, value in (("thinking", "Read b.txt first."),
                           ("signature", None)):
            msgs = self.two_turns()
            block = msgs[3]["content"][0]
            block[key] = value if value else block[key][::-1]
            self.play(msgs, 400, r"^messages\.3\.content\.0: Invalid "
                      r"`signature` in `thinking` block")

    def test_altered_redacted_data_is_400(self):
        msgs = self.two_turns()
        block = msgs[3]["content"][1]
        for data in ("c2VjcmVU" + block["data"][8:], "c2VjcmV0",
                     block["data"] + "x"):
            block["data"] = data
            self.play(msgs, 400, r"^messages\.3\.content\.1: Invalid "
                      r"`data` in `redacted_thinking` block")

    def test_dropped_thinking_in_the_final_turn_is_400(self):
        for drop in ((0,), (1,), (0, 1)):
            msgs = self.two_turns()
            msgs[3]["content"] = [b for k, b in enumerate(msgs[3]["content"])
                                  if k not in drop]
            self.play(msgs, 400, r"Expected `thinking` or "
                      r"`redacted_thinking`, but found `(tool_use|"
                      r"redacted_thinking|nothing)`")
        # moved behind the tool call: not at the start either
        msgs = self.two_turns()
        msgs[3]["content"] = msgs[3]["content"][2:] + msgs[3]["content"][:2]
        self.play(msgs, 400, r"^messages\.3\.content\.0\.type: Expected")

    def test_earlier_turns_thinking_may_be_dropped(self):
        msgs = self.two_turns()
        msgs[1]["content"] = msgs[1]["content"][1:]
        self.assertEqual(self.play(msgs)[0]["text"], "done")

    def test_changed_system_tools_or_earlier_turn_is_400(self):
        invalid = r"Invalid `signature` in `thinking` block"
        msgs = self.two_turns()
        self.play(msgs, 400, invalid,
                  system="You are agent:loop. It is 12:00:01.")
        body = loop_req(msgs)
        body["tools"][0]["description"] = "read a file"
        self.assertError(self.fake.messages(body), 400,
                         "invalid_request_error", invalid)
        body = loop_req(msgs)
        body["tools"].reverse()
        self.assertError(self.fake.messages(body), 400,
                         "invalid_request_error", invalid)
        msgs[2]["content"][0]["content"] = "changed"
        self.play(msgs, 400, invalid)
        msgs = self.two_turns()
        msgs[0]["content"] = "start, edited"
        self.play(msgs, 400, invalid)

    def test_streamed_blocks_verify(self):
        status, _, raw = self.fake.messages(loop_req(
            [{"role": "user", "content": "start"}], stream=True))
        self.assertEqual(status, 200, raw)
        blocks = {}
        for name, data in sse_json(raw):
            if name == "content_block_start":
                blocks[data["index"]] = dict(data["content_block"])
            elif name == "content_block_delta":
                b, d = blocks[data["index"]], data["delta"]
                if d["type"] == "thinking_delta":
                    b["thinking"] += d["thinking"]
                elif d["type"] == "signature_delta":
                    b["signature"] += d["signature"]
                elif d["type"] == "input_json_delta":
                    b["_json"] = b.get("_json", "") + d["partial_json"]
        tool = blocks[1]
        tool["input"] = json.loads(tool.pop("_json") or "{}")
        content = [blocks[0], tool]
        self.assertTrue(blocks[0]["signature"])
        msgs = [{"role": "user", "content": "start"},
                {"role": "assistant", "content": content},
                results_for(content)]
        self.assertEqual(self.play(msgs)[0]["type"], "thinking")

    def test_forced_tool_choice_refused_by_thinking_models(self):
        msgs = [{"role": "user", "content": "start"}]
        for choice in ({"type": "any"}, {"type": "tool", "name": "Read"}):
            self.play(msgs, 400, r"^tool_choice: claude-sonnet-5-5 does "
                      r"not support forced tool use", tool_choice=choice)
            body = loop_req(msgs, tool_choice=choice)
            body["model"] = "claude-opus-5-5"
            self.assertError(self.fake.messages(body), 400,
                             "invalid_request_error", "opus-5-5")
            body["model"] = "claude-haiku-5-5"
            self.assertEqual(self.fake.messages(body)[0], 200)
        self.play(msgs, tool_choice={"type": "auto"})



class TestFaults(SharedFake):
    SCENARIO = FAULT_SCENARIO

    def ok(self, name, stream=False):
        status, _, raw = self.fake.messages(req(name, stream=stream))
        self.assertEqual(status, 200, raw)
        return raw

    def record_for(self, name):
        return [r for r in self.fake.records() if r["conversation"] == name]

    def test_status_with_retry_after_then_success(self):
        res = self.fake.messages(req("f-status"))
        self.assertError(res, 529, "overloaded_error")
        self.assertEqual(res[1]["retry-after"], "2")
        self.assertEqual(res[1]["x-should-retry"], "true")
        self.ok("f-status")
        recs = self.record_for("f-status")
        self.assertEqual([(r["attempt"], r["status"], r["fault"])
                          for r in recs[:2]],
                         [(1, 529, "status"), (2, 200, None)])

    def test_retry_after_ms_and_should_retry_false(self):
        res = self.fake.messages(req("f-ms"))
        self.assertError(res, 500, "api_error")
        self.assertEqual(res[1]["retry-after-ms"], "250")
        self.assertEqual(res[1]["x-should-retry"], "false")
        self.assertNotIn("retry-after", res[1])
        self.assertIsNone(self.record_for("f-ms")[-1]["retry_at"])

    def test_retry_after_http_date(self):
        res = self.fake.messages(req("f-date"))
        self.assertError(res, 429, "rate_limit_error")
        when = parsedate_to_datetime(res[1]["retry-after"])
        wait = (when - datetime.now(timezone.utc)).total_seconds()
        self.assertTrue(25 <= wait <= 40, wait)
        rec = self.record_for("f-date")[-1]
        self.assertEqual(rec["retry_at"], int(when.timestamp()))
        self.assertGreater(rec["retry_at"], rec["received_at"] + 30)

    def test_reset(self):
        conn = self.fake.conn()
        try:
            with self.assertRaises((ConnectionError,
                                    http.client.HTTPException)):
                self.fake.messages(req("f-reset"), conn=conn)
        finally:
            conn.close()
        self.ok("f-reset")
        rec = self.record_for("f-reset")[0]
        self.assertEqual((rec["status"], rec["fault"]), (None, "reset"))

    def raw_stream(self, name, stream=True):
        conn = self.fake.conn()
        try:
            conn.request("POST", "/v1/messages",
                         body=json.dumps(req(name, stream=stream)),
                         headers={"x-api-key": TEST_KEY,
                                  "anthropic-version": NEW,
                                  "content-type": "application/json"})
            resp = conn.getresponse()
            try:
                return resp.status, resp.read(), None
            except http.client.IncompleteRead as exc:
                return resp.status, exc.partial, exc
        finally:
            conn.close()

    def test_cut_stream(self):
        status, partial, exc = self.raw_stream("f-cut")
        self.assertEqual(status, 200)
        self.assertIsNotNone(exc)
        self.assertIn(b"event: message_start", partial)
        self.assertNotIn(b"message_stop", partial)
        self.assertFalse(partial.endswith(b"\n\n"))
        self.ok("f-cut", stream=True)

    def test_cut_plain(self):
        status, partial, exc = self.raw_stream("f-cut-plain", stream=False)
        self.assertEqual(status, 200)
        self.assertIsNotNone(exc)
        self.assertGreater(len(partial), 10)

    def test_stall_stream(self):
        # half an event, then silence for stall_ms, then the close
        start = time.monotonic()
        status, partial, exc = self.raw_stream("f-stall")
        self.assertGreaterEqual(time.monotonic() - start, 0.35)
        self.assertEqual(status, 200)
        self.assertIsNotNone(exc)
        self.assertIn(b"event: message_start", partial)
        self.assertNotIn(b"message_stop", partial)
        self.assertFalse(partial.endswith(b"\n\n"))
        self.ok("f-stall", stream=True)
        self.assertEqual(self.record_for("f-stall")[0]["fault"], "stall")

    def test_stall_plain_until_the_client_goes(self):
        # the default stall (60 s) outlasts the client's 0.5 s timeout:
        # the half body came, then nothing
        conn = self.fake.conn(timeout=0.5)
        try:
            conn.request("POST", "/v1/messages",
                         body=json.dumps(req("f-stall-plain")),
                         headers={"x-api-key": TEST_KEY,
                                  "anthropic-version": NEW,
                                  "content-type": "application/json"})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            length = int(resp.getheader("content-length"))
            got = resp.fp.read1(length)
            self.assertGreater(len(got), 10)
            self.assertLess(len(got), length)
            with self.assertRaises(TimeoutError):
                resp.fp.read(length - len(got))
        finally:
            conn.close()
        self.ok("f-stall-plain")

    def test_error_event(self):
        status, raw, exc = self.raw_stream("f-error")
        self.assertEqual(status, 200)
        self.assertIsNone(exc)
        names = [n for n, _ in parse_sse(raw)]
        self.assertEqual(names, ["message_start", "ping", "error"])
        err = json.loads(parse_sse(raw)[-1][1])
        self.assertEqual(err["type"], "error")
        self.assertEqual(err["error"]["type"], "overloaded_error")
        res = self.fake.messages(req("f-error-plain"))
        self.assertError(res, 529, "overloaded_error")

    def test_invalid_json(self):
        status, raw, exc = self.raw_stream("f-invalid")
        self.assertEqual(status, 200)
        self.assertIsNone(exc)
        bad = 0
        for _, data in parse_sse(raw):
            try:
                json.loads(data)
            except ValueError:
                bad += 1
        self.assertEqual(bad, 1)
        self.assertIn(b"message_stop", raw)
        status, headers, raw = self.fake.messages(req("f-invalid-plain"))
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/json")
        with self.assertRaises(ValueError):
            json.loads(raw)

    def test_slow(self):
        began = time.monotonic()
        self.ok("f-slow", stream=True)
        self.assertGreaterEqual(time.monotonic() - began, 0.55)
        began = time.monotonic()
        self.ok("f-slow")
        self.assertLess(time.monotonic() - began, 0.5)

    def test_spend_limit(self):
        for _ in range(2):
            res = self.fake.messages(req("f-spend"))
            self.assertError(res, 429, "rate_limit_error", "spend limit")
            self.assertNotIn("retry-after", res[1])
            self.assertNotIn("retry-after-ms", res[1])

    def test_attempt_all(self):
        for _ in range(3):
            res = self.fake.messages(req("f-all"))
            self.assertError(res, 503, "api_error")


class TestNumberedFaults(SharedFake):
    SCENARIO = {
        "conversations": [conv("n", [{"content": [
            {"type": "text", "text": "hi"}]}])],
        "faults": [{"request": 2, "kind": "status", "status": 500},
                   {"request": 4, "kind": "reset"}],
    }

    def test_request_numbers(self):
        self.fake.call("GET", "/v1/models")
        got = []
        for _ in range(5):
            try:
                got.append(self.fake.messages(req("n"))[0])
            except (ConnectionError, http.client.HTTPException):
                got.append("reset")
        self.assertEqual(got, [200, 500, 200, "reset", 200])
        recs = [r for r in self.fake.records() if r["request"]]
        self.assertEqual([r["request"] for r in recs], [1, 2, 3, 4, 5])
        self.assertEqual(recs[0]["n"], 2)


def cache_body(system_text, messages, model=MODEL, extra_bp=False):
    tools = [{"name": "Bash", "description": "run " * 40,
              "input_schema": {"type": "object"}}]
    if extra_bp:
        tools[0]["cache_control"] = {"type": "ephemeral"}
    return {"model": model, "max_tokens": 100, "tools": tools,
            "system": [{"type": "text", "text": system_text,
                        "cache_control": {"type": "ephemeral"}}],
            "messages": messages}


def total(usage):
    return (usage["input_tokens"] + usage["cache_creation_input_tokens"]
            + usage["cache_read_input_tokens"])


class TestCache(SharedFake):
    SCENARIO = {
        "cache_min_tokens": 200,
        "conversations": [conv("cache", [
            {"content": [{"type": "text", "text": "one"}]},
            {"content": [{"type": "text", "text": "two"}]}],
            match="agent:cache")],
    }
    LONG = "You are agent:cache. " + "Rules of the road. " * 80

    def usage(self, body):
        status, _, raw = self.fake.messages(body)
        self.assertEqual(status, 200, raw)
        return json.loads(raw)["usage"]

    def test_repeated_prefix_is_read(self):
        system = self.LONG + "variant A"
        msgs = [{"role": "user", "content": "hello"}]
        first = self.usage(cache_body(system, msgs))
        self.assertGreater(first["cache_creation_input_tokens"], 200)
        self.assertEqual(first["cache_read_input_tokens"], 0)
        second = self.usage(cache_body(system, msgs))
        self.assertEqual(second["cache_read_input_tokens"],
                         first["cache_creation_input_tokens"])
        self.assertEqual(second["cache_creation_input_tokens"], 0)
        self.assertEqual(total(first), total(second))
        self.assertGreater(second["input_tokens"], 0)
        other = self.usage(cache_body(system, msgs, model="claude-opus-5"))
        self.assertEqual(other["cache_read_input_tokens"], 0)

    def test_short_prefix_is_not_cached(self):
        msgs = [{"role": "user", "content": "hello"}]
        for _ in range(2):
            usage = self.usage({"model": MODEL, "max_tokens": 10,
                                "system": [{"type": "text",
                                            "text": "agent:cache short B",
                                            "cache_control":
                                            {"type": "ephemeral"}}],
                                "messages": msgs})
            self.assertEqual(usage["cache_creation_input_tokens"], 0)
            self.assertEqual(usage["cache_read_input_tokens"], 0)

    def test_rolling_breakpoint_reads_earlier_prefix(self):
        system = self.LONG + "variant C"
        cc = {"type": "ephemeral"}
        msgs1 = [{"role": "user", "content": [
            {"type": "text", "text": "task " * 50, "cache_control": cc}]}]
        first = self.usage(cache_body(system, msgs1))
        msgs2 = [{"role": "user", "content": [
            {"type": "text", "text": "task " * 50}]},
            {"role": "assistant", "content": "one"},
            {"role": "user", "content": [
                {"type": "text", "text": "more " * 50,
                 "cache_control": cc}]}]
        second = self.usage(cache_body(system, msgs2))
        self.assertEqual(second["cache_read_input_tokens"],
                         first["cache_creation_input_tokens"])
        self.assertGreater(second["cache_creation_input_tokens"], 0)
        self.assertEqual(second["input_tokens"], 0)

    def test_breakpoint_moves_do_not_change_identity(self):
        system = self.LONG + "variant D"
        msgs = [{"role": "user", "content": "hello"}]
        first = self.usage(cache_body(system, msgs))
        both = self.usage(cache_body(system, msgs, extra_bp=True))
        self.assertEqual(both["cache_read_input_tokens"],
                         first["cache_creation_input_tokens"])


class TestConcurrency(SharedFake):
    def test_parallel_streams(self):
        results = []
        lock = threading.Lock()

        def worker():
            status, _, raw = self.fake.messages(req("plain", stream=True))
            names = [n for n, _ in parse_sse(raw)]
            with lock:
                results.append((status, names[-1]))

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, [(200, "message_stop")] * 8)


class TestCommandLine(unittest.TestCase):
    def run_fake(self, *args):
        proc = subprocess.run([sys.executable, str(FAKE), *args],
                              capture_output=True, timeout=20, text=True)
        return proc.returncode, proc.stdout, proc.stderr

    def test_bad_scenarios_exit_2(self):
        tmp = tempfile.mkdtemp(prefix="fakeapi-test-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cases = [
            ("not json", "scenario"),
            (json.dumps({"conversations": [{"name": "a", "match": "(",
                                            "turns": []}]}), "match"),
            (json.dumps({"conversations": [], "bogus": 1}), "bogus"),
            (json.dumps({"conversations": [conv("a", [
                {"content": [{"type": "image"}]}])]}), "type"),
            (json.dumps({"conversations": [conv("a", [
                {"content": [], "stop_reason": "done"}])]}), "stop_reason"),
            (json.dumps({"conversations": [], "faults": [
                {"conversation": "zz", "turn": 0, "kind": "reset"}]}),
             "conversation"),
            (json.dumps({"conversations": [], "faults": [
                {"request": 1, "kind": "explode"}]}), "kind"),
            (json.dumps({"conversations": [], "faults": [
                {"request": 1, "kind": "stall", "stall_ms": -1}]}),
             "stall_ms"),
            (json.dumps({"conversations": [], "faults": [
                {"request": 1, "kind": "stall", "stall_ms": 600001}]}),
             "stall_ms"),
            # the signature is the fake's own, never the scenario's
            (json.dumps({"conversations": [conv("a", [
                {"content": [{"type": "thinking", "thinking": "x",
                              "signature": "s"}]}])]}), "signature"),
            (json.dumps({"conversations": [conv("a", [
                {"content": [{"type": "redacted_thinking",
                              "data": ""}]}])]}), "data"),
        ]
        for i, (text, word) in enumerate(cases):
            path = os.path.join(tmp, f"s{i}.json")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            code, out, err = self.run_fake("--scenario", path)
            self.assertEqual(code, 2, err)
            self.assertEqual(out, "")
            self.assertIn(word, err)
            self.assertIn(path, err)

    def test_non_loopback_and_missing_key_file(self):
        code, _, err = self.run_fake("--scenario", str(DEMO),
                                     "--host", "0.0.0.0")
        self.assertEqual(code, 2)
        self.assertIn("loopback", err)
        code, _, err = self.run_fake("--scenario", str(DEMO),
                                     "--key-file", "/nonexistent/key")
        self.assertEqual(code, 2)
        self.assertIn("key file", err)

    def test_sigint_stops_cleanly(self):
        fake = Fake({"conversations": []})
        try:
            self.assertEqual(fake.call("GET", "/v1/models")[0], 200)
            fake.proc.send_signal(signal.SIGINT)
            self.assertEqual(fake.stop(), 0)
        finally:
            fake.cleanup()

    def test_any_key_without_key_file(self):
        fake = Fake({"conversations": []}, key=None)
        try:
            self.assertEqual(fake.call("GET", "/v1/models",
                                       key="whatever")[0], 200)
            self.assertEqual(fake.call("GET", "/v1/models",
                                       key=None)[0], 401)
        finally:
            self.assertEqual(fake.stop(), 0)
            fake.cleanup()


def run_tool(workdir, block):
    """Execute a demo tool call the way gao-dev's worker would."""
    args = block["input"]
    name = block["name"]
    if name == "Write":
        path = os.path.join(workdir, args["file_path"])
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(args["content"])
        return f"wrote {args['file_path']}", False
    if name == "Edit":
        path = os.path.join(workdir, args["file_path"])
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if text.count(args["old_string"]) != 1:
            return "old_string is not unique or not found", True
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text.replace(args["old_string"], args["new_string"]))
        return f"edited {args['file_path']}", False
    if name == "Bash":
        proc = subprocess.run(args["command"], shell=True, cwd=workdir,
                              capture_output=True, text=True, timeout=60,
                              env={"PATH": os.environ["PATH"]})
        return proc.stdout + proc.stderr, proc.returncode != 0
    return f"unknown tool {name}", True


class TestDemoScenario(unittest.TestCase):
    def test_demo_plays_to_a_fixed_calc(self):
        with open(DEMO, encoding="utf-8") as fh:
            fake = Fake(json.load(fh))
        workdir = tempfile.mkdtemp(prefix="fakeapi-demo-")
        try:
            stops = self.play(fake, workdir)
        finally:
            self.assertEqual(fake.stop(), 0)
            fake.cleanup()
        try:
            self.assertEqual(stops, ["tool_use"] * 5 + ["end_turn"])
            with open(os.path.join(workdir, "calc.py"),
                      encoding="utf-8") as fh:
                self.assertIn("return a - b", fh.read())
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def play(self, fake, workdir):
        system = "You are Amelia, the developer. Phase: implementation."
        tools = [{"name": n, "input_schema": {"type": "object"}}
                 for n in ("Write", "Edit", "Bash")]
        messages = [{"role": "user", "content": "Build calc.py with "
                     "add/subtract and a unittest test_calc.py"}]
        stops = []
        for _ in range(10):
            body = {"model": MODEL, "max_tokens": 4000, "system": system,
                    "tools": tools, "messages": messages, "stream": True}
            status, _, raw = fake.messages(body)
            self.assertEqual(status, 200, raw)
            content, stop = self.assemble(sse_json(raw))
            stops.append(stop)
            messages.append({"role": "assistant", "content": content})
            if stop != "tool_use":
                return stops
            results = []
            for block in content:
                if block["type"] == "tool_use":
                    out, err = run_tool(workdir, block)
                    results.append({"type": "tool_result",
                                    "tool_use_id": block["id"],
                                    "content": out or "(no output)",
                                    "is_error": err})
            messages.append({"role": "user", "content": results})
        return stops

    def assemble(self, events):
        blocks = []
        stop = None
        for name, data in events:
            if name == "content_block_start":
                blocks.append(dict(data["content_block"], _json=""))
            elif name == "content_block_delta":
                delta = data["delta"]
                block = blocks[data["index"]]
                if delta["type"] == "text_delta":
                    block["text"] += delta["text"]
                else:
                    block["_json"] += delta["partial_json"]
            elif name == "message_delta":
                stop = data["delta"]["stop_reason"]
        for block in blocks:
            raw = block.pop("_json")
            if block["type"] == "tool_use":
                block["input"] = json.loads(raw or "{}")
        return blocks, stop


if __name__ == "__main__":
    unittest.main()
