#!/usr/bin/env python3
"""report_browser.py - render a gao-dev report in a real browser and check it.

    report_browser.py REPORT.html SCREENSHOT.png [MARKER...]

Runs Debian's chromium (or chromium-headless-shell) headless twice: once
with --dump-dom (the DOM after parsing, as the browser built it) and once
with --screenshot. Asserts on the DOM:

  * the four sections are there: header, timeline, conversations,
    criteria (and the chart);
  * no <script>, <iframe>, <object>, <embed>, <img>, <a>, <form>, <link>,
    <base> or <svg> element at all (the page has none of its own);
  * no element carries an on* attribute, and no attribute value holds
    "javascript:";
  * each MARKER (a text the agents wrote) is present as text.

And on the screenshot (PNG, read with zlib + struct): it is the size
asked for and not blank (more than 8 distinct colours, more than 2 % of
pixels not white).

Exit 0 when every check holds, 1 on a failed check (the reason on
stderr), 77 when no browser can be found or started (the caller skips
with a visible message).
"""
import html.parser
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SECTIONS = ("header", "criteria", "chart", "changes", "conversations",
            "timeline")
FORBIDDEN = {"script", "iframe", "object", "embed", "img", "a", "form",
             "link", "base", "svg", "math", "video", "audio", "frame"}


def browser():
    for name in ("chromium", "chromium-headless-shell", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    for path in ("/usr/lib/chromium/chromium",
                 "/usr/lib/chromium/chromium-headless-shell"):
        if os.access(path, os.X_OK):
            return path
    return None


def run(exe, args, profile):
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu",
           "--no-first-run", "--disable-extensions", "--timeout=15000",
           "--user-data-dir=" + profile] + args
    return subprocess.run(cmd, capture_output=True, timeout=40,
                          env=dict(os.environ, HOME=profile))


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.bad, self.text = set(), [], []

    def handle_starttag(self, tag, attrs):
        if tag in FORBIDDEN:
            self.bad.append("a <%s> element" % tag)
        for k, v in attrs:
            if k.startswith("on"):
                self.bad.append("attribute %s on <%s>" % (k, tag))
            if v and "javascript:" in v.lower():
                self.bad.append("javascript: in %s of <%s>" % (k, tag))
            if k == "id":
                self.ids.add(v)

    def handle_data(self, data):
        self.text.append(data)


def png_pixels(path):
    """(width, height, rows of RGB(A) tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
    if depth != 8 or ctype not in (2, 6):
        raise ValueError("PNG colour type %d depth %d" % (ctype, depth))
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    report, shot, markers = sys.argv[1], sys.argv[2], sys.argv[3:]
    exe = browser()
    if not exe:
        print("no chromium found (apt-get install chromium)", file=sys.stderr)
        return 77
    url = "file://" + os.path.abspath(report)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        try:
            dom = run(exe, ["--dump-dom", url], profile)
        except OSError as e:
            print("chromium did not run: %s" % e, file=sys.stderr)
            return 77
        except subprocess.TimeoutExpired:
            # a page that blocks the browser (a dialog, a loop) fails
            print("report_browser: chromium did not finish the page in "
                  "40 s", file=sys.stderr)
            return 1
        if dom.returncode != 0 or b"<html" not in dom.stdout:
            print("chromium did not render (exit %d): %s" %
                  (dom.returncode, dom.stderr.decode(errors="replace")[-800:]),
                  file=sys.stderr)
            return 77
        try:
            res = run(exe, ["--screenshot=" + shot,
                            "--window-size=1200,2000", "--hide-scrollbars",
                            url], profile)
        except subprocess.TimeoutExpired:
            print("report_browser: no screenshot in 40 s", file=sys.stderr)
            return 1
    problems = []
    p = Dom()
    p.feed(dom.stdout.decode("utf-8", errors="replace"))
    for s in SECTIONS:
        if s not in p.ids:
            problems.append("section %s missing from the DOM" % s)
    problems += p.bad
    text = "".join(p.text)
    for m in markers:
        if m not in text:
            problems.append("marker %r not shown as text" % m)
    if res.returncode != 0 or not os.path.exists(shot):
        problems.append("no screenshot (exit %d)" % res.returncode)
    else:
        w, h, bpp, rows = png_pixels(shot)
        colours, ink = set(), 0
        for y in range(0, h, 4):
            row = rows[y]
            for x in range(0, w * bpp, 4 * bpp):
                px = row[x:x + 3]
                colours.add(px)
                if px != b"\xff\xff\xff":
                    ink += 1
        total = len(range(0, h, 4)) * len(range(0, w * bpp, 4 * bpp))
        if (w, h) != (1200, 2000):
            problems.append("screenshot is %dx%d" % (w, h))
        if len(colours) <= 8 or ink * 50 <= total:
            problems.append("screenshot looks blank: %d colours, %d of %d "
                            "pixels not white" % (len(colours), ink, total))
        print("screenshot: %d colours, %.1f%% not white" %
              (len(colours), 100.0 * ink / total))
    for pr in problems:
        print("report_browser: " + pr, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
