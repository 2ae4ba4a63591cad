#!/usr/bin/env python3
"""Raw protocol cases against a running searchd (used by t200).

usage: protocol_cases.py SOCKET EXTRA_POINTS

Each case sends raw bytes on a fresh connection, checks the reply's error
code (or success) and whether the server closed the connection, then
sends a ping on another connection to show the daemon lived.  Prints TAP
points (the plan includes EXTRA_POINTS more that the caller prints).
"""
import json
import socket
import sys

SOCK = sys.argv[1]
EXTRA = int(sys.argv[2])

PING = b'{"v":1,"op":"ping","id":"alive"}\n'

# (name, bytes sent, expected code or "ok", expect the server to close)
CASES = [
    ("not JSON", b"not json\n", "bad_request", False),
    ("empty object", b"{}\n", "bad_version", False),
    ("unknown version", b'{"v":2,"op":"ping"}\n', "bad_version", False),
    ("version as string", b'{"v":"1","op":"ping"}\n', "bad_version", False),
    ("missing op", b'{"v":1}\n', "bad_request", False),
    ("op not a string", b'{"v":1,"op":5}\n', "bad_request", False),
    ("unknown op", b'{"v":1,"op":"frobnicate","id":3}\n', "unknown_op", False),
    ("search without q", b'{"v":1,"op":"search"}\n', "bad_request", False),
    ("search with empty q", b'{"v":1,"op":"search","q":"  "}\n',
     "bad_request", False),
    ("malformed query", b'{"v":1,"op":"search","q":"foo AND"}\n',
     "bad_query", False),
    ("unclosed quote", b'{"v":1,"op":"search","q":"\\"foo bar"}\n',
     "bad_query", False),
    ("unknown sort", b'{"v":1,"op":"search","q":"x","sort":"date"}\n',
     "bad_request", False),
    ("since not a date", b'{"v":1,"op":"search","q":"x","since":"2019-13"}\n',
     "bad_request", False),
    ("until not a string", b'{"v":1,"op":"search","q":"x","until":2019}\n',
     "bad_request", False),
    ("since after until",
     b'{"v":1,"op":"search","q":"x","since":"2020","until":"2019"}\n',
     "bad_request", False),
    ("empty outlet", b'{"v":1,"op":"search","q":"x","outlet":""}\n',
     "bad_request", False),
    ("facets not a boolean", b'{"v":1,"op":"search","q":"x","facets":1}\n',
     "bad_request", False),
    ("all search options",
     b'{"v":1,"op":"search","q":"x","sort":"oldest","since":"2019",'
     b'"until":"2020-06","outlet":"BBC News","facets":true,"limit":1000}\n',
     "ok", False),
    ("limit too large", b'{"v":1,"op":"search","q":"x","limit":100000}\n',
     "bad_request", False),
    ("negative limit", b'{"v":1,"op":"search","q":"x","limit":-1}\n',
     "bad_request", False),
    ("limit as string", b'{"v":1,"op":"search","q":"x","limit":"5"}\n',
     "bad_request", False),
    ("unknown copies mode",
     b'{"v":1,"op":"search","q":"x","copies":"some"}\n', "bad_request", False),
    ("copies not a string", b'{"v":1,"op":"search","q":"x","copies":1}\n',
     "bad_request", False),
    ("copies listed", b'{"v":1,"op":"search","q":"x","copies":"list"}\n',
     "ok", False),
    ("array instead of object", b"[1,2]\n", "bad_request", False),
    ("trailing garbage", b'{"v":1,"op":"ping"} x\n', "bad_request", False),
    ("invalid UTF-8", b'{"v":1,"op":"search","q":"\xff\xfe"}\n',
     "bad_request", False),
    ("NUL escape in a string", b'{"v":1,"op":"search","q":"a\\u0000b"}\n',
     "bad_request", False),
    ("bad id type", b'{"v":1,"op":"ping","id":[1]}\n', "bad_request", False),
    ("query over the cap",
     b'{"v":1,"op":"search","q":"' + b"a" * 5000 + b'"}\n', "too_big", True),
    ("nesting over the cap",
     b'{"v":1,"op":"ping","x":[[[[[[[[[[]]]]]]]]]]}\n', "too_big", True),
    ("line over the cap", b"x" * 70000 + b"\n", "too_big", True),
    ("line over the cap without newline", b"y" * 70000, "too_big", True),
    ("relative add path", b'{"v":1,"op":"add","path":"relative/x"}\n',
     "bad_request", False),
    # Outside the add-roots: refused before searchd looks whether it exists.
    ("add outside the add roots",
     b'{"v":1,"op":"add","path":"/nonexistent/searchd-test"}\n',
     "forbidden", False),
    ("add with a .. component",
     b'{"v":1,"op":"add","path":"/tmp/../etc/passwd"}\n',
     "forbidden", False),
    ("bad base64 path", b'{"v":1,"op":"add","path_b64":"!!!"}\n',
     "bad_request", False),
    ("ping with id", b'{"v":1,"op":"ping","id":7}\n', "ok", False),
    ("unknown members are ignored",
     b'{"v":1,"op":"ping","id":8,"future":{"x":1}}\n', "ok", False),
]


