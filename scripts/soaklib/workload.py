# workload.py: the benchmark configs and the fake-API scenario of a soak.
#
# Design note: everything is generated into the soak's work directory, with
# a token unique to this soak (gaosoak<pid>x<random>) in every command the
# agents run, so the leftover check can find the agents' processes, and
# only this soak's, in /proc. Each config has a marker in its
# initial_prompt (which reaches the first user message) that the scenario's
# conversations match on, so concurrent runs of different configs each get
# their own conversation (docs/fake-api.md: matching is stateless).
#
# The kinds (KINDS) and what each may end as (EXPECTED):
#   tools   every tool: Write, TodoWrite, Read, Glob, Grep, Edit,
#           MultiEdit, Bash that succeeds, fails (exit 3), times out (its
#           timeout input), leaves a process behind and starts a
#           background job; completed, exit 0
#   slow    a Bash sleep longer than the run's 3 s time limit: timeout, 5
#   cost    one turn priced far above constraints.max_cost_usd: stopped, 5
#   fail    an expected artifact never written: failed, exit 1
#   cancel  (the cancellation invocations only) a Bash sleep of 60 s that
#           the signal interrupts: cancelled, 130
# A random spend_limit fault ends any run as error (stop_reason
# spend_limit, exit 4): an expected outcome of every kind.

import json
import os

KINDS = ("tools", "tools", "tools", "slow", "cost", "fail")
EXPECTED = {
    "tools": {("completed", "")},
    "slow": {("timeout", "run_timeout"), ("timeout", "phase_timeout")},
    "cost": {("stopped", "cost_limit")},
    "fail": {("failed", "missing_artifacts")},
    "cancel": {("cancelled", "signal")},
}
SPEND_LIMIT = ("error", "spend_limit")


def _text(text):
    return {"type": "text", "text": text}


def _tool(name, **inp):
    return {"type": "tool_use", "name": name, "input": inp}


def _tools_turns(tok):
    notes = "alpha one\nalpha two\ngamma three\n"
    return [
        {"content": [
            _text("Writing the notes."),
            _tool("Write", file_path="notes/a.txt", content=notes),
            _tool("TodoWrite", todos=[
                {"content": "write notes", "status": "completed",
                 "activeForm": "Writing notes"},
                {"content": "check notes", "status": "in_progress",
                 "activeForm": "Checking notes"}])]},
        {"expect": {"tool_result_contains": ["notes/a.txt"]},
         "content": [
             _tool("Read", file_path="notes/a.txt"),
             _tool("Glob", pattern="**/*.txt"),
             _tool("Grep", pattern="alpha", output_mode="count")]},
        {"expect": {"tool_result_contains": ["alpha two"]},
         "content": [
             _tool("Edit", file_path="notes/a.txt",
                   old_string="gamma three", new_string="beta three"),
             _tool("MultiEdit", file_path="notes/a.txt", edits=[
                 {"old_string": "alpha one", "new_string": "ALPHA one"},
                 {"old_string": "alpha", "new_string": "beta",
                  "replace_all": True}])]},
        {"content": [
            _tool("Bash", command=f"echo {tok}-ok; grep -c beta "
                  "notes/a.txt"),
            _tool("Bash", command=f"echo {tok}-fail >&2; exit 3"),
            _tool("Grep", pattern="(unclosed", path="notes")]},
        {"expect": {"tool_result_contains": [f"{tok}-ok", "exit code: 3"]},
         "content": [
             _tool("Bash", command=f"sleep 30; echo {tok}-late",
                   timeout=1000),
             _tool("Bash", command=f"(sleep 45; echo {tok}-orphan) & "
                   "echo started"),
             _tool("Bash", command=f"sleep 50; echo {tok}-bg",
                   run_in_background=True),
             _tool("Read", file_path="../outside.txt")]},
        {"content": [_text("All tools tried.")]},
    ]


def scenario(tok):
    """Return the fake-API scenario (a dict) for the token tok."""
    return {
        "description": "scripts/soak: generated; see scripts/soaklib/"
                       "workload.py",
        "conversations": [
            {"name": "tools", "match": "SOAK-TOOLS",
             "turns": _tools_turns(tok)},
            {"name": "slow", "match": "SOAK-SLOW", "turns": [
                {"content": [_tool("Bash", command=f"sleep 20; echo "
                                   f"{tok}-slow", timeout=60000)]},
                {"content": [_text("too late")]}]},
            {"name": "cost", "match": "SOAK-COST", "turns": [
                {"usage": {"output_tokens": 120000},
                 "content": [_text("An expensive answer."),
                             _tool("Bash", command=f"echo {tok}-cost")]},
                {"content": [_text("never reached")]}]},
            {"name": "fail", "match": "SOAK-FAIL", "turns": [
                {"content": [_tool("Write", file_path="other.txt",
                                   content="not the artifact\n")]},
                {"content": [_text("Done, I think.")]}]},
            {"name": "cancel", "match": "SOAK-CANCEL", "turns": [
                {"content": [_tool("Bash", command=f"sleep 60; echo "
                                   f"{tok}-cancel", timeout=120000)]},
                {"content": [_text("not cancelled?")]}]},
        ],
    }


def _config(name, marker, extra=""):
    return (f"name: {name}\n"
            f"description: scripts/soak workload {name}\n"
            f"initial_prompt: {marker} - do what the scenario says.\n"
            "scale_level: 0\n"
            f"{extra}"
            "workflow_phases:\n"
            "  - phase_name: Implementation\n"
            "    agent: Amelia\n"
            + ("    expected_artifacts:\n      - missing.txt\n"
               if marker == "SOAK-FAIL" else ""))


CONFIGS = {
    "tools": ("SOAK-TOOLS", "timeout_seconds: 600\n"),
    "slow": ("SOAK-SLOW", "timeout_seconds: 3\n"),
    "cost": ("SOAK-COST", "timeout_seconds: 600\n"
             "constraints:\n  max_cost_usd: 0.5\n"),
    "fail": ("SOAK-FAIL", "timeout_seconds: 600\n"),
    "cancel": ("SOAK-CANCEL", "timeout_seconds: 600\n"),
}


def write(workdir, tok):
    """Write scenario.json and one config per kind into workdir; return
    {config name: kind} and {kind: config path}. The config names are
    soak-<kind>[-<i>] (tools has three, so it is half of the runs)."""
    with open(os.path.join(workdir, "scenario.json"), "w",
              encoding="utf-8") as fh:
        json.dump(scenario(tok), fh, indent=1)
    names, paths = {}, {}
    seen = {}
    for kind in KINDS + ("cancel",):
        seen[kind] = seen.get(kind, 0) + 1
        name = f"soak-{kind}" + (f"-{seen[kind]}"
                                 if KINDS.count(kind) > 1 else "")
        marker, extra = CONFIGS[kind]
        path = os.path.join(workdir, f"{name}.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(_config(name, marker, extra))
        names[name] = kind
        paths.setdefault(kind, []).append(path)
    return names, paths
