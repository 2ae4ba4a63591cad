#!/usr/bin/env python3
"""notify-listener.py ADDR LOG: play systemd's side of the notify socket.

Binds a datagram socket at ADDR (a path, or @name for the abstract
namespace), and appends every message to LOG, one line per key=value
line, until killed.  Used by t600-notify.sh."""
import socket
import sys

addr, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
with open(log, "a", buffering=1) as out:
    out.write("LISTENING\n")
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        for line in msg.split("\n"):
            if line:
                out.write(line + "\n")
