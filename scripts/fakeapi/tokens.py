# tokens.py: token estimates and a model of the API's prompt cache.
#
# Design note: the fake cannot tokenize, so a token is 4 bytes of canonical
# JSON (sorted keys, no spaces, UTF-8), rounded up. That is crude but
# deterministic, which is what tests and cost accounting need.
#
# The prompt is a sequence of segments in the API's prefix order: each tool,
# each system block, then each message content block (tagged with its role
# and message index). A cache_control on a segment (or on a block nested in
# a tool_result) makes it a breakpoint: the prefix ending there can be
# cached. A prefix is identified by a SHA-256 chain over the segments with
# their cache_control stripped, so moving a breakpoint does not change the
# identity of the bytes before it. Like the real API, each breakpoint looks
# back up to 20 segments for a prefix written earlier, which is what makes
# the usual "rolling breakpoint on the newest message" pattern hit.
#
# Per request: the longest prefix found is read (cache_read_input_tokens);
# everything after it up to the last breakpoint is written
# (cache_creation_input_tokens) and each breakpoint prefix in that range is
# added to the server-wide set (per model); the rest is input_tokens. A
# prefix shorter than cache_min_tokens is never cached. Entries never
# expire: tests run for seconds, the real TTL is minutes.

import hashlib
import json
import threading

LOOKBACK = 20


def canonical(obj):
    """Return obj as canonical JSON text (sorted keys, compact, UTF-8
    characters kept)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def estimate_tokens(obj):
    """Return the token estimate of a JSON value: ceil(utf-8 bytes of its
    canonical JSON / 4)."""
    size = len(canonical(obj).encode("utf-8", "surrogatepass"))
    return (size + 3) // 4


def _strip_cache_control(block):
    out = {k: v for k, v in block.items() if k != "cache_control"}
    inner = out.get("content")
    if out.get("type") == "tool_result" and isinstance(inner, list):
        out["content"] = [_strip_cache_control(b) for b in inner]
    return out


def _has_breakpoint(block):
    if "cache_control" in block:
        return True
    inner = block.get("content")
    return (block.get("type") == "tool_result" and isinstance(inner, list)
            and any("cache_control" in b for b in inner))


def _raw_segments(body):
    for tool in body.get("tools") or []:
        yield {"tool": tool}
    system = body.get("system")
    if isinstance(system, str) and system:
        system = [{"type": "text", "text": system}]
    for block in system or []:
        yield {"system": block}
    for i, msg in enumerate(body["messages"]):
        content = msg["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}] if content else []
        for block in content:
            yield {"message": i, "role": msg["role"], "block": block}


def segments(body):
    """Return the prompt of a validated request as a list of
    (tokens, prefix_hash, is_breakpoint) tuples in prefix order.

    prefix_hash identifies the whole prefix ending at that segment; tokens
    is that segment's own estimate (summing them gives the prompt size).
    """
    out = []
    chain = hashlib.sha256()
    for seg in _raw_segments(body):
        key = next(k for k in ("tool", "system", "block") if k in seg)
        block = seg[key]
        bp = _has_breakpoint(block)
        seg[key] = _strip_cache_control(block)
        text = canonical(seg).encode("utf-8", "surrogatepass")
        chain.update(len(text).to_bytes(8, "big") + text)
        out.append(((len(text) + 3) // 4, chain.hexdigest(), bp))
    return out


class PromptCache:
    """Server-wide set of cached prefixes; thread-safe.

    min_tokens is the smallest prefix that may be cached.
    """

    def __init__(self, min_tokens):
        self.min_tokens = min_tokens
        self._seen = set()
        self._lock = threading.Lock()

    def _find_read(self, model, segs, cum, bps):
        best = -1
        for bp in bps:
            for i in range(bp, max(-1, bp - LOOKBACK), -1):
                if i <= best:
                    break
                if (cum[i] >= self.min_tokens
                        and (model, segs[i][1]) in self._seen):
                    best = i
                    break
        return best

    def account(self, model, body):
        """Return the input usage of a validated request as a dict with
        input_tokens, cache_creation_input_tokens and
        cache_read_input_tokens, and record the prefixes it writes."""
        segs = segments(body)
        cum = []
        total = 0
        for tokens, _, _ in segs:
            total += tokens
            cum.append(total)
        bps = [i for i, seg in enumerate(segs) if seg[2]]
        read = created = 0
        if bps:
            with self._lock:
                pos = self._find_read(model, segs, cum, bps)
                read = cum[pos] if pos >= 0 else 0
                last = bps[-1]
                if last > pos and cum[last] >= self.min_tokens:
                    created = cum[last] - read
                    for bp in bps:
                        if bp > pos and cum[bp] >= self.min_tokens:
                            self._seen.add((model, segs[bp][1]))
        return {
            "input_tokens": total - read - created,
            "cache_creation_input_tokens": created,
            "cache_read_input_tokens": read,
        }