def talk(data, want_lines=1, timeout=5.0, shut=False):
    """Send data (then end-of-file if shut); return (reply lines, closed
    by server)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(SOCK)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
    except (BrokenPipeError, ConnectionResetError):
        pass
    buf, closed = b"", False
    try:
        while buf.count(b"\n") < want_lines:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            buf += chunk
        if not closed:
            # Did the server close after replying?  Give it a moment.
            s.settimeout(0.5)
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                closed = False
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    return [json.loads(l) for l in buf.split(b"\n") if l], closed


def alive():
    lines, _ = talk(PING)
    return (len(lines) == 1 and lines[0].get("ok") is True
            and lines[0].get("id") == "alive")


def main():
    n = 0
    failed = 0
    extra = [("pipelined requests", None), ("request id echoed", None),
             ("half a request", None), ("half a request then EOF", None),
             ("no newline then EOF", None), ("searches then EOF", None),
             ("over the in-flight cap", None)]
    print("1..%d" % (2 * len(CASES) + len(extra) + EXTRA))

    def point(good, desc, detail=None):
        nonlocal n, failed
        n += 1
        if not good:
            failed += 1
        print("%s %d - %s" % ("ok" if good else "not ok", n, desc))
        if not good and detail is not None:
            print("# " + repr(detail)[:400])

    for name, data, code, must_close in CASES:
        lines, closed = talk(data)
        if code == "ok":
            good = len(lines) == 1 and lines[0].get("ok") is True
        else:
            good = (len(lines) == 1 and lines[0].get("ok") is False
                    and lines[0]["error"]["code"] == code
                    and lines[0].get("v") == 1)
        good = good and (closed if must_close else not closed)
        point(good, "%s -> %s%s" % (name, code,
                                    ", closed" if must_close else ""),
              (lines, closed))
        point(alive(), "daemon answers a ping after: " + name)

    lines, _ = talk(b'{"v":1,"op":"ping","id":1}\n{"v":1,"op":"ping","id":2}'
                    b'\n{"v":1,"op":"status","id":3}\n', want_lines=3)
    point(sorted(l["id"] for l in lines) == [1, 2, 3], "pipelined requests",
          lines)
    lines, _ = talk(b'{"v":1,"op":"ping","id":"abc"}\n')
    point(lines and lines[0]["id"] == "abc", "string request id echoed", lines)
    lines, closed = talk(b'{"v":1,"op":"ping"', timeout=1.0)
    point(lines == [] and not closed and alive(),
          "half a request: no reply yet, connection open", (lines, closed))
    lines, closed = talk(b'{"v":1,"op":"ping"', shut=True)
    point(len(lines) == 1 and lines[0]["error"]["code"] == "bad_request"
          and closed, "half a request then EOF: bad_request, then closed",
          (lines, closed))
    lines, closed = talk(b'{"v":1,"op":"ping","id":4}', shut=True)
    point(len(lines) == 1 and lines[0].get("ok") is True and closed,
          "a last line without newline is answered at EOF", (lines, closed))
    # EOF (shutdown of the write side, as `printf ... | socat` does) right
    # after requests that take a while: every reply still arrives.
    reqs = b"".join(b'{"v":1,"op":"search","q":"peace %d","id":%d}\n'
                    % (i, i) for i in range(1, 6))
    lines, closed = talk(reqs + b'{"v":1,"op":"status","id":6}\n',
                         want_lines=6, shut=True)
    point(sorted(l.get("id") for l in lines) == list(range(1, 7)) and closed,
          "searches then EOF: all 6 replies, then closed", (lines, closed))
    # More pipelined requests than one connection may have in flight (64):
    # searchd stops reading until replies free slots; none is lost.
    many = 300
    reqs = b"".join(b'{"v":1,"op":"search","q":"x%d","id":%d}\n' % (i, i)
                    for i in range(many))
    lines, closed = talk(reqs, want_lines=many, timeout=30.0, shut=True)
    point(sorted(l.get("id") for l in lines) == list(range(many)),
          "%d pipelined searches: every one answered" % many,
          (len(lines), closed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
