#!/usr/bin/env python3
"""Kernel-side TCP peers for the imsd TCP lab test. Each mode prints one line
and exits 0 on success, 1 on a wrong result. Every loop is bounded by a
socket timeout and a byte or connection count."""
import hashlib
import selectors
import socket
import struct
import sys
import threading
import time

TIMEOUT = 60


def pattern(n):
    block = bytes((i * 7 + 3) & 0xFF for i in range(1 << 16))
    while n > 0:
        chunk = block[: min(n, len(block))]
        yield chunk
        n -= len(chunk)


def echo(host, port, size, stall_s=0.0):
    """Sends size bytes and reads them back; compares SHA-256. With stall_s,
    reads nothing for that long first (the peer's window closes)."""
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    h_out, h_in = hashlib.sha256(), hashlib.sha256()

    def sender():
        for c in pattern(size):
            s.sendall(c)
            h_out.update(c)
        s.shutdown(socket.SHUT_WR)

    t0 = time.time()
    th = threading.Thread(target=sender)
    th.start()
    if stall_s:
        time.sleep(stall_s)
    got = 0
    while True:
        b = s.recv(1 << 20)
        if not b:
            break
        h_in.update(b)
        got += len(b)
    th.join()
    s.close()
    dt = time.time() - t0
    ok = got == size and h_in.digest() == h_out.digest()
    print(f"echo {size} bytes: got {got} in {dt:.2f} s, sha256 {'equal' if ok else 'DIFFERENT'}")
    return ok


def sink(host, port, size):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    for c in pattern(size):
        s.sendall(c)
    s.shutdown(socket.SHUT_WR)
    ok = s.recv(1) == b""  # the sink closes after our FIN
    s.close()
    print(f"sink {size} bytes: {'closed cleanly' if ok else 'NOT closed'}")
    return ok


def refused(host, port):
    try:
        socket.create_connection((host, port), timeout=5).close()
    except ConnectionRefusedError:
        print("connection refused, as expected")
        return True
    print("connected to a port with no listener")
    return False


def many(host, port, count, size):
    """count concurrent connections, each echoing size bytes."""
    sel = selectors.DefaultSelector()
    conns = []
    for i in range(count):
        s = socket.create_connection((host, port), timeout=TIMEOUT)
        s.setblocking(False)
        msg = struct.pack("!I", i) * (size // 4)
        conns.append([s, msg, 0, b""])
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, conns[-1])
    done = 0
    deadline = time.time() + TIMEOUT
    while done < count and time.time() < deadline:
        for key, ev in sel.select(timeout=1):
            c = key.data
            s = c[0]
            if ev & selectors.EVENT_WRITE and c[2] < len(c[1]):
                c[2] += s.send(c[1][c[2]:])
                if c[2] == len(c[1]):
                    sel.modify(s, selectors.EVENT_READ, c)
            if ev & selectors.EVENT_READ:
                got = s.recv(65536)
                if not got:
                    c.append("closed by imsd")  # EOF before the whole echo
                    sel.unregister(s)
                    continue
                c[3] += got
                if len(c[3]) >= len(c[1]):
                    sel.unregister(s)
                    s.close()
                    done += 1 if c[3] == c[1] else 0
    print(f"{count} concurrent connections: {done} echoed correctly")
    if done != count:
        # Which ones, and how far they got: enough to tell a stall from a close.
        for i, c in enumerate(conns):
            if len(c[3]) < len(c[1]) or c[3] != c[1]:
                state = c[4] if len(c) > 4 else "open at the deadline"
                print(f"  connection {i} (local port {c[0].getsockname()[1] if c[0].fileno() >= 0 else '?'}): "
                      f"sent {c[2]}/{len(c[1])}, received {len(c[3])}, {state}")
    return done == count


def server(host, port, size):
    """Accepts one connection (imsd's source), reads to EOF, and checks that
    it received exactly `size` bytes of the lab pattern, byte k = 7k + 3."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    ls.settimeout(TIMEOUT)
    print("listening", flush=True)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    want = hashlib.sha256()
    for chunk in pattern(size):
        want.update(chunk)
    got = hashlib.sha256()
    n = 0
    t0 = time.time()
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        got.update(b)
        n += len(b)
    dt = time.time() - t0
    c.close()
    ok = n == size and got.digest() == want.digest()
    print(f"server received {n} bytes from imsd in {dt:.2f} s, pattern {'intact' if ok else 'WRONG'}")
    return ok


def reset(host, port):
    """Sends a little, then closes with RST (SO_LINGER 0)."""
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.sendall(b"x" * 100)
    s.recv(100)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("closed with RST")
    return True


if __name__ == "__main__":
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = [float(a) if "." in a else int(a) for a in sys.argv[4:]]
    fn = {"echo": echo, "sink": sink, "refused": refused, "many": many, "reset": reset,
          "server": server}[mode]
    sys.exit(0 if fn(host, port, *args) else 1)
