# scenario.py: the scenario file: scripted conversations and faults.
#
# Design note: a scenario is stateless by design (docs/fake-api.md). A request
# picks its conversation by a regular expression searched in the system
# prompt text + "\n" + the first user message text (agent and phase names
# live there), and its turn by counting the assistant messages it carries.
# A retried request therefore replays the same turn with the same tool_use
# ids, and concurrent agents never disturb each other. The only state the
# server keeps is counters (request numbers, attempts per turn), used to
# aim injected faults.
#
# The file is validated completely at load time, with messages naming the
# JSON path of the problem, so a typo fails the test run before the first
# request instead of producing a confusing API reply. The format is
# documented in docs/fake-api.md.

import hashlib
import json
import re

from . import servertools
from .errors import ApiError
from .validate import content_blocks

DEFAULT_MODELS = (
    "claude-fable-5-2", "claude-mythos-5-2", "claude-haiku-5-5",
    "claude-sonnet-5-5", "claude-fable-5-1", "claude-opus-5-5",
    "claude-mythos-5-1", "claude-sonnet-5", "claude-fable-5",
    "claude-mythos-5", "claude-opus-5", "claude-opus-4-8",
    "claude-opus-4-7", "claude-opus-4-6", "claude-sonnet-4-6",
    "claude-haiku-4-5", "claude-opus-4-5",
)
DEFAULT_CACHE_MIN_TOKENS = 1024
STOP_REASONS = ("end_turn", "tool_use", "max_tokens", "stop_sequence",
                "pause_turn", "refusal", "model_context_window_exceeded")
FAULT_KINDS = ("status", "reset", "cut", "error_event", "invalid_json",
               "slow", "spend_limit", "stall", "huge_event",
               "endless_headers")
# Faults a well-behaved server never sends, to test the client's bounds;
# they end a run by design and cost a soak bandwidth: chaos.py never
# draws them.
BOUND_KINDS = ("huge_event", "endless_headers")
EXHAUSTED_TEXT = "scenario exhausted"
MAX_DELAY_MS = 600000

TOP_KEYS = {"conversations", "faults", "models", "cache_min_tokens",
            "description", "comment"}
CONV_KEYS = {"name", "match", "turns", "comment"}
TURN_KEYS = {"content", "stop_reason", "stop_sequence", "usage", "delay_ms",
             "expect", "comment"}
USAGE_KEYS = ("input_tokens", "output_tokens", "cache_creation_input_tokens",
              "cache_read_input_tokens")
EXPECT_LISTS = ("tool_result_contains", "tool_result_not_contains",
                "system_contains", "user_text_contains", "tools_include")
EXPECT_BOOLS = ("tool_result_is_error", "stream")
FAULT_COMMON = {"kind", "request", "conversation", "turn", "attempt",
                "comment"}
FAULT_KEYS = {
    "status": {"status", "error_type", "message", "retry_after",
               "retry_after_ms", "retry_after_date", "should_retry"},
    "reset": set(),
    "cut": {"after_events"},
    "error_event": {"error_type", "message"},
    "invalid_json": set(),
    "slow": {"delay_ms"},
    "spend_limit": {"message"},
    "stall": {"after_events", "stall_ms"},
    "huge_event": {"size_mb"},
    "endless_headers": {"interval_ms"},
}
DEFAULT_STALL_MS = 60000
MAX_HUGE_MB = 256


class ScenarioError(Exception):
    """A scenario file that cannot be used; the message names the path."""


