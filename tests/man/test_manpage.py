#!/usr/bin/env python3
"""test_manpage.py - docs/gao-dev.1 says what the built gao-dev does.

    GAO_DEV=build/supervisor/gao-dev python3 tests/man/test_manpage.py

Checked both ways, against the real binary's --help texts (the general
help and the help of every command it lists):
  * every command of `gao-dev --help` has a .SS entry in COMMANDS, and
    every .SS entry is a command the binary knows;
  * every option named in any --help is in the man page, and every option
    the man page names is in some --help;
  * the exit codes of `gao-dev --help` are the .TP entries of EXIT STATUS;
  * the variables of ENVIRONMENT are the ones the supervisor's code reads
    (getenv in supervisor/);
  * the version in .TH is `gao-dev --version`'s.
"""
import glob
import os
import re
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
MAN = os.environ.get("GAO_DEV_MAN", os.path.join(SRC, "docs", "gao-dev.1"))
GAO_DEV = os.environ.get("GAO_DEV",
                         os.path.join(SRC, "build", "supervisor", "gao-dev"))

OPTION = re.compile(r"(?<![\w\\-])(--[a-z][a-z0-9-]*|-[A-Za-z])(?![\w-])")


def run(*args):
    p = subprocess.run([GAO_DEV, *args], capture_output=True, text=True,
                       timeout=30, check=False)
    return p.returncode, p.stdout, p.stderr


def command_words(text):
    """The leading command words of 'sandbox run CONFIG... [opts]'."""
    words = []
    for w in text.split():
        if not re.fullmatch(r"[a-z][a-z-]*", w):
            break
        words.append(w)
    return " ".join(words)


def plain(roff):
    """The man page as text: no comments, escapes resolved."""
    lines = [l for l in roff.splitlines() if not l.startswith('.\\"')]
    text = "\n".join(lines)
    text = re.sub(r"\\f[BIRP]", "", text)
    return text.replace("\\-", "-").replace("\\e", "\\")


def sections(text):
    """{'NAME': body, ...} by .SH, and the .SS headings of each."""
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r'\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            cur = m.group(1).strip()
            out[cur] = []
        elif cur:
            out[cur].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def subsections(body):
    """[(heading, text)] of the .SS entries of one section."""
    parts = re.split(r'^\.SS\s+"?([^"\n]*)"?\s*$', body, flags=re.M)
    return [(parts[i].strip(), parts[i + 1])
            for i in range(1, len(parts) - 1, 2)]


def tp_tags(body):
    """The first word of the line after each .TP."""
    return re.findall(r"^\.TP\s*\n\.?B?\s*(\S+)", body, flags=re.M)


class ManPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(MAN, encoding="utf-8") as f:
            cls.text = plain(f.read())
        cls.sec = sections(cls.text)
        rc, cls.general, _ = run("--help")
        assert rc == 0, "gao-dev --help failed"
        block = cls.general.split("commands:\n", 1)[1].split("\n\n", 1)[0]
        cls.commands = {command_words(l) for l in block.splitlines()
                        if l.strip()}
        cls.helps = {"": cls.general}
        for cmd in cls.commands:
            rc, out, err = run(*cmd.split(), "--help")
            assert rc == 0, f"gao-dev {cmd} --help: exit {rc}: {err}"
            cls.helps[cmd] = out

    def man_commands(self):
        return {command_words(h): body
                for h, body in subsections(self.sec["COMMANDS"])}

    def test_sections(self):
        for name in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS",
                     "EXIT STATUS", "ENVIRONMENT", "FILES"):
            self.assertIn(name, self.sec, f"no .SH {name}")

    def test_commands_both_ways(self):
        man = set(self.man_commands())
        self.assertTrue(self.commands, "no commands parsed from --help")
        self.assertEqual(self.commands - man, set(),
                         "commands of --help missing in COMMANDS")
        self.assertEqual(man - self.commands, set(),
                         "COMMANDS entries gao-dev does not know")
        for cmd in self.commands:
            self.assertIn(cmd, self.sec["SYNOPSIS"].replace("\n.B ", " ")
                          .replace("\n", " "), f"{cmd} not in SYNOPSIS")

    def test_options_both_ways(self):
        in_help = set()
        for text in self.helps.values():
            in_help |= set(OPTION.findall(text))
        self.assertIn("--sandbox-root", in_help)  # the parse works
        in_man = set(OPTION.findall(self.text))
        self.assertEqual(in_help - in_man, set(),
                         "options of --help missing in the man page")
        self.assertEqual(in_man - in_help, set(),
                         "options in the man page that no --help names")

    def test_every_option_has_an_entry(self):
        tags = set()
        for name in ("GLOBAL OPTIONS", "RUN OPTIONS"):
            tags |= set(OPTION.findall(self.sec[name]))
        # a command's own options: its .TP/.TQ entries under COMMANDS
        for tag in re.findall(r"^\.T[PQ]\s*\n(.*)$", self.sec["COMMANDS"],
                              flags=re.M):
            tags |= set(OPTION.findall(tag))
        for text in self.helps.values():
            for opt in OPTION.findall(text):
                self.assertIn(opt, tags, f"{opt} has no .TP entry")

    def test_exit_codes(self):
        para = self.general.split("exit codes:", 1)[1]
        codes = set(re.findall(r"(?<![\w.-])(\d+) [A-Za-z]", para))
        self.assertIn("130", codes)
        self.assertEqual(codes, set(tp_tags(self.sec["EXIT STATUS"])))

    def test_environment(self):
        used = set()
        for path in glob.glob(os.path.join(SRC, "supervisor", "**", "*.c"),
                              recursive=True):
            with open(path, encoding="utf-8") as f:
                used |= set(re.findall(r'getenv\("([A-Z_]+)"\)', f.read()))
        self.assertIn("GAO_DEV_DATADIR", used)
        self.assertEqual(set(tp_tags(self.sec["ENVIRONMENT"])), used)

    def test_version(self):
        rc, out, _ = run("--version")
        self.assertEqual(rc, 0)
        th = re.search(r"^\.TH .*$", self.text, flags=re.M).group(0)
        self.assertIn(out.strip(), th)

    def test_renders_cleanly(self):
        groff = "/usr/bin/groff"
        if not os.path.exists(groff):
            self.skipTest("groff is not installed")
        p = subprocess.run([groff, "-man", "-ww", "-z", MAN],
                           capture_output=True, text=True, check=False)
        self.assertEqual((p.returncode, p.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main()
