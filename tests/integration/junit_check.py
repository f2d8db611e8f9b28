#!/usr/bin/python3
"""junit_check.py - read a JUnit XML file as CI systems do, print what it says.

    junit_check.py FILE

Two real consumers read FILE: Python's expat parser (xml.etree: is the file
well-formed XML 1.0?) and Debian's python3-junitparser (the Jenkins/Ant
dialect most CI reporters share). Prints one JSON object on stdout:

  {"totals": {tests, failures, errors, skipped, time},  <- counted by
                                                           junitparser
   "declared": {...},  <- the <testsuites> attributes as written
   "suites": [{"name", "declared": {...}, "counted": {...},
               "properties": {name: value}, "system_out",
               "cases": [{"classname", "name", "time", "kind",
                          "message", "type", "text", "system_out"}]}]}

kind is pass, failure, error or skipped. Exit 0, or 1 with the reason on
stderr when the file is not well-formed or junitparser cannot read it.
tests/integration/test_junit.c compares this with the results files.
"""
import json
import sys
import xml.etree.ElementTree as ET

try:
    import junitparser
except ImportError:
    print("python3-junitparser is not installed (scripts/setup installs "
          "it)", file=sys.stderr)
    sys.exit(1)

KINDS = {"Failure": "failure", "Error": "error", "Skipped": "skipped"}


def counts(obj):
    return {"tests": obj.tests, "failures": obj.failures,
            "errors": obj.errors, "skipped": obj.skipped,
            "time": obj.time}


def case_info(case):
    results = list(case.result)
    info = {"classname": case.classname, "name": case.name,
            "time": case.time, "kind": "pass", "message": None,
            "type": None, "text": None, "system_out": case.system_out,
            "results": len(results)}
    if results:
        r = results[0]
        info.update(kind=KINDS.get(type(r).__name__, "?"),
                    message=r.message, type=r.type, text=r.text)
    return info


def suite_out(elem):
    out = elem.find("system-out")
    return out.text if out is not None else None


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        tree = ET.parse(argv[1])
    except ET.ParseError as e:
        print("not well-formed XML: %s" % e, file=sys.stderr)
        return 1
    root = tree.getroot()
    if root.tag != "testsuites":
        print("root element is <%s>, not <testsuites>" % root.tag,
              file=sys.stderr)
        return 1
    xml = junitparser.JUnitXml.fromfile(argv[1])
    declared = counts(xml)
    suites = []
    elems = root.findall("testsuite")
    for suite, elem in zip(xml, elems):
        s = {"name": suite.name, "declared": counts(suite),
             "properties": {p.name: p.value for p in suite.properties()},
             "system_out": suite_out(elem),
             "cases": [case_info(c) for c in suite]}
        suite.update_statistics()
        s["counted"] = counts(suite)
        suites.append(s)
    xml.update_statistics()
    print(json.dumps({"declared": declared, "totals": counts(xml),
                      "suites": suites}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
