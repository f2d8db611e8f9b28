# servertools.py: the web server tools (web_search, web_fetch) as the real
# API has them: their definitions, their blocks, scripted uses.
#
# Design note: the real API runs these tools itself; a reply carries a
# server_tool_use block (id "srvtoolu_...", name, input {query} or {url})
# followed by its web_search_tool_result / web_fetch_tool_result (a list of
# results, a fetched document, or an error object with error_code), and
# usage.server_tool_use counts the uses. The fake validates the definitions
# as the real API does (type names, the fixed names, max_uses, allowed and
# blocked domains not both, web_fetch only with its beta header, unknown
# fields refused), accepts the blocks in assistant messages (they go back
# unchanged), and plays scripted uses from a scenario: the scenario says
# what the model searched or fetched, and the fake applies the request's
# own definition to it (a tool not offered is an error, uses past max_uses
# and fetches outside allowed_domains get the error results the real API
# gives). The format is in docs/fake-api.md.

import copy
import hashlib
from urllib.parse import urlsplit

from .errors import ApiError, bad_request

FETCH_BETA = "web-fetch-2025-09-10"
COMMON_KEYS = {"type", "name", "max_uses", "allowed_domains",
               "blocked_domains", "cache_control"}
DEFINITIONS = {
    "web_search_20250305": ("web_search", COMMON_KEYS | {"user_location"},
                            None),
    "web_fetch_20250910": ("web_fetch", COMMON_KEYS | {"citations",
                                                       "max_content_tokens"},
                           FETCH_BETA),
}
RESULT_TYPES = {"web_search": "web_search_tool_result",
                "web_fetch": "web_fetch_tool_result"}
BLOCK_KEYS = {
    "server_tool_use": {"type", "id", "name", "input", "cache_control"},
    "web_search_tool_result": {"type", "tool_use_id", "content",
                               "cache_control"},
    "web_fetch_tool_result": {"type", "tool_use_id", "content",
                              "cache_control"},
}
ASSISTANT_ONLY = tuple(BLOCK_KEYS)
USAGE_KEYS = {"web_search": "web_search_requests",
              "web_fetch": "web_fetch_requests"}
LOCATION_KEYS = {"type", "city", "region", "country", "timezone"}


def _expect(cond, path, message):
    if not cond:
        bad_request(f"{path}: {message}")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _check_domains(tool, key, path):
    value = tool[key]
    _expect(isinstance(value, list) and all(
        isinstance(d, str) and d for d in value), f"{path}.{key}",
        "Input should be a list of non-empty strings")
    for j, dom in enumerate(value):
        _expect("://" not in dom, f"{path}.{key}.{j}",
                "domains must not include the scheme (use example.com)")


def is_web_tool(tool):
    """Whether a tools entry is one of the web server tools."""
    return isinstance(tool, dict) and tool.get("type") in DEFINITIONS


def check_tool(tool, path):
    """Validate one web server tool definition (a 400 on any problem)."""
    name, keys, _ = DEFINITIONS[tool["type"]]
    for key in sorted(tool):
        _expect(key in keys, f"{path}.{key}", "Extra inputs are not "
                "permitted")
    _expect(tool.get("name") == name, f"{path}.name",
            f"Input should be '{name}' for type {tool['type']}")
    if "max_uses" in tool:
        _expect(_is_int(tool["max_uses"]) and tool["max_uses"] > 0,
                f"{path}.max_uses",
                "Input should be an integer greater than 0")
    for key in ("allowed_domains", "blocked_domains"):
        if key in tool:
            _check_domains(tool, key, path)
    _expect(not ("allowed_domains" in tool and "blocked_domains" in tool),
            path, "allowed_domains and blocked_domains cannot be used "
            "together")
    if "user_location" in tool:
        loc = tool["user_location"]
        _expect(isinstance(loc, dict) and loc.get("type") == "approximate"
                and set(loc) <= LOCATION_KEYS, f"{path}.user_location",
                "Input should be {type: approximate, city, region, "
                "country, timezone}")
    if "citations" in tool:
        cit = tool["citations"]
        _expect(isinstance(cit, dict) and set(cit) <= {"enabled"} and
                isinstance(cit.get("enabled", False), bool),
                f"{path}.citations", "Input should be {enabled: bool}")
    if "max_content_tokens" in tool:
        _expect(_is_int(tool["max_content_tokens"]) and
                tool["max_content_tokens"] > 0,
                f"{path}.max_content_tokens",
                "Input should be an integer greater than 0")


def check_beta(body, header):
    """A web_fetch tool needs its beta in the anthropic-beta header."""
    betas = {b.strip() for b in (header or "").split(",") if b.strip()}
    for i, tool in enumerate(body.get("tools") or []):
        if not is_web_tool(tool):
            continue
        beta = DEFINITIONS[tool["type"]][2]
        if beta and beta not in betas:
            bad_request(f"tools.{i}.type: '{tool['type']}' requires the "
                        f"anthropic-beta header '{beta}'")


def check_block(block, btype, path):
    """The body of a server tool block in a request's message."""
    if btype == "server_tool_use":
        _expect(isinstance(block.get("id"), str)
                and block["id"].startswith("srvtoolu_"), f"{path}.id",
                "String should start with 'srvtoolu_'")
        _expect(block.get("name") in RESULT_TYPES, f"{path}.name",
                "Input should be 'web_search' or 'web_fetch'")
        _expect(isinstance(block.get("input"), dict), f"{path}.input",
                "Input should be an object")
    else:
        _expect(isinstance(block.get("tool_use_id"), str),
                f"{path}.tool_use_id", "Field required")
        _expect(isinstance(block.get("content"), (list, dict)),
                f"{path}.content", "Input should be a list or an object")


