#!/usr/bin/env python3
"""SIP peers on kernel sockets for the lab tests of the dataplane's SIP path.

  responder <addr> <port> <seconds> <log>   answers every SIP request (UDP and
      TCP) with 200 OK as nta would, and logs "proto src-ip src-port method"
      per request; stops by itself after <seconds>.
  request <server> <port> <method> [--tcp] [--count N] [--raw FILE]
      sends N requests (or the bytes of FILE once) and prints each answer's
      status line; exits 1 when an expected answer does not come.
"""
import socket
import sys
import threading
import time
import uuid


def answer(req: bytes) -> bytes:
    head = req.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    keep = [h for h in head[1:] if h.split(":", 1)[0].strip().lower() in
            ("via", "from", "to", "call-id", "cseq", "v", "f", "t", "i")]
    return ("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) +
            "\r\nContent-Length: 0\r\n\r\n").encode()


def responder(addr, port, seconds, log):
    deadline = time.time() + seconds
    out = open(log, "a", buffering=1)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Floods arrive faster than python answers: room for them in the kernel.
    u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    u.bind((addr, port))
    u.settimeout(0.2)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, port))
    t.listen(16)
    t.settimeout(0.2)

    def tcp_loop():
        while time.time() < deadline:
            try:
                c, peer = t.accept()
            except socket.timeout:
                continue
            c.settimeout(2)
            buf = b""
            try:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(4096)
                    if not d:
                        break
                    buf += d
                if buf:
                    out.write("tcp %s %d %s\n" % (peer[0], peer[1], buf.split(b" ", 1)[0].decode()))
                    c.sendall(answer(buf))
            except OSError:
                pass
            c.close()

    th = threading.Thread(target=tcp_loop, daemon=True)
    th.start()
    print("ready", flush=True)
    while time.time() < deadline:
        try:
            d, peer = u.recvfrom(65535)
        except socket.timeout:
            continue
        out.write("udp %s %d %s\n" % (peer[0], peer[1], d.split(b" ", 1)[0].decode("latin-1")))
        if not d.startswith(b"SIP/2.0"):
            u.sendto(answer(d), peer)
    th.join()


def make_request(server, port, method, local):
    tag = uuid.uuid4().hex[:8]
    return ("%s sip:imsd@%s:%d SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:alice@example.net>;tag=%s\r\n"
            "To: <sip:imsd@%s>\r\n"
            "Call-ID: %s@lab\r\n"
            "CSeq: 1 %s\r\n"
            "Content-Length: 0\r\n\r\n" % (method, server, port, local, uuid.uuid4().hex, tag,
                                           server, uuid.uuid4().hex, method)).encode()


def request(args):
    server, port, method = args[0], int(args[1]), args[2]
    tcp = "--tcp" in args
    count = int(args[args.index("--count") + 1]) if "--count" in args else 1
    raw = open(args[args.index("--raw") + 1], "rb").read() if "--raw" in args else None
    wait = float(args[args.index("--wait") + 1]) if "--wait" in args else 2.0
    if tcp:
        s = socket.create_connection((server, port), timeout=wait)
        s.sendall(raw or make_request(server, port, method, "%s:%d" % s.getsockname()))
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
    if sys.argv[1] == "responder":
        responder(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(request(sys.argv[2:]))
