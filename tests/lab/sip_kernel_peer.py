#!/usr/bin/env python3
"""A SIP client on kernel sockets for the lab tests of the dataplane's SIP path.

  request <server> <port> <method> [--tcp] [--count N] [--raw FILE] [--wait S]
      sends N requests (or the bytes of FILE once) and prints each answer's
      status line; exits 1 when an expected answer does not come.
"""
import socket
import sys
import time
import uuid


def make_request(server, port, method, local, transport="UDP"):
    tag = uuid.uuid4().hex[:8]
    return ("%s sip:imsd@%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/%s %s;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:alice@example.net>;tag=%s\r\n"
            "To: <sip:imsd@%s>\r\n"
            "Call-ID: %s@lab\r\n"
            "CSeq: 1 %s\r\n"
            "Content-Length: 0\r\n\r\n" % (method, server, port, transport, local, uuid.uuid4().hex, tag,
                                           server, uuid.uuid4().hex, method)).encode()


def request(args):
    server, port, method = args[0], int(args[1]), args[2]
    tcp = "--tcp" in args
    count = int(args[args.index("--count") + 1]) if "--count" in args else 1
    raw = open(args[args.index("--raw") + 1], "rb").read() if "--raw" in args else None
    wait = float(args[args.index("--wait") + 1]) if "--wait" in args else 2.0
    if tcp:
        s = socket.create_connection((server, port), timeout=wait)
        s.sendall(raw or make_request(server, port, method, "%s:%d" % s.getsockname(), "TCP"))
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
        print(buf.split(b"\r\n", 1)[0].decode())
        return 0 if buf.startswith(b"SIP/2.0 200") else 1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((server, port))
    s.settimeout(wait)
    local = "%s:%d" % s.getsockname()
    answered = 0
    for _ in range(count):
        s.send(raw or make_request(server, port, method, local))
    try:
        while answered < count:
            d = s.recv(65535)
            answered += 1
            print(d.split(b"\r\n", 1)[0].decode())
            if raw is not None:
                sys.stdout.write(d.decode("latin-1"))
    except socket.timeout:
        pass
    print("answered %d of %d" % (answered, count))
    return 0 if answered == count else 1


if __name__ == "__main__":
    sys.exit(request(sys.argv[2:]))
