# validate.py: strict validation of a POST /v1/messages request body.
#
# Design note: the fake must reject what the real API rejects, or gao-dev's
# client would pass its tests and fail in production. Each check raises a
# 400 invalid_request_error whose message starts with the JSON path of the
# offending value ("messages.2.content.0: ..."), like the real API. The
# one exception is an unknown model, a 404 not_found_error naming it; it is
# checked last, as the real API resolves the model after schema checks.
#
# Rules (see docs/fake-api.md):
#   - only known top-level fields; model, max_tokens, messages required;
#   - anthropic-version 2026-10-21 removes temperature/top_p/top_k, forbids
#     a document block in an assistant message and a user text block with
#     non-empty citations;
#   - roles start with user and alternate; content is non-empty except in
#     the optional final assistant message;
#   - a user message after an assistant message with tool_use blocks starts
#     with one tool_result per tool_use, same ids, same order; a tool_result
#     anywhere else is an error;
#   - at most 4 cache_control breakpoints over tools, system and messages;
#   - custom tools have a valid name and an input_schema of type object.

import re

from . import servertools
from .errors import ApiError, bad_request

VERSION_OLD = "2023-06-01"
VERSION_NEW = "2026-10-21"
VERSIONS = (VERSION_OLD, VERSION_NEW)

ALLOWED_FIELDS = frozenset((
    "model", "max_tokens", "messages", "system", "tools", "tool_choice",
    "stream", "metadata", "stop_sequences", "temperature", "top_p", "top_k",
    "thinking", "service_tier", "container", "mcp_servers",
    "context_management",
))
SAMPLING_FIELDS = ("temperature", "top_p", "top_k")
MAX_BREAKPOINTS = 4
# Generous upper bound on max_tokens; the real limit depends on the model.
MAX_OUTPUT_TOKENS = 128000
MAX_MESSAGES = 100000

TOOL_NAME_RE = re.compile(r"[a-zA-Z0-9_-]{1,128}")
TOOL_ID_RE = re.compile(r"[a-zA-Z0-9_-]{1,256}")
SERVER_TOOL_TYPE_RE = re.compile(r"[a-z][a-z0-9_]*_[0-9]{8}")

# Content block types and the keys each may carry.
BLOCK_KEYS = {
    "text": {"type", "text", "cache_control", "citations"},
    "image": {"type", "source", "cache_control"},
    "document": {"type", "source", "title", "context", "citations",
                 "cache_control"},
    "search_result": {"type", "source", "title", "content", "citations",
                      "cache_control"},
    "tool_use": {"type", "id", "name", "input", "cache_control"},
    "tool_result": {"type", "tool_use_id", "content", "is_error",
                    "cache_control"},
    "thinking": {"type", "thinking", "signature"},
    "redacted_thinking": {"type", "data"},
}
BLOCK_KEYS.update(servertools.BLOCK_KEYS)
USER_ONLY = ("tool_result", "search_result")
ASSISTANT_ONLY = ("tool_use", "thinking",
                  "redacted_thinking") + servertools.ASSISTANT_ONLY