def _fail(path, message):
    raise ScenarioError(f"{path}: {message}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _keys(obj, allowed, path):
    if not isinstance(obj, dict):
        _fail(path, "must be an object")
    for key in obj:
        if key not in allowed:
            _fail(path, f"unknown key '{key}' (allowed: "
                  f"{', '.join(sorted(allowed))})")


def _int_in(obj, key, path, low, high, default=None):
    value = obj.get(key, default)
    if not _is_int(value) or not low <= value <= high:
        _fail(f"{path}.{key}", f"must be an integer in [{low}, {high}]")
    return value


def make_tool_id(conversation, turn, index):
    """Return the stable tool_use id of block index of a turn:
    "toolu_" + 24 hex digits of SHA-256 over the three values."""
    seed = f"{conversation}\0{turn}\0{index}".encode()
    return "toolu_" + hashlib.sha256(seed).hexdigest()[:24]


def _load_block(block, path, conv, turn, index, last_use=None):
    btype = block.get("type") if isinstance(block, dict) else None
    server = servertools.load_block(block, path, conv, turn, index,
                                    last_use, _fail,
                                    _keys) if btype else None
    if server is not None:
        return server
    if btype == "text":
        _keys(block, {"type", "text"}, path)
        if not isinstance(block.get("text"), str):
            _fail(f"{path}.text", "must be a string")
        return dict(block)
    if btype == "tool_use":
        _keys(block, {"type", "name", "input"}, path)
        if not isinstance(block.get("name"), str) or not block["name"]:
            _fail(f"{path}.name", "must be a non-empty string")
        if not isinstance(block.get("input", {}), dict):
            _fail(f"{path}.input", "must be an object")
        return {"type": "tool_use", "id": make_tool_id(conv, turn, index),
                "name": block["name"], "input": block.get("input", {})}
    if btype == "thinking":
        # the signature is the fake's (thinking.py), made per request
        _keys(block, {"type", "thinking"}, path)
        text = block.get("thinking")
        if not isinstance(text, str):
            _fail(f"{path}.thinking", "must be a string")
        return {"type": "thinking", "thinking": text, "signature": ""}
    if btype == "redacted_thinking":
        _keys(block, {"type", "data"}, path)
        if not isinstance(block.get("data"), str) or not block["data"]:
            _fail(f"{path}.data", "must be a non-empty string")
        return dict(block)
    _fail(f"{path}.type", "must be 'text', 'tool_use', 'thinking', "
          "'redacted_thinking', 'server_tool_use', 'web_search_tool_result' "
          "or 'web_fetch_tool_result'")


def _load_expect(expect, path):
    _keys(expect, set(EXPECT_LISTS + EXPECT_BOOLS), path)
    for key in EXPECT_LISTS:
        value = expect.get(key, [])
        if not isinstance(value, list) or not all(
                isinstance(s, str) for s in value):
            _fail(f"{path}.{key}", "must be a list of strings")
    for key in EXPECT_BOOLS:
        if not isinstance(expect.get(key, False), bool):
            _fail(f"{path}.{key}", "must be true or false")
    return dict(expect)


def _load_usage(usage, path):
    _keys(usage, set(USAGE_KEYS), path)
    for key in usage:
        _int_in(usage, key, path, 0, 10**9)
    return dict(usage)


def _load_turn(turn, path, conv, index):
    _keys(turn, TURN_KEYS, path)
    blocks = turn.get("content")
    if not isinstance(blocks, list):
        _fail(f"{path}.content", "must be a list of blocks")
    content, last_use = [], None
    for i, b in enumerate(blocks):
        content.append(_load_block(b, f"{path}.content.{i}", conv, index, i,
                                   last_use))
        if content[-1]["type"] == "server_tool_use":
            last_use = content[-1]
    has_tools = any(b["type"] == "tool_use" for b in content)
    stop = turn.get("stop_reason", "tool_use" if has_tools else "end_turn")
    if stop not in STOP_REASONS:
        _fail(f"{path}.stop_reason", f"must be one of "
              f"{', '.join(STOP_REASONS)}")
    seq = turn.get("stop_sequence")
    if seq is not None and not isinstance(seq, str):
        _fail(f"{path}.stop_sequence", "must be a string")
    return {
        "content": content,
        "stop_reason": stop,
        "stop_sequence": seq,
        "usage": _load_usage(turn.get("usage", {}), f"{path}.usage"),
        "delay_ms": _int_in(turn, "delay_ms", path, 0, MAX_DELAY_MS, 0),
        "expect": _load_expect(turn.get("expect", {}), f"{path}.expect"),
    }


def _load_conversation(conv, path):
    _keys(conv, CONV_KEYS, path)
    name = conv.get("name")
    if not isinstance(name, str) or not name:
        _fail(f"{path}.name", "must be a non-empty string")
    if not isinstance(conv.get("match"), str):
        _fail(f"{path}.match", "must be a regular expression string")
    try:
        pattern = re.compile(conv["match"])
    except re.error as exc:
        _fail(f"{path}.match", f"invalid regular expression: {exc}")
    turns = conv.get("turns")
    if not isinstance(turns, list):
        _fail(f"{path}.turns", "must be a list of turns")
    loaded = [_load_turn(t, f"{path}.turns.{i}", name, i)
              for i, t in enumerate(turns)]
    return Conversation(name, pattern, loaded)


def _load_status_fault(fault, path):
    _int_in(fault, "status", path, 400, 599)
    for key in ("error_type", "message"):
        if not isinstance(fault.get(key, ""), str):
            _fail(f"{path}.{key}", "must be a string")
    ra = fault.get("retry_after", 0)
    if not isinstance(ra, (int, float)) or isinstance(ra, bool) or ra < 0:
        _fail(f"{path}.retry_after", "must be a non-negative number")
    if "retry_after_ms" in fault:
        _int_in(fault, "retry_after_ms", path, 0, 10**9)
    if not isinstance(fault.get("retry_after_date", False), bool):
        _fail(f"{path}.retry_after_date", "must be true or false")
    if fault.get("retry_after_date") and "retry_after" not in fault:
        _fail(path, "retry_after_date needs retry_after (seconds from now)")
    if fault.get("should_retry", "true") not in ("true", "false", True,
                                                 False):
        _fail(f"{path}.should_retry", "must be \"true\" or \"false\"")


def _load_fault(fault, path, names):
    kind = fault.get("kind") if isinstance(fault, dict) else None
    if kind not in FAULT_KINDS:
        _fail(f"{path}.kind", f"must be one of {', '.join(FAULT_KINDS)}")
    _keys(fault, FAULT_COMMON | FAULT_KEYS[kind], path)
    if "request" in fault:
        _int_in(fault, "request", path, 1, 10**9)
        if {"conversation", "turn", "attempt"} & set(fault):
            _fail(path, "give either 'request' or 'conversation' + 'turn'")
    elif fault.get("conversation") in names:
        _int_in(fault, "turn", path, 0, 10**6)
        if fault.get("attempt", 1) != "all":
            _int_in(fault, "attempt", path, 1, 10**6, 1)
    else:
        _fail(path, "needs 'request' or the name of a conversation in "
              "'conversation' (with 'turn')")
    if kind == "status":
        _load_status_fault(fault, path)
    elif kind == "slow":
        _int_in(fault, "delay_ms", path, 0, MAX_DELAY_MS)
    elif kind in ("cut", "stall") and "after_events" in fault:
        _int_in(fault, "after_events", path, 1, 10**6)
    if kind == "stall":
        _int_in(fault, "stall_ms", path, 0, MAX_DELAY_MS, DEFAULT_STALL_MS)
    if kind == "huge_event":
        _int_in(fault, "size_mb", path, 1, MAX_HUGE_MB, 32)
    if kind == "endless_headers":
        _int_in(fault, "interval_ms", path, 0, 10000, 0)
    for key in ("message", "error_type"):
        if not isinstance(fault.get(key, ""), str):
            _fail(f"{path}.{key}", "must be a string")
    return dict(fault)


def _load_models(models):
    if models is None:
        return list(DEFAULT_MODELS)
    if not isinstance(models, list) or not models or not all(
            isinstance(m, str) and m for m in models):
        _fail("models", "must be a non-empty list of model id strings")
    return list(dict.fromkeys(models))


def parse_scenario(data):
    """Build a Scenario from parsed JSON data; raises ScenarioError."""
    _keys(data, TOP_KEYS, "scenario")
    convs = data.get("conversations")
    if not isinstance(convs, list):
        _fail("conversations", "must be a list")
    loaded = [_load_conversation(c, f"conversations.{i}")
              for i, c in enumerate(convs)]
    names = [c.name for c in loaded]
    for name in names:
        if names.count(name) > 1:
            _fail("conversations", f"duplicate name '{name}'")
    faults = data.get("faults", [])
    if not isinstance(faults, list):
        _fail("faults", "must be a list")
    faults = [_load_fault(f, f"faults.{i}", names)
              for i, f in enumerate(faults)]
    cmin = _int_in(data, "cache_min_tokens", "scenario", 0, 10**9,
                   DEFAULT_CACHE_MIN_TOKENS)
    return Scenario(loaded, faults, _load_models(data.get("models")), cmin)


def load_scenario(path):
    """Read and validate the scenario file at path.

    Returns a Scenario; raises ScenarioError (with the file name and the
    JSON path of the problem) for unreadable, non-JSON or invalid files.
    """
    try:
        with open(path, "rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError, RecursionError) as exc:
        raise ScenarioError(f"{path}: {exc}") from None
    try:
        return parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from None


def _texts(blocks):
    return [b["text"] for b in blocks if b.get("type") == "text"]


def system_text(body):
    """Return the system prompt of a validated request as one string (text
    blocks joined with "\n")."""
    system = body.get("system") or ""
    if isinstance(system, list):
        system = "\n".join(_texts(system))
    return system


def match_text(body):
    """Return the text a conversation pattern is searched in: the system
    prompt text + "\n" + the first user message's text (validated body)."""
    first = content_blocks(body["messages"][0]["content"])
    return system_text(body) + "\n" + "\n".join(_texts(first))


def _tool_result_text(block):
    inner = block.get("content")
    if isinstance(inner, str):
        return inner
    return "\n".join(_texts(inner or []))


def _snippet(text):
    text = text if len(text) <= 200 else text[:200] + "..."
    return json.dumps(text, ensure_ascii=False)


class Conversation:
    """One scripted conversation: name, compiled pattern, loaded turns."""

    def __init__(self, name, pattern, turns):
        self.name = name
        self.pattern = pattern
        self.turns = turns

    def turn_number(self, messages):
        """Return the turn a request plays: one per assistant message,
        except that a pause_turn's continuation joins the paused turn's
        assistant message (the client sends the content back and appends
        what comes next to it), so a message holding a paused turn's
        blocks and more holds the next turn(s) too."""
        n = 0
        for msg in messages:
            if not isinstance(msg, dict) or msg.get("role") != "assistant":
                continue
            content = msg.get("content")
            left = len(content) if isinstance(content, list) else 1
            while True:
                scripted = self.turns[n] if n < len(self.turns) else None
                n += 1
                if scripted is None:
                    break
                left -= max(len(scripted["content"]), 1)
                if scripted["stop_reason"] != "pause_turn" or left <= 0:
                    break
        return n

    def turn(self, index):
        """Return turn index (0-based), or the "scenario exhausted" turn
        past the end. The returned dict must not be modified."""
        if index < len(self.turns):
            return self.turns[index]
        return {"content": [{"type": "text", "text": EXHAUSTED_TEXT}],
                "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {}, "delay_ms": 0, "expect": {}}

    def _expect_failed(self, index, what):
        raise ApiError(400, f"scenario expectation failed: conversation "
                       f"'{self.name}' turn {index}: {what}")

    def _check_contains(self, index, label, text, wanted, present):
        for needle in wanted:
            if (needle in text) != present:
                verb = "does not contain" if present else "contains"
                self._expect_failed(index, f"{label} {verb} "
                                    f"{_snippet(needle)} (it begins "
                                    f"{_snippet(text)})")

    def check_expect(self, index, body):
        """Check turn index's expectations against a validated request.

        Returns None; raises ApiError 400 "scenario expectation failed: ..."
        naming the conversation, the turn and the failed check."""
        expect = self.turn(index)["expect"]
        if not expect:
            return
        last = content_blocks(body["messages"][-1]["content"])
        if body["messages"][-1]["role"] != "user":
            last = []
        results = [b for b in last if b["type"] == "tool_result"]
        rtext = "\n".join(_tool_result_text(b) for b in results)
        self._check_contains(index, "tool_result", rtext,
                             expect.get("tool_result_contains", []), True)
        self._check_contains(index, "tool_result", rtext,
                             expect.get("tool_result_not_contains", []),
                             False)
        if "tool_result_is_error" in expect:
            want = expect["tool_result_is_error"]
            if not results or any(b.get("is_error", False) != want
                                  for b in results):
                self._expect_failed(index, f"tool_result is_error is not "
                                    f"{str(want).lower()} in every result")
        self._check_contains(index, "system prompt", system_text(body),
                             expect.get("system_contains", []), True)
        self._check_contains(index, "last user text",
                             "\n".join(_texts(last)),
                             expect.get("user_text_contains", []), True)
        offered = [t.get("name") for t in body.get("tools") or []]
        for name in expect.get("tools_include", []):
            if name not in offered:
                self._expect_failed(index, f"tool '{name}' is not offered")
        if "stream" in expect and body.get("stream", False) != expect[
                "stream"]:
            self._expect_failed(index, "stream is not "
                                f"{str(expect['stream']).lower()}")


class Scenario:
    """A loaded scenario. Read-only after loading; safe to share between
    threads."""

    def __init__(self, conversations, faults, models, cache_min_tokens):
        self.conversations = conversations
        self.faults = faults
        self.models = models
        self.cache_min_tokens = cache_min_tokens

    def match(self, body):
        """Return the first Conversation whose pattern is found in
        match_text(body), or None."""
        text = match_text(body)
        for conv in self.conversations:
            if conv.pattern.search(text):
                return conv
        return None

    def find_fault(self, request, conversation, turn, attempt):
        """Return the first fault aimed at this request, or None.

        request is the 1-based number of the POST /v1/messages request,
        attempt the 1-based count of requests seen for (conversation,
        turn). The returned dict must not be modified."""
        for fault in self.faults:
            if "request" in fault:
                if fault["request"] == request:
                    return fault
                continue
            if (fault["conversation"] == conversation
                    and fault["turn"] == turn
                    and fault.get("attempt", 1) in ("all", attempt)):
                return fault
        return None
