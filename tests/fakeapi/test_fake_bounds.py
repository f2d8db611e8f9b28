# test_fake_bounds.py: the fake's faults that test the client's bounds
# (huge_event, endless_headers) and its TLS mode (--tls-cert, --tls-key).
#
# Design note: each test talks to a real fake-anthropic process over a raw
# socket, reads a bounded amount and checks what a client would see: the
# header block never ends, the one event never ends within what was read,
# TLS is served only with a valid pair of files and only over TLS.

import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_fake_anthropic import (FAKE, NEW, TEST_KEY, Fake,  # noqa: E402
                                 conv, req)

TURN = [{"content": [{"type": "text", "text": "hi"}]}]


def post_bytes(name, stream):
    body = json.dumps(req(name, stream=stream)).encode()
    return (b"POST /v1/messages HTTP/1.1\r\nhost: x\r\n"
            b"x-api-key: " + TEST_KEY.encode() + b"\r\n"
            b"anthropic-version: " + NEW.encode() + b"\r\n"
            b"content-type: application/json\r\n"
            b"content-length: %d\r\n\r\n" % len(body) + body)


def read_at_least(sock, n):
    got = b""
    while len(got) < n:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


class TestBoundFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = Fake({
            "conversations": [conv("b-head", TURN), conv("b-huge", TURN)],
            "faults": [
                {"conversation": "b-head", "turn": 0,
                 "kind": "endless_headers"},
                {"conversation": "b-huge", "turn": 0,
                 "kind": "huge_event", "size_mb": 8}]})

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.fake.cleanup()

    def raw(self, name, stream, n):
        with socket.create_connection(("127.0.0.1", self.fake.port),
                                      timeout=10) as sock:
            sock.sendall(post_bytes(name, stream))
            return read_at_least(sock, n)

    def test_endless_headers_never_end(self):
        got = self.raw("b-head", False, 512 * 1024)
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\nx-pad-0: "))
        self.assertGreaterEqual(len(got), 512 * 1024)
        self.assertNotIn(b"\r\n\r\n", got)

    def test_huge_event_is_one_event(self):
        got = self.raw("b-huge", True, 4 * 1024 * 1024)
        head, _, body = got.partition(b"\r\n\r\n")
        self.assertIn(b"text/event-stream", head)
        self.assertGreaterEqual(len(body), 4 * 1024 * 1024 - 4096)
        # one data line: no blank line (the end of an event) in 4 MiB
        self.assertEqual(body.count(b"\n\n"), 0)
        self.assertEqual(body.count(b"data: "), 1)

    def test_bad_values_are_refused(self):
        for fault, key in (({"kind": "huge_event", "size_mb": 0}, "size_mb"),
                           ({"kind": "huge_event", "size_mb": 257},
                            "size_mb"),
                           ({"kind": "endless_headers", "interval_ms": -1},
                            "interval_ms")):
            fault["request"] = 1
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "s.json")
                with open(path, "w", encoding="utf-8") as fh:
                    json.dump({"conversations": [conv("x", TURN)],
                               "faults": [fault]}, fh)
                p = subprocess.run([sys.executable, str(FAKE), "--scenario",
                                    path], capture_output=True, timeout=30)
                self.assertEqual(p.returncode, 2)
                self.assertIn(key, p.stderr.decode())


class TestTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.cert = os.path.join(cls.dir.name, "cert.pem")
        cls.key = os.path.join(cls.dir.name, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", cls.key, "-out", cls.cert],
                       check=True, capture_output=True, timeout=60)
        cls.fake = Fake({"conversations": [conv("t", TURN)]},
                        args=("--tls-cert", cls.cert, "--tls-key", cls.key))

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.fake.cleanup()
        cls.dir.cleanup()

    def test_served_over_tls_with_its_certificate(self):
        ctx = ssl.create_default_context(cafile=self.cert)
        with socket.create_connection(("127.0.0.1", self.fake.port),
                                      timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
                sock.sendall(b"GET /v1/models HTTP/1.1\r\nhost: x\r\n"
                             b"anthropic-version: " + NEW.encode() +
                             b"\r\nx-api-key: " + TEST_KEY.encode() +
                             b"\r\n\r\n")
                self.assertTrue(sock.recv(64).startswith(b"HTTP/1.1 200"))

    def test_untrusted_without_its_certificate(self):
        ctx = ssl.create_default_context()
        with socket.create_connection(("127.0.0.1", self.fake.port),
                                      timeout=10) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    def test_cert_without_key_is_a_usage_error(self):
        p = subprocess.run([sys.executable, str(FAKE), "--scenario",
                            self.fake.scenario_path, "--tls-cert",
                            self.cert], capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--tls-key", p.stderr.decode())


if __name__ == "__main__":
    unittest.main()
