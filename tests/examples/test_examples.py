#!/usr/bin/env python3
"""test_examples.py - the CI examples in docs/examples/ still work.

    GAO_DEV=build-x/supervisor/gao-dev python3 tests/examples/test_examples.py

Each example is parsed with python3-yaml (exit 77, skipped, without it)
and checked for its shape: the GitHub Actions workflow has a matrix over
the shards, an artifact per shard and a merge job that needs the shards
and always runs; the Kubernetes file has an Indexed Job whose shard is
JOB_COMPLETION_INDEX + 1 of `completions`, and a merge Job. Every gao-dev
command line in them is then given to the real gao-dev: each option must
be one its --help lists, and the command must get past option parsing
(no "unknown option", no usage error about the options themselves).
"""
import os
import re
import shlex
import subprocess
import sys
import unittest

try:
    import yaml
except ImportError:
    print("python3-yaml is not installed: skipped")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
EX = os.path.join(SRC, "docs", "examples")
GAO_DEV = os.path.abspath(os.environ.get("GAO_DEV",
                         os.path.join(SRC, "build", "supervisor", "gao-dev")))


def help_options(*cmd):
    p = subprocess.run([GAO_DEV, *cmd, "--help"], capture_output=True,
                       text=True, timeout=30, check=True)
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", p.stdout))


def commands(text):
    """The gao-dev command lines in a shell text, as argument lists."""
    text = re.sub(r"\$\{\{[^}]*\}\}", "1", text)      # GitHub expressions
    text = text.replace('"$I/4"', "1/4").replace("$I", "1")
    out = []
    for part in re.split(r"[;\n]", text):
        words = shlex.split(part)
        while words and words[0] in ("exec", "I=$((JOB_COMPLETION_INDEX"):
            words = words[1:]
        if words and words[0] == "gao-dev":
            out.append(words[1:])
    return out


class Examples(unittest.TestCase):
    def check_command(self, args):
        if args[:2] == ["sandbox", "run"]:
            known = help_options("sandbox", "run")
        else:
            self.assertEqual(args[:2], ["results", "merge"], args)
            known = help_options("results", "merge")
        for a in args:
            if a.startswith("--"):
                self.assertIn(a, known, "%s: not in --help" % a)
        # the real parser: the files do not exist here, so the command
        # fails, but never on its options
        p = subprocess.run([GAO_DEV, *args] + (["--dry-run"] if
                           args[1] == "run" else []),
                           capture_output=True, text=True, timeout=60,
                           cwd="/", check=False,
                           env={"PATH": "/usr/bin:/bin", "HOME": "/"})
        self.assertNotIn("unknown option", p.stderr)
        self.assertNotIn("does not apply", p.stderr)
        self.assertNotIn("--shard 1/4: expected", p.stderr)
        return p

    def test_github_actions(self):
        with open(os.path.join(EX, "github-actions-shards.yml")) as f:
            wf = yaml.safe_load(f)
        jobs = wf["jobs"]
        shards = jobs["shard"]["strategy"]["matrix"]["shard"]
        self.assertEqual(shards, list(range(1, len(shards) + 1)))
        steps = jobs["shard"]["steps"]
        runs = [s["run"] for s in steps if "run" in s
                and "gao-dev sandbox run" in s["run"]]
        self.assertEqual(len(runs), 1)
        self.assertIn("--shard ${{ matrix.shard }}/%d" % len(shards),
                      runs[0])
        up = [s for s in steps if str(s.get("uses", "")).startswith(
            "actions/upload-artifact")]
        self.assertEqual(len(up), 1)
        self.assertIn("${{ matrix.shard }}", up[0]["with"]["name"])
        self.assertEqual(up[0].get("if"), "always()")
        merge = jobs["merge"]
        self.assertEqual(merge["needs"], "shard")
        self.assertEqual(merge["if"], "always()")
        mruns = [s["run"] for s in merge["steps"] if "run" in s
                 and "gao-dev results merge" in s["run"]]
        self.assertEqual(len(mruns), 1)
        for k in shards:
            self.assertIn("shards/shard-%d" % k, mruns[0])
        for text in runs + mruns:
            for args in commands(text):
                self.check_command(args)

    def test_k8s_indexed_job(self):
        with open(os.path.join(EX, "k8s-indexed-job.yaml")) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        self.assertEqual([d["kind"] for d in docs], ["Job", "Job"])
        spec = docs[0]["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        n = spec["completions"]
        c = spec["template"]["spec"]["containers"][0]
        script = " ".join(c["args"])
        self.assertIn("I=$((JOB_COMPLETION_INDEX + 1))", script)
        self.assertIn('--shard "$I/%d"' % n, script)
        cmds = commands(script)
        self.assertEqual(len(cmds), 1)
        self.check_command(cmds[0])
        m = docs[1]["spec"]["template"]["spec"]["containers"][0]["command"]
        self.assertEqual(m[:3], ["gao-dev", "results", "merge"])
        for k in range(1, n + 1):
            self.assertIn("/shards/shard-%d" % k, m)
        self.check_command(m[1:])


if __name__ == "__main__":
    unittest.main()