TOOL_RESULT_CONTENT = ("text", "image", "document", "search_result")


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _expect(cond, path, message):
    if not cond:
        bad_request(f"{path}: {message}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_keys(obj, allowed, path):
    for key in obj:
        if key not in allowed:
            bad_request(f"{path}.{key}: Extra inputs are not permitted")


def check_cache_control(value, path):
    """Validate one cache_control value: {"type": "ephemeral"} with an
    optional ttl of "5m" or "1h". Raises ApiError 400."""
    _expect(isinstance(value, dict), path, "Input should be an object")
    _check_keys(value, {"type", "ttl"}, path)
    _expect(value.get("type") == "ephemeral", f"{path}.type",
            "Input should be 'ephemeral'")
    if "ttl" in value:
        _expect(value["ttl"] in ("5m", "1h"), f"{path}.ttl",
                "Input should be '5m' or '1h'")


def _check_text_block(block, path, nonempty=True):
    text = block.get("text")
    _expect(isinstance(text, str), f"{path}.text",
            f"Input should be a string, got {_type_name(text)}")
    if nonempty:
        _expect(text.strip() != "", path,
                "text content blocks must contain non-whitespace text")
    cites = block.get("citations")
    _expect(cites is None or isinstance(cites, list), f"{path}.citations",
            "Input should be an array")


def _check_source(block, path):
    src = block.get("source")
    _expect(isinstance(src, dict), f"{path}.source", "Field required")
    _expect(isinstance(src.get("type"), str), f"{path}.source.type",
            "Field required")


def _check_tool_result_content(content, path):
    if isinstance(content, str) or content is None:
        return
    _expect(isinstance(content, list), path,
            "Input should be a string or an array of content blocks")
    for k, inner in enumerate(content):
        ipath = f"{path}.{k}"
        _expect(isinstance(inner, dict), ipath, "Input should be an object")
        itype = inner.get("type")
        _expect(itype in TOOL_RESULT_CONTENT, f"{ipath}.type",
                f"Input tag '{itype}' is not valid inside a tool_result")
        _check_keys(inner, BLOCK_KEYS[itype], ipath)
        if itype == "text":
            _check_text_block(inner, ipath)
        else:
            _check_source(inner, ipath)
        if "cache_control" in inner:
            check_cache_control(inner["cache_control"],
                                f"{ipath}.cache_control")


def _check_block_body(block, btype, path):
    if btype == "text":
        _check_text_block(block, path)
    elif btype in ("image", "document", "search_result"):
        _check_source(block, path)
    elif btype == "tool_use":
        _expect(isinstance(block.get("id"), str)
                and TOOL_ID_RE.fullmatch(block["id"]), f"{path}.id",
                "String should match pattern '^[a-zA-Z0-9_-]+$'")
        _expect(isinstance(block.get("name"), str) and block["name"],
                f"{path}.name", "Field required")
        _expect(isinstance(block.get("input"), dict), f"{path}.input",
                "Input should be an object")
    elif btype == "tool_result":
        _expect(isinstance(block.get("tool_use_id"), str),
                f"{path}.tool_use_id", "Field required")
        _check_tool_result_content(block.get("content"), f"{path}.content")
        _expect(isinstance(block.get("is_error", False), bool),
                f"{path}.is_error", "Input should be a valid boolean")
    elif btype == "thinking":
        for key in ("thinking", "signature"):
            _expect(isinstance(block.get(key), str), f"{path}.{key}",
                    "Field required")
    elif btype == "redacted_thinking":
        _expect(isinstance(block.get("data"), str), f"{path}.data",
                "Field required")
    elif btype in servertools.BLOCK_KEYS:
        servertools.check_block(block, btype, path)


def _check_block(block, path, role, version):
    _expect(isinstance(block, dict), path, "Input should be an object")
    btype = block.get("type")
    _expect(isinstance(btype, str) and btype in BLOCK_KEYS, f"{path}.type",
            f"Input tag '{btype}' found using 'type' does not match any of "
            f"the expected tags: {', '.join(sorted(BLOCK_KEYS))}")
    _check_keys(block, BLOCK_KEYS[btype], path)
    if role == "assistant":
        _expect(btype not in USER_ONLY, path,
                f"{btype} blocks are not allowed in assistant messages")
        if version == VERSION_NEW:
            _expect(btype != "document", path,
                    "document blocks are not allowed in assistant messages "
                    f"with anthropic-version {VERSION_NEW}")
    else:
        _expect(btype not in ASSISTANT_ONLY, path,
                f"{btype} blocks are not allowed in user messages")
        if version == VERSION_NEW and btype == "text":
            _expect(not block.get("citations"), f"{path}.citations",
                    "citations in user text blocks are not supported "
                    f"with anthropic-version {VERSION_NEW}")
    _check_block_body(block, btype, path)
    if "cache_control" in block:
        check_cache_control(block["cache_control"], f"{path}.cache_control")


def content_blocks(content):
    """Return a message's content as a list of blocks (a string becomes one
    text block, an empty string none). Assumes validated input."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return content


def _check_content(msg, path, final_assistant):
    content = msg.get("content")
    _expect(isinstance(content, (str, list)), f"{path}.content",
            f"Input should be a string or an array, got "
            f"{_type_name(content)}")
    empty = (content.strip() == "" if isinstance(content, str)
             else len(content) == 0)
    if empty and not final_assistant:
        bad_request(f"{path}: all messages must have non-empty content "
                    "except for the optional final assistant message")
    if final_assistant and isinstance(content, str) and content != "":
        _expect(content == content.rstrip(), path,
                "final assistant content cannot end with trailing "
                "whitespace")
    return content_blocks(content)


def _check_pairing(blocks, tool_ids, path):
    start = 0
    if tool_ids:
        for k, want in enumerate(tool_ids):
            got = blocks[k] if k < len(blocks) else None
            if got is None or got.get("type") != "tool_result":
                missing = ", ".join(tool_ids[k:])
                bad_request(
                    f"{path}.content.{k}: tool_use ids were found without "
                    f"tool_result blocks immediately after: {missing}. "
                    "Each tool_use block must have a corresponding "
                    "tool_result block in the next message, before any "
                    "other content.")
            if got["tool_use_id"] != want:
                bad_request(
                    f"{path}.content.{k}.tool_use_id: expected '{want}' "
                    f"but got '{got['tool_use_id']}': tool_result blocks "
                    "must answer the previous message's tool_use blocks "
                    "in the same order")
        start = len(tool_ids)
    for k in range(start, len(blocks)):
        if blocks[k].get("type") == "tool_result":
            bad_request(
                f"{path}.content.{k}: unexpected `tool_use_id` found in "
                f"`tool_result` blocks: {blocks[k]['tool_use_id']}. Each "
                "`tool_result` block must have a corresponding `tool_use` "
                "block in the previous message.")


def _check_message_shape(msg, i, msgs):
    path = f"messages.{i}"
    _expect(isinstance(msg, dict), path, "Input should be an object")
    _check_keys(msg, {"role", "content"}, path)
    role = msg.get("role")
    _expect(role in ("user", "assistant"), f"{path}.role",
            "Input should be 'user' or 'assistant'")
    if i == 0:
        _expect(role == "user", f"{path}.role",
                "the first message must use the 'user' role")
    else:
        _expect(role != msgs[i - 1]["role"], f"{path}.role",
                "roles must alternate between 'user' and 'assistant'")
    return path, role


def _check_messages(msgs, version):
    _expect(isinstance(msgs, list), "messages", "Input should be an array")
    _expect(len(msgs) > 0, "messages", "at least one message is required")
    _expect(len(msgs) <= MAX_MESSAGES, "messages", "too many messages")
    tool_ids = None
    seen_ids = set()
    for i, msg in enumerate(msgs):
        path, role = _check_message_shape(msg, i, msgs)
        final_assistant = role == "assistant" and i == len(msgs) - 1
        blocks = _check_content(msg, path, final_assistant)
        for j, block in enumerate(blocks):
            _check_block(block, f"{path}.content.{j}", role, version)
        servertools.check_pairs(blocks, path)
        if role == "user":
            _check_pairing(blocks, tool_ids, path)
            tool_ids = None
            continue
        tool_ids = [b["id"] for b in blocks if b["type"] == "tool_use"]
        for tid in tool_ids:
            _expect(tid not in seen_ids, path,
                    f"`tool_use` ids must be unique: '{tid}'")
            seen_ids.add(tid)


def _check_system(system):
    if system is None or isinstance(system, str):
        return
    _expect(isinstance(system, list), "system",
            "Input should be a string or an array of text blocks")
    for i, block in enumerate(system):
        path = f"system.{i}"
        _expect(isinstance(block, dict), path, "Input should be an object")
        _expect(block.get("type") == "text", f"{path}.type",
                "Input should be 'text'")
        _check_keys(block, BLOCK_KEYS["text"], path)
        _check_text_block(block, path)
        if "cache_control" in block:
            check_cache_control(block["cache_control"],
                                f"{path}.cache_control")


def _check_custom_tool(tool, path):
    _check_keys(tool, {"type", "name", "description", "input_schema",
                       "cache_control", "strict"}, path)
    _expect(isinstance(tool.get("description", ""), str),
            f"{path}.description", "Input should be a string")
    schema = tool.get("input_schema")
    _expect(isinstance(schema, dict), f"{path}.input_schema",
            "Field required (an object)")
    _expect(schema.get("type") == "object", f"{path}.input_schema.type",
            "Input should be 'object'")
    props = schema.get("properties", {})
    _expect(isinstance(props, dict), f"{path}.input_schema.properties",
            "Input should be an object")


def _check_tools(tools):
    if tools is None:
        return []
    _expect(isinstance(tools, list), "tools", "Input should be an array")
    names = []
    for i, tool in enumerate(tools):
        path = f"tools.{i}"
        _expect(isinstance(tool, dict), path, "Input should be an object")
        name = tool.get("name")
        _expect(isinstance(name, str) and TOOL_NAME_RE.fullmatch(name),
                f"{path}.name",
                "String should match pattern '^[a-zA-Z0-9_-]{1,128}$'")
        ttype = tool.get("type")
        if ttype is None or ttype == "custom":
            _check_custom_tool(tool, path)
        elif servertools.is_web_tool(tool):
            servertools.check_tool(tool, path)
        else:
            _expect(isinstance(ttype, str)
                    and SERVER_TOOL_TYPE_RE.fullmatch(ttype),
                    f"{path}.type", f"unknown tool type '{ttype}'")
        if "cache_control" in tool:
            check_cache_control(tool["cache_control"],
                                f"{path}.cache_control")
        _expect(name not in names, "tools",
                f"Tool names must be unique: '{name}'")
        names.append(name)
    return names


def _check_tool_choice(choice, names):
    if choice is None:
        return
    _expect(isinstance(choice, dict), "tool_choice",
            "Input should be an object")
    ctype = choice.get("type")
    _expect(ctype in ("auto", "any", "tool", "none"), "tool_choice.type",
            "Input should be 'auto', 'any', 'tool' or 'none'")
    allowed = {"type", "disable_parallel_tool_use"}
    if ctype == "tool":
        allowed.add("name")
        _expect(choice.get("name") in names, "tool_choice.name",
                f"no tool named '{choice.get('name')}' in tools")
    _check_keys(choice, allowed, "tool_choice")
    _expect(isinstance(choice.get("disable_parallel_tool_use", False), bool),
            "tool_choice.disable_parallel_tool_use",
            "Input should be a valid boolean")
    if ctype != "none":
        _expect(names, "tool_choice",
                "tool_choice may only be specified while providing tools")


def _check_sampling(body, version):
    for name in SAMPLING_FIELDS:
        if name not in body:
            continue
        _expect(version != VERSION_NEW, name,
                f"this field is not supported with anthropic-version "
                f"{VERSION_NEW}")
    for name in ("temperature", "top_p"):
        if name in body:
            value = body[name]
            _expect(_is_number(value) and 0 <= value <= 1, name,
                    "Input should be a number between 0 and 1")
    if "top_k" in body:
        _expect(_is_int(body["top_k"]) and body["top_k"] >= 0, "top_k",
                "Input should be a non-negative integer")


def _check_thinking(thinking, max_tokens):
    if thinking is None:
        return
    _expect(isinstance(thinking, dict), "thinking",
            "Input should be an object")
    ttype = thinking.get("type")
    _expect(ttype in ("enabled", "disabled", "adaptive"), "thinking.type",
            "Input should be 'enabled', 'disabled' or 'adaptive'")
    if ttype != "enabled":
        _check_keys(thinking, {"type"}, "thinking")
        return
    _check_keys(thinking, {"type", "budget_tokens"}, "thinking")
    budget = thinking.get("budget_tokens")
    _expect(_is_int(budget) and budget >= 1024, "thinking.budget_tokens",
            "Input should be an integer greater than or equal to 1024")
    _expect(budget < max_tokens, "thinking.budget_tokens",
            "`max_tokens` must be greater than `thinking.budget_tokens`")


def _check_misc(body):
    _expect(isinstance(body.get("stream", False), bool), "stream",
            "Input should be a valid boolean")
    meta = body.get("metadata")
    if meta is not None:
        _expect(isinstance(meta, dict), "metadata",
                "Input should be an object")
        _check_keys(meta, {"user_id"}, "metadata")
        uid = meta.get("user_id")
        _expect(uid is None or (isinstance(uid, str) and len(uid) <= 256),
                "metadata.user_id", "Input should be a string of at most "
                "256 characters")
    stops = body.get("stop_sequences")
    if stops is not None:
        _expect(isinstance(stops, list)
                and all(isinstance(s, str) and s for s in stops),
                "stop_sequences", "Input should be an array of strings")
    tier = body.get("service_tier")
    _expect(tier in (None, "auto", "standard_only"), "service_tier",
            "Input should be 'auto' or 'standard_only'")
    for name, kinds in (("container", (str, dict)), ("mcp_servers", list),
                        ("context_management", dict)):
        value = body.get(name)
        _expect(value is None or isinstance(value, kinds), name,
                f"unexpected type {_type_name(value)}")


def count_breakpoints(body):
    """Return the number of cache_control breakpoints in tools, system and
    messages (blocks nested in tool_result content included). Assumes the
    request passed the structural checks."""
    count = 0
    for tool in body.get("tools") or []:
        count += "cache_control" in tool
    system = body.get("system")
    if isinstance(system, list):
        count += sum("cache_control" in b for b in system)
    for msg in body["messages"]:
        for block in content_blocks(msg["content"]):
            count += "cache_control" in block
            inner = block.get("content")
            if block["type"] == "tool_result" and isinstance(inner, list):
                count += sum("cache_control" in b for b in inner)
    return count


def _check_required(body):
    for name in ("model", "max_tokens", "messages"):
        _expect(name in body, name, "Field required")
    _expect(isinstance(body["model"], str) and body["model"], "model",
            "Input should be a non-empty string")
    mt = body["max_tokens"]
    _expect(_is_int(mt) and mt >= 1, "max_tokens",
            "Input should be an integer greater than or equal to 1")
    _expect(mt <= MAX_OUTPUT_TOKENS, "max_tokens",
            f"{mt} > {MAX_OUTPUT_TOKENS}, which is the maximum allowed "
            f"number of output tokens for {body['model']}")


def check_request(body, version, models):
    """Validate a Messages request body.

    body is the parsed JSON, version the (already validated)
    anthropic-version header, models the collection of known model ids.
    Returns None; raises ApiError 400 invalid_request_error for a malformed
    request and 404 not_found_error for an unknown model.
    """
    if not isinstance(body, dict):
        bad_request("request body must be a JSON object")
    for key in sorted(body):
        if key not in ALLOWED_FIELDS:
            bad_request(f"{key}: Extra inputs are not permitted")
    _check_required(body)
    _check_sampling(body, version)
    _check_system(body.get("system"))
    names = _check_tools(body.get("tools"))
    _check_tool_choice(body.get("tool_choice"), names)
    _check_messages(body["messages"], version)
    _check_thinking(body.get("thinking"), body["max_tokens"])
    _check_misc(body)
    found = count_breakpoints(body)
    if found > MAX_BREAKPOINTS:
        bad_request(f"A maximum of {MAX_BREAKPOINTS} blocks with "
                    f"cache_control may be provided. Found {found}.")
    if body["model"] not in models:
        raise ApiError(404, f"model: {body['model']}")
