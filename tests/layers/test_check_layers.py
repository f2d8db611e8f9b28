"""Tests of scripts/check-layers: the real tree passes, and each rule
fails a small tree built to break it."""
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CHECK = os.path.join(ROOT, "scripts", "check-layers")


def run(root):
    p = subprocess.run([CHECK, root], capture_output=True, text=True,
                       check=False)
    return p.returncode, p.stdout


class Tree:
    """A throwaway source tree: {path: text}."""

    def __init__(self, files):
        self.dir = tempfile.TemporaryDirectory()
        for path, text in files.items():
            full = os.path.join(self.dir.name, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w", encoding="utf-8") as f:
                f.write(text)

    def check(self):
        return run(self.dir.name)


def inc(*headers):
    return "".join('#include "%s"\n' % h for h in headers)


BASE = {
    "proto/msg.h": "",
    "policy/policy.h": inc("proto/msg.h"),
    "worker/tool.c": inc("proto/msg.h", "policy/policy.h"),
    "supervisor/core/loop.h": "",
    "supervisor/core/secret.h": "",
    "supervisor/api/api.h": inc("supervisor/core/loop.h"),
    "supervisor/sandbox/wconn.h": inc("supervisor/core/loop.h"),
    "supervisor/agent/session.h": inc("supervisor/api/api.h",
                                      "supervisor/sandbox/wconn.h"),
    "supervisor/run/run.h": inc("supervisor/agent/session.h"),
    "supervisor/main.c": inc("config.h", "supervisor/run/run.h"),
}


class CheckLayers(unittest.TestCase):
    def test_the_real_tree_passes(self):
        code, out = run(ROOT)
        self.assertEqual(code, 0, out)

    def test_a_tree_that_keeps_the_rules_passes(self):
        code, out = Tree(BASE).check()
        self.assertEqual(code, 0, out)

    def expect(self, path, text, rule):
        files = dict(BASE)
        files[path] = files.get(path, "") + text
        code, out = Tree(files).check()
        self.assertEqual(code, 1, out)
        self.assertIn(path + ":", out)
        self.assertIn(rule, out)

    def test_sandbox_never_includes_the_key(self):
        self.expect("supervisor/sandbox/spawn.c",
                    inc("supervisor/core/secret.h"), "never includes the key")

    def test_sandbox_never_includes_the_api_client(self):
        self.expect("supervisor/sandbox/svc.c", inc("supervisor/api/api.h"),
                    "never includes the key or the API client")

    def test_api_knows_nothing_of_sessions(self):
        self.expect("supervisor/api/api.c",
                    inc("supervisor/agent/session.h"),
                    "knows nothing of sessions or runs")

    def test_api_knows_nothing_of_runs(self):
        self.expect("supervisor/api/cost.c", inc("supervisor/run/run.h"),
                    "knows nothing of sessions or runs")

    def test_no_upward_edge(self):
        self.expect("supervisor/core/loop.c", inc("supervisor/out/results.h"),
                    "may include only layers below it")

    def test_no_sibling_edge(self):
        self.expect("supervisor/out/results.c",
                    inc("supervisor/config/cli.h"),
                    "may include only layers below it")

    def test_supervisor_never_includes_worker(self):
        self.expect("supervisor/sandbox/spawn.c", inc("worker/fdmap.h"),
                    "share only proto/")

    def test_worker_never_includes_supervisor(self):
        self.expect("worker/main.c", inc("supervisor/core/loop.h"),
                    "share only proto/")

    def test_proto_stays_alone(self):
        self.expect("proto/frame.c", inc("policy/policy.h"),
                    "proto/ includes only proto/ and common/")

    def test_common_includes_nothing_else(self):
        self.expect("common/io.c", inc("proto/msg.h"),
                    "common/ includes only common/")


if __name__ == "__main__":
    unittest.main()
