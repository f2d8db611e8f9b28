# thinking.py: thinking blocks, signed by the fake and checked on return.
#
# Design note: models that think between tool calls (Sonnet 5.5, Opus 5.5)
# hand out thinking blocks whose signature the API checks when they come
# back: a block must return exactly as received, and the conversation it
# was thought in (model, system prompt, tools, earlier turns) must not have
# changed, or the request is refused. The fake does the same without
# keeping state: a signature is an HMAC, under a key made at start-up, over
# a digest of that context and the block's own text. The context of an
# assistant message at index i is the request's model, system prompt and
# tools plus messages[:i], normalised the way the API reads them:
# cache_control removed (moving the rolling breakpoint is allowed), a
# string content as one text block, and thinking blocks of earlier turns
# left out (the API strips them, so a client may drop those). A
# redacted_thinking block's data is the scenario's data, "~", and the same
# kind of HMAC.
#
# On every request: each thinking and redacted_thinking block present must
# verify (else 400), and the final assistant message of an ongoing tool
# loop (followed by a user message of tool_result blocks) must start with
# every thinking block its scenario turn returned, in order (a dropped
# block is a 400, as the real API says when thinking is on). These models
# refuse forced tool use: tool_choice "any" or "tool" is a 400 for them.

import base64
import hashlib
import hmac
import json
import secrets

from .errors import bad_request

THINKING_TYPES = ("thinking", "redacted_thinking")
# The models that think between tool calls and refuse forced tool use.
INTERLEAVED_MODELS = ("claude-sonnet-5-5", "claude-opus-5-5")
_KEY = secrets.token_bytes(32)


def _strip(block):
    out = {k: v for k, v in block.items() if k != "cache_control"}
    inner = out.get("content")
    if out.get("type") == "tool_result" and isinstance(inner, list):
        out["content"] = [_strip(b) for b in inner]
    return out


def _blocks(content):
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return content


def context_digest(body, upto):
    """Return the digest (bytes) of the context of an assistant message
    at index upto of a validated request: model, system prompt, tools and
    messages[:upto], normalised (see the design note)."""
    messages = []
    for msg in body["messages"][:upto]:
        blocks = [_strip(b) for b in _blocks(msg["content"])
                  if b.get("type") not in THINKING_TYPES]
        messages.append({"role": msg["role"], "content": blocks})
    ctx = {
        "model": body["model"],
        "system": [_strip(b) for b in _blocks(body.get("system") or "")],
        "tools": [_strip(t) for t in body.get("tools") or []],
        "messages": messages,
    }
    text = json.dumps(ctx, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def _mac(digest, text):
    mac = hmac.new(_KEY, digest + b"\0" + text.encode("utf-8",
                                                      "surrogatepass"),
                   hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def sign_content(content, body):
    """Sign the thinking blocks of a reply's content (a fresh list, changed
    in place) for the request body it answers."""
    msgs = body["messages"]
    # a pause_turn continuation joins the final assistant message
    upto = len(msgs) - 1 if msgs[-1]["role"] == "assistant" else len(msgs)
    digest = context_digest(body, upto)
    for block in content:
        if block["type"] == "thinking":
            block["signature"] = _mac(digest, block["thinking"])
        elif block["type"] == "redacted_thinking":
            block["data"] = block["data"] + "~" + _mac(digest, block["data"])
    return content


def _verify(block, digest, path):
    if block["type"] == "thinking":
        good = hmac.compare_digest(block["signature"],
                                   _mac(digest, block["thinking"]))
        what = "`signature` in `thinking` block"
    else:
        data, _, mac = block["data"].rpartition("~")
        good = bool(data) and hmac.compare_digest(mac, _mac(digest, data))
        what = "`data` in `redacted_thinking` block"
    if not good:
        bad_request(f"{path}: Invalid {what}: it must be sent back exactly "
                    "as received, in the conversation it was returned in "
                    "(same model, system prompt, tools and earlier turns)")


def _expected(turn):
    return [b for b in turn["content"] if b["type"] in THINKING_TYPES]


def _check_final(body, conv, index, blocks):
    turn = sum(m["role"] == "assistant" for m in body["messages"][:index])
    want = _expected(conv.turn(turn))
    got = [b for b in blocks if b["type"] in THINKING_TYPES]
    lead = blocks[:len(want)]
    if want and (len(got) < len(want) or any(
            b["type"] not in THINKING_TYPES for b in lead)):
        found = next((b["type"] for b in lead
                      if b["type"] not in THINKING_TYPES), "nothing")
        k = next((n for n, b in enumerate(lead)
                  if b["type"] not in THINKING_TYPES), len(lead))
        bad_request(f"messages.{index}.content.{k}.type: Expected "
                    f"`thinking` or `redacted_thinking`, but found "
                    f"`{found}`. The final `assistant` message of an "
                    "ongoing tool use must start with the thinking blocks "
                    f"it was returned with ({len(want)} here), unchanged")


def check_request(body, conv):
    """Check the thinking blocks of a validated request for conversation
    conv (scenario.Conversation) and the tool choice of thinking models.
    Returns None; raises ApiError 400."""
    choice = body.get("tool_choice") or {}
    if (body["model"] in INTERLEAVED_MODELS
            and choice.get("type") in ("any", "tool")):
        bad_request(f"tool_choice: {body['model']} does not support forced "
                    "tool use (type 'any' or 'tool'); use 'auto'")
    msgs = body["messages"]
    final = None
    for i, msg in enumerate(msgs):
        if msg["role"] != "assistant":
            continue
        blocks = _blocks(msg["content"])
        digest = None
        for j, block in enumerate(blocks):
            if block["type"] in THINKING_TYPES:
                digest = digest or context_digest(body, i)
                _verify(block, digest, f"messages.{i}.content.{j}")
        nxt = _blocks(msgs[i + 1]["content"]) if i + 1 < len(msgs) else []
        if any(b["type"] == "tool_use" for b in blocks) and nxt and \
                nxt[0].get("type") == "tool_result":
            final = (i, blocks)
    # only the last tool loop must carry its thinking (earlier ones may be
    # dropped), and only when it is still going: the newest user message
    if final and final[0] == len(msgs) - 2:
        _check_final(body, conv, *final)
