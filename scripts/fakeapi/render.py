# render.py: a scenario turn as a Message object or a server-sent stream.
#
# Design note: the client under test must cope with the stream as the real
# API sends it, so the sequence is exact: message_start (empty content,
# usage so far with output_tokens 1), a ping, then per content block
# content_block_start / deltas / content_block_stop, then message_delta
# (stop_reason and cumulative usage) and message_stop. Text arrives in
# several text_delta chunks; tool input arrives as the JSON text of the
# input cut into fragments of varying size, at arbitrary character
# positions (inside strings and escapes too), the first one sometimes
# empty; an empty input is a single "" fragment. Extra pings appear now
# and then between deltas.
#
# Chunking uses a random generator seeded by the conversation and turn, so
# a replayed turn streams identically and a failing test can be rerun.

import json
import random

from .tokens import estimate_tokens

PING = ("ping", {"type": "ping"})
PING_CHANCE = 0.1


def build_message(msg_id, model, turn, input_usage):
    """Return the Message object for a turn.

    input_usage is the dict from PromptCache.account(); output_tokens is
    estimated from the content; the turn's "usage" overrides any figure.
    The content list is a fresh copy owned by the caller."""
    content = json.loads(json.dumps(turn["content"]))
    usage = dict(input_usage)
    usage["output_tokens"] = max(1, estimate_tokens(content))
    usage.update(turn["usage"])
    usage["service_tier"] = "standard"
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": turn["stop_reason"],
        "stop_sequence": turn["stop_sequence"],
        "usage": usage,
    }


def _chunks(text, rng, low, high):
    out = []
    pos = 0
    while pos < len(text):
        size = rng.randint(low, high)
        out.append(text[pos:pos + size])
        pos += size
    if len(out) == 1 and len(text) >= 2:
        half = len(text) // 2
        out = [text[:half], text[half:]]
    return out


def _input_fragments(value, rng, cut=False):
    if not value and not cut:
        return [""]
    text = json.dumps(value, ensure_ascii=False)
    if cut:
        # the API streams an input as it is made: a reply cut at
        # max_tokens inside a tool call ends with a prefix of its JSON
        text = text[:max(1, len(text) * 2 // 3)]
    head = [""] if rng.random() < 0.5 else []
    return head + _chunks(text, rng, 1, 12)


def _block_deltas(block, rng, cut=False):
    """Return (start_block, [delta, ...]) for one content block; cut: the
    block is a tool call the reply's max_tokens cut short."""
    btype = block["type"]
    if btype == "text":
        return ({"type": "text", "text": ""},
                [{"type": "text_delta", "text": c}
                 for c in _chunks(block["text"], rng, 1, 16)])
    if btype in ("tool_use", "server_tool_use"):
        return ({"type": btype, "id": block["id"],
                 "name": block["name"], "input": {}},
                [{"type": "input_json_delta", "partial_json": f}
                 for f in _input_fragments(block["input"], rng, cut)])
    if btype == "thinking":
        deltas = [{"type": "thinking_delta", "thinking": c}
                  for c in _chunks(block["thinking"], rng, 1, 16)]
        deltas.append({"type": "signature_delta",
                       "signature": block["signature"]})
        return {"type": "thinking", "thinking": "", "signature": ""}, deltas
    return dict(block), []


def stream_events(message, seed):
    """Return the event sequence for a Message as a list of
    (event_name, data_dict) pairs, in sending order.

    seed (a string) seeds the chunking so a replay is identical."""
    rng = random.Random(seed)
    usage = message["usage"]
    start = dict(message, content=[], stop_reason=None, stop_sequence=None,
                 usage=dict(usage, output_tokens=1))
    events = [("message_start", {"type": "message_start",
                                 "message": start}), PING]
    last = len(message["content"]) - 1
    for index, block in enumerate(message["content"]):
        cut = (index == last and message["stop_reason"] == "max_tokens"
               and block["type"] in ("tool_use", "server_tool_use"))
        first, deltas = _block_deltas(block, rng, cut)
        events.append(("content_block_start", {
            "type": "content_block_start", "index": index,
            "content_block": first}))
        for delta in deltas:
            events.append(("content_block_delta", {
                "type": "content_block_delta", "index": index,
                "delta": delta}))
            if rng.random() < PING_CHANCE:
                events.append(PING)
        events.append(("content_block_stop", {
            "type": "content_block_stop", "index": index}))
    final = {k: v for k, v in usage.items() if k != "service_tier"}
    events.append(("message_delta", {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"],
                  "stop_sequence": message["stop_sequence"]},
        "usage": final}))
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def encode_event(name, data):
    """Return one server-sent event as bytes: "event: NAME\\ndata: JSON\\n\\n"
    (compact JSON, UTF-8)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {name}\ndata: {text}\n\n".encode("utf-8",
                                                      "surrogatepass")
