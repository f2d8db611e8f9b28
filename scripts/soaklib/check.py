# check.py: the checks of each run of a soak, and of an invocation.
#
# Design note: a run passes when its results file is whole (it parses, and
# its run_id is its name), valid against docs/results.schema.json, its
# status and stop_reason are one its kind may end with (workload.EXPECTED,
# or a spend_limit error), its exit_code is the one docs/decisions.md gives
# that status, the last line of its events.jsonl is
# standalone_benchmark_completed with the same status and exit code (after
# a results_saved), and `gao-dev audit verify RUN_DIR` accepts its audit
# logs. An invocation passes when it wrote one results file per run and
# its exit code is the aggregate of its runs' codes (decisions.md: 130 if
# interrupted, else the first of 3, 2, 4, 5, 1, else 0). Each check
# returns a list of problems, empty when it passed.

import json
import os
import subprocess

from . import workload

STATUS_CODE = {"completed": 0, "failed": 1, "timeout": 5, "stopped": 5,
               "cancelled": 130}
AGGREGATE_ORDER = (3, 2, 4, 5, 1)


def load_schema(root):
    """Return a validator of results files, or None when python3
    jsonschema is missing."""
    try:
        import jsonschema
    except ImportError:
        return None
    with open(os.path.join(root, "docs", "results.schema.json"),
              encoding="utf-8") as fh:
        schema = json.load(fh)
    return jsonschema.Draft202012Validator(schema)


def expected_code(status, stop_reason):
    """Return the exit code a run with this status must have."""
    if status == "error":
        return {"authentication_error": 3, "permission_error": 3,
                "not_found_error": 2}.get(stop_reason, 4)
    return STATUS_CODE.get(status)


def aggregate(codes, interrupted):
    """Return the exit code of an invocation whose runs gave codes."""
    if interrupted:
        return 130
    for code in AGGREGATE_ORDER:
        if code in codes:
            return code
    return 0


def _last_events(path):
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        return None, f"events.jsonl: {exc.strerror}"
    events = []
    for i, line in enumerate(lines, 1):
        try:
            events.append(json.loads(line))
        except ValueError:
            return None, f"events.jsonl:{i}: not JSON"
    return events, None


def check_run(path, kinds, validator, gao_dev, allowed=None):
    """Check one results file. kinds maps a benchmark name to its kind;
    allowed, when given, replaces the statuses the kind allows. Returns
    (results dict or None, [problems])."""
    name = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as fh:
            res = json.load(fh)
    except (OSError, ValueError) as exc:
        return None, [f"{name}: unreadable or not JSON ({exc})"]
    probs = []
    if validator is not None:
        for err in list(validator.iter_errors(res))[:3]:
            where = "/".join(str(p) for p in err.absolute_path)
            probs.append(f"schema: {where}: {err.message[:160]}")
    if f"{res.get('run_id')}.json" != name:
        probs.append("run_id is not the file's name")
    status, why = res.get("status"), res.get("stop_reason") or ""
    kind = kinds.get((res.get("benchmark") or {}).get("name"))
    ok = allowed if allowed is not None else workload.EXPECTED.get(kind,
                                                                   set())
    if (status, why) not in ok and (status, why) != workload.SPEND_LIMIT:
        probs.append(f"unexpected outcome {status}/{why} for kind {kind}")
    if res.get("exit_code") != expected_code(status, why):
        probs.append(f"exit_code {res.get('exit_code')} for status "
                     f"{status}/{why}")
    run_dir = res.get("run_dir") or ""
    events, err = _last_events(os.path.join(run_dir, "events.jsonl"))
    if err:
        probs.append(err)
    elif not events or events[-1].get("event") != \
            "standalone_benchmark_completed":
        probs.append("events.jsonl does not end with "
                     "standalone_benchmark_completed")
    else:
        last = events[-1]
        if (last.get("status"), last.get("exit_code")) != \
                (status, res.get("exit_code")):
            probs.append(f"final event says {last.get('status')}/"
                         f"{last.get('exit_code')}, results {status}/"
                         f"{res.get('exit_code')}")
        if not any(e.get("event") == "results_saved" for e in events):
            probs.append("no results_saved event")
    verify = subprocess.run([gao_dev, "audit", "verify", run_dir],
                            capture_output=True, text=True, timeout=120)
    if verify.returncode != 0:
        probs.append(f"audit verify exit {verify.returncode}: "
                     f"{(verify.stdout + verify.stderr).strip()[-200:]}")
    return res, [f"{name}: {p}" for p in probs]