def check_pairs(blocks, path):
    """Every server tool result answers an earlier server_tool_use of the
    same message, of the matching tool."""
    uses = {}
    for j, block in enumerate(blocks):
        btype = block.get("type")
        if btype == "server_tool_use":
            uses[block["id"]] = block["name"]
        elif btype in BLOCK_KEYS:
            name = uses.get(block["tool_use_id"])
            _expect(name is not None and RESULT_TYPES[name] == btype,
                    f"{path}.content.{j}", f"{btype} block with id "
                    f"'{block['tool_use_id']}' does not follow a "
                    "matching server_tool_use block")


# --- scenarios -----------------------------------------------------------

def make_id(conversation, turn, index):
    """The stable id of a scripted server_tool_use."""
    seed = f"srv\0{conversation}\0{turn}\0{index}".encode()
    return "srvtoolu_" + hashlib.sha256(seed).hexdigest()[:24]


def load_block(block, path, conv, turn, index, last_use, fail, keys):
    """A scripted server tool block, or None for another type. last_use is
    the turn's latest server_tool_use so far (or None)."""
    btype = block.get("type")
    if btype == "server_tool_use":
        keys(block, {"type", "name", "input"}, path)
        name = block.get("name")
        if name not in RESULT_TYPES:
            fail(f"{path}.name", "must be 'web_search' or 'web_fetch'")
        want = "query" if name == "web_search" else "url"
        inp = block.get("input")
        if not isinstance(inp, dict) or not isinstance(inp.get(want), str):
            fail(f"{path}.input", f"must be an object with a string {want}")
        return {"type": "server_tool_use",
                "id": make_id(conv, turn, index), "name": name,
                "input": inp}
    if btype not in BLOCK_KEYS:
        return None
    if last_use is None or RESULT_TYPES[last_use["name"]] != btype:
        fail(path, f"a {btype} must follow a server_tool_use of its tool")
    if btype == "web_search_tool_result":
        keys(block, {"type", "results", "error_code"}, path)
    else:
        keys(block, {"type", "text", "title", "error_code"}, path)
    out = dict(block)
    out["tool_use_id"] = last_use["id"]
    return out


def _search_content(block):
    return [{"type": "web_search_result", "url": r.get("url", ""),
             "title": r.get("title", ""),
             "encrypted_content": hashlib.sha256(
                 r.get("url", "").encode()).hexdigest(),
             "page_age": None} for r in block.get("results", [])]


def _fetch_content(block, url):
    return {"type": "web_fetch_result", "url": url,
            "content": {"type": "document",
                        "source": {"type": "text", "media_type": "text/plain",
                                   "data": block.get("text", "")},
                        "title": block.get("title", url),
                        "citations": {"enabled": True}},
            "retrieved_at": "2026-12-06T00:00:00Z"}


def _domain_ok(tool, url):
    host = (urlsplit(url).hostname or "").lower()

    def within(dom):
        dom = dom.lower()
        return host == dom or host.endswith("." + dom)
    if "allowed_domains" in tool:
        return any(within(d) for d in tool["allowed_domains"])
    return not any(within(d) for d in tool.get("blocked_domains", []))


def resolve(turn, body, conv_name, turn_no):
    """The turn as this request gets it: scripted uses checked against the
    request's definitions, results built, usage.server_tool_use counted.
    A turn without server tool blocks is returned as is."""
    if not any(b["type"] in BLOCK_KEYS for b in turn["content"]):
        return turn
    tools = {t.get("name"): t for t in body.get("tools") or []
             if is_web_tool(t)}
    out = copy.deepcopy(turn)
    used = {"web_search": 0, "web_fetch": 0}
    ok = {"web_search": 0, "web_fetch": 0}
    uses = {}
    for block in out["content"]:
        if block["type"] == "server_tool_use":
            if block["name"] not in tools:
                raise ApiError(400, f"scenario: conversation '{conv_name}' "
                               f"turn {turn_no} uses the server tool "
                               f"'{block['name']}', which this request "
                               "does not offer")
            used[block["name"]] += 1
            uses[block["id"]] = block
            continue
        if block["type"] not in BLOCK_KEYS:
            continue
        use = uses[block.pop("tool_use_id")]
        tool = tools[use["name"]]
        code = block.pop("error_code", None)
        if used[use["name"]] > tool.get("max_uses", 10**9):
            code = "max_uses_exceeded"
        elif use["name"] == "web_fetch" and not _domain_ok(
                tool, use["input"]["url"]):
            code = "url_not_allowed"
        if code:
            content = {"type": ("web_search_tool_result_error"
                                if use["name"] == "web_search"
                                else "web_fetch_tool_error"),
                       "error_code": code}
        elif use["name"] == "web_search":
            content = _search_content(block)
        else:
            content = _fetch_content(block, use["input"]["url"])
        if not code:
            ok[use["name"]] += 1
        for key in ("results", "text", "title"):
            block.pop(key, None)
        block["tool_use_id"] = use["id"]
        block["content"] = content
    out["usage"] = dict(out["usage"], server_tool_use={
        USAGE_KEYS[k]: v for k, v in ok.items()})
    return out
