#!/usr/bin/env python3
"""test_progress.py - the live view of `gao-dev sandbox run`, in a real
terminal (tmux), against the fake API (scripts/fake-anthropic).

    GAO_DEV=build/supervisor/gao-dev SOURCE_ROOT=. \
        python3 tests/progress/test_progress.py

gao-dev runs in a tmux pane (its own server, on a socket in a temp dir);
`tmux capture-pane` reads the screen while it runs and after it ends:

  * on a terminal: one status area with the phase, the agent, the turn, a
    cost against the cap and the last tool call, bold (colour on); no line
    of it wider than the pane, also after the pane shrinks; a phase name
    and a tool input full of escape sequences show escaped: no colour
    reaches the screen, the pane's title stays; at the end the summary,
    the cursor visible, nothing of the area left;
  * Ctrl-C: the runs stop (exit 130), the cursor comes back, no area left;
  * TERM=dumb and --no-progress: the plain lines, no area;
  * NO_COLOR: the area without a single escape sequence on the screen;
  * --standalone on a terminal, and stderr not a terminal: JSON lines
    only, exactly the lines of events.jsonl (the live view's notes never
    reach them).

Exits 77 (a skip, with a message) only when tmux is not installed:
scripts/setup installs it.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SOURCE_ROOT", os.path.dirname(os.path.dirname(HERE)))
GAO_DEV = os.path.abspath(os.environ.get(
    "GAO_DEV", os.path.join(SRC, "build", "supervisor", "gao-dev")))
FAKE = os.path.join(SRC, "scripts", "fake-anthropic")

HUGE = "Z" * 6000
# The Bash command and the phase name carry an OSC title, SGR red, a C1
# CSI and a bidi override: all must show escaped.
HOSTILE_CMD = "echo \x1b]0;pwned\x07 \x1b[31mRED\x1b[0m \u009b2J \u202e hi"
SCENARIO = {
    "description": "tests/progress: replies slow enough to see the area",
    "conversations": [
        {"name": "slow", "match": "SCENARIO-SLOW", "turns": [
            {"delay_ms": 30000,
             "content": [{"type": "text", "text": "late"}]}]},
        {"name": "quick", "match": "SCENARIO-QUICK", "turns": [
            {"content": [{"type": "tool_use", "name": "Bash",
                          "input": {"command": "echo quick"}}]},
            {"content": [{"type": "text", "text": "done"}]}]},
        {"name": "view", "match": "SCENARIO-VIEW", "turns": [
            {"delay_ms": 700,
             "content": [{"type": "tool_use", "name": "Bash",
                          "input": {"command": HOSTILE_CMD}}]},
            {"delay_ms": 1500,
             "content": [{"type": "tool_use", "name": "Write",
                          "input": {"file_path": "huge.txt",
                                    "content": HUGE}}]},
            # the area stays up while the test resizes the pane and
            # looks (a loaded machine is slow): the test waits for the
            # end anyway
            {"delay_ms": 5000,
             "content": [{"type": "text", "text": "done"}]}]},
        {"name": "colour", "match": "SCENARIO-COLOUR", "turns": [
            {"delay_ms": 700,
             "content": [{"type": "tool_use", "name": "Bash",
                          "input": {"command": HOSTILE_CMD}}]},
            {"delay_ms": 500,
             "content": [{"type": "text", "text": "done"}]}]},
    ],
}


def config(prompt, phase="Implementation"):
    return ("name: progress\n"
            "description: the live view\n"
            "initial_prompt: %s\n"
            "timeout_seconds: 120\n"
            "workflow_phases:\n"
            "  - phase_name: %s\n"
            "    agent: Amelia\n"
            "success_criteria: {}\n" % (prompt, phase))


# A YAML double-quoted name: \e is ESC, \a BEL, \x9b the 8-bit CSI.
HOSTILE_PHASE = '"Impl\\e]0;pwned\\a\\e[31mRED\\e[0m\\x9b2J\\u202eEND"'
AREA_MARK = re.compile(r"phase \d+/\d+ .*, agent |  turn \d+  tokens |"
                       r"  last tool: ")
SGR = re.compile(r"\x1b\[[0-9;]*m")


class Env:
    """A temp dir, a key, the fake API and a tmux server."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gao-progress-")
        self.key = os.path.join(self.dir, "key")
        with open(os.open(self.key, os.O_WRONLY | os.O_CREAT, 0o600),
                  "w", encoding="utf-8") as f:
            f.write("sk-ant-progress-test-key\n")
        sc = os.path.join(self.dir, "scenario.json")
        with open(sc, "w", encoding="utf-8") as f:
            json.dump(SCENARIO, f)
        self.fake_log = open(os.path.join(self.dir, "fake.log"), "wb")
        self.fake = subprocess.Popen(
            [sys.executable, FAKE, "--scenario", sc, "--key-file", self.key],
            stdout=subprocess.PIPE, stderr=self.fake_log)
        line = self.fake.stdout.readline().decode()
        if not line.startswith("PORT "):
            raise RuntimeError("the fake API did not start: %r" % line)
        self.base = "http://127.0.0.1:%d" % int(line.split()[1])
        self.sock = os.path.join(self.dir, "tmux.sock")
        self.n = 0
        # a session for the server's whole life: killing a test's last
        # session must not take the server down under the next one
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "keep",
                  "exec sleep 600")

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                       capture_output=True, check=False)
        self.fake.terminate()
        self.fake.wait(10)
        self.fake.stdout.close()
        self.fake_log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_config(self, text):
        self.n += 1
        path = os.path.join(self.dir, "c%d.yaml" % self.n)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def argv(self, cfg, *extra):
        return [GAO_DEV, "sandbox", "run", cfg, "--api-key-file", self.key,
                "--sandbox-root", os.path.join(self.dir, "root%d" % self.n),
                "--skip-key-validation", *extra]

    def tmux(self, *args):
        # tmux runs commands with $SHELL, else the user's login shell
        # (nologin for a system user)
        p = subprocess.run(["tmux", "-S", self.sock, *args],
                           capture_output=True, text=True, check=False,
                           env=dict(os.environ, SHELL="/bin/sh"))
        if p.returncode:
            raise RuntimeError("tmux %s: %s" % (args, p.stderr))
        return p.stdout


class Pane:
    """gao-dev in a tmux pane of its own; the shell says its exit code."""

    def __init__(self, env, argv, width=100, height=30, extra_env=None):
        self.env = env
        self.name = "s%d" % env.n
        assigns = {"ANTHROPIC_BASE_URL": env.base, "TERM": "xterm-256color"}
        assigns.update(extra_env or {})
        # a handler, not SIG_IGN: gao-dev must still get Ctrl-C
        cmd = "trap true INT; env -u NO_COLOR %s %s; echo GAO_EXIT=$?; exec sleep 600" % (
            " ".join(shlex.quote("%s=%s" % kv) for kv in assigns.items()),
            " ".join(shlex.quote(a) for a in argv))
        env.tmux("-f", "/dev/null", "new-session", "-d", "-s", self.name,
                 "-x", str(width), "-y", str(height),
                 "sh -c %s" % shlex.quote(cmd))
        env.tmux("set-option", "-t", self.name, "window-size", "manual")

    def screen(self, escapes=False, join=False, history=False):
        args = ["capture-pane", "-p", "-t", self.name]
        if history:
            args += ["-S", "-"]
        if escapes:
            args.append("-e")
        if join:
            args.append("-J")
        return self.env.tmux(*args)

    def wait_for(self, pattern, timeout=20.0, **kw):
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen(**kw)
            if re.search(pattern, s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError("no %r on the screen in %.0f s:\n%s" %
                                     (pattern, timeout, s))
            time.sleep(0.05)

    def exit_code(self, timeout=30.0, history=True):
        s = self.wait_for(r"GAO_EXIT=\d+", timeout, history=history)
        return int(re.search(r"GAO_EXIT=(\d+)", s).group(1)), s

    def display(self, fmt):
        return self.env.tmux("display-message", "-p", "-t", self.name,
                             fmt).strip()

    def resize(self, width, height):
        self.env.tmux("resize-window", "-t", self.name, "-x", str(width),
                      "-y", str(height))

    def close(self):
        self.env.tmux("kill-session", "-t", self.name)


def area_lines(screen):
    return [l for l in screen.splitlines() if AREA_MARK.search(l)]


class ProgressTest(unittest.TestCase):
    env = None

    @classmethod
    def setUpClass(cls):
        cls.env = Env()

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def assert_fits(self, screen, width):
        lines = area_lines(screen)
        self.assertTrue(lines, screen)
        for l in lines:
            self.assertLess(len(l), width, "a line wider than the pane "
                            "(%d columns):\n%s" % (width, l))

    def wait_redrawn(self, p, width, pattern, timeout=4.0):
        """The screen once the area is redrawn narrower than width with
        pattern in it (polled: a redraw follows the resize at once, a
        loaded machine may take a moment); the last screen else."""
        deadline = time.monotonic() + timeout
        while True:
            s = p.screen(join=True)
            lines = area_lines(s)
            if (lines and all(len(l) < width for l in lines)
                    and re.search(pattern, s)):
                return s
            if time.monotonic() > deadline:
                return s
            time.sleep(0.05)

    def test_area_hostile_resize_end(self):
        cfg = self.env.write_config(config("SCENARIO-VIEW", HOSTILE_PHASE))
        p = Pane(self.env, self.env.argv(cfg))
        title = p.display("#{pane_title}")
        # the first tool call (the hostile Bash command) is shown
        s = p.wait_for(r"last tool: Bash")
        self.assertIn("phase 1/1 Impl\\x1b]0;pwned\\x07\\x1b[31mRED", s)
        self.assertIn("agent Amelia", s)
        self.assertRegex(s, r"turn 1  tokens \d+  cost \$\d+\.\d{4} of "
                         r"\$10\.00  elapsed 0:0\d")
        self.assertRegex(s, r"last tool: Bash \{\"command\":\"echo "
                         r"\\u001B\]0;pwned")
        self.assertIn("\\u202e", s)
        esc = p.screen(escapes=True)
        self.assertIn("\x1b[1m", esc, "the area is bold on a colour "
                      "terminal")
        # the hostile SGR red and the title never reached the terminal
        self.assertNotIn("\x1b[31m", esc)
        self.assertNotIn("pwned", p.display("#{pane_title}"))
        self.assertEqual(p.display("#{pane_title}"), title)
        self.assertEqual(p.display("#{cursor_flag}"), "0",
                         "the cursor is hidden while the area is up")
        self.assert_fits(p.screen(join=True), 100)
        # the huge Write: its line is cut to the pane's width
        s = p.wait_for(r"last tool: Write", join=True)
        self.assert_fits(s, 100)
        self.assertNotIn("Z" * 100, s)
        self.assertIn("Z" * 40, s)
        # the pane narrows: the next redraws fit the new width (and it
        # grows taller, so the whole summary, wrapped at 60 columns with
        # its warnings, stays on the screen read below)
        p.resize(60, 80)
        s = self.wait_redrawn(p, 60, r"last tool: Write \{.*ZZZZ")
        self.assert_fits(s, 60)
        self.assertRegex(s, r"last tool: Write \{.*ZZZZ")
        # (the screen was cleared on the resize: the old area went to
        # tmux's history, so only the screen is looked at from here)
        rc, s = p.exit_code(history=False)
        self.assertEqual(rc, 0, s)
        self.assertIn("status:    completed", s)
        self.assertEqual(area_lines(s), [], "the area is left on the "
                         "screen:\n" + s)
        self.assertEqual(p.display("#{cursor_flag}"), "1")
        p.close()

    def test_ctrl_c_restores_the_cursor(self):
        cfg = self.env.write_config(config("SCENARIO-SLOW"))
        p = Pane(self.env, self.env.argv(cfg))
        p.wait_for(r"turn 0  tokens 0  cost \$0\.0000 of \$10\.00")
        self.assertEqual(p.display("#{cursor_flag}"), "0")
        p.env.tmux("send-keys", "-t", p.name, "C-c")
        rc, s = p.exit_code()
        self.assertEqual(rc, 130, s)
        self.assertIn("stopping the runs", s)
        self.assertIn("status:    cancelled", s)
        self.assertEqual(area_lines(s), [], s)
        self.assertEqual(p.display("#{cursor_flag}"), "1")
        p.close()

    def plain_lines(self, extra_env=None, extra_args=()):
        cfg = self.env.write_config(config("SCENARIO-QUICK"))
        p = Pane(self.env, self.env.argv(cfg, *extra_args),
                 extra_env=extra_env)
        rc, s = p.exit_code()
        self.assertEqual(rc, 0, s)
        self.assertRegex(s, r"gao-dev: phase_started phase=Implementation "
                         r"agent=Amelia")
        self.assertIn("gao-dev: agent_turn agent=Amelia", s)
        self.assertIn("gao-dev: tool_call agent=Amelia", s)
        self.assertEqual(area_lines(s), [], s)
        self.assertNotIn('{"ts":', s)
        self.assertEqual(p.display("#{cursor_flag}"), "1")
        p.close()

    def test_term_dumb_gives_plain_lines(self):
        self.plain_lines(extra_env={"TERM": "dumb"})

    def test_no_progress_gives_plain_lines(self):
        self.plain_lines(extra_args=("--no-progress",))

    def test_no_color(self):
        cfg = self.env.write_config(config("SCENARIO-COLOUR", HOSTILE_PHASE))
        p = Pane(self.env, self.env.argv(cfg), extra_env={"NO_COLOR": "1"})
        p.wait_for(r"last tool: Bash")
        esc = p.screen(escapes=True)
        self.assertTrue(area_lines(esc), esc)
        self.assertIsNone(SGR.search(esc), "an escape sequence with "
                          "NO_COLOR:\n%r" % esc)
        rc, s = p.exit_code()
        self.assertEqual(rc, 0, s)
        self.assertIsNone(SGR.search(p.screen(escapes=True)))
        p.close()

    def test_standalone_on_a_terminal_gives_json(self):
        cfg = self.env.write_config(config("SCENARIO-QUICK"))
        p = Pane(self.env, self.env.argv(cfg, "--standalone"), width=200)
        rc, s = p.exit_code()
        self.assertEqual(rc, 0, s)
        self.assertIn('"event":"phase_started"', s)
        self.assertEqual(area_lines(s), [], s)
        self.assertNotIn("gao-dev: phase_started", s)
        p.close()

    def check_json_lines(self, extra_args):
        cfg = self.env.write_config(config("SCENARIO-QUICK", HOSTILE_PHASE))
        argv = self.env.argv(cfg, *extra_args)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ANTHROPIC_")}
        env.update(ANTHROPIC_BASE_URL=self.env.base, TERM="xterm-256color")
        p = subprocess.run(argv, capture_output=True, env=env, timeout=60,
                           check=False, cwd=self.env.dir)
        self.assertEqual(p.returncode, 0, p.stderr)
        # the JSON lines; besides them only the warnings gao-dev prints
        # itself (as an ordinary user: no cgroup for the memory total)
        lines, other = [], []
        for l in p.stderr.decode().splitlines():
            (lines if l.startswith("{") else other).append(l)
        for l in other:
            self.assertRegex(l, r"^gao-dev: warning: ")
        events = [json.loads(l) for l in lines]
        run_lines = [l for l, e in zip(lines, events)
                     if e["event"] != "api_key_loaded"]
        root = argv[argv.index("--sandbox-root") + 1]
        (run_id,) = os.listdir(os.path.join(root, "runs"))
        with open(os.path.join(root, "runs", run_id, "events.jsonl"),
                  encoding="utf-8") as f:
            self.assertEqual(run_lines, f.read().splitlines())
        names = {e["event"] for e in events}
        self.assertIn("tool_call", names)
        self.assertFalse(names & {"spend", "tool_started"}, names)
        self.assertNotIn(b"\x1b[", p.stderr)

    def test_not_a_terminal_gives_the_events_lines(self):
        self.check_json_lines(())
        self.check_json_lines(("--no-progress",))


def main():
    if not shutil.which("tmux"):
        print("test_progress: SKIP: tmux is not installed (scripts/setup "
              "installs it: apt-get install tmux)", file=sys.stderr)
        sys.exit(77)
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
