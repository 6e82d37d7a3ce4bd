#!/usr/bin/env python3
"""MSRP peers for the relay's lab test (kernel sockets, python3's standard
library only).

  msrp_peer.py server <ip> <port> <our-uri> <imsd-uri> <report.json> [status-rules]
      Leg B: accepts imsd's connection, answers each SEND (200, or the status a
      rule names for a Message-ID: "mid=413,mid2=415"), checks To-Path is
      <our-uri> and From-Path is <imsd-uri> (or, "-", the same on every
      request, reported as imsd_path), reassembles messages by
      Message-ID and Byte-Range, and on SIGTERM (or after the "quit"
      Message-ID) writes what it saw to report.json.
  msrp_peer.py client <imsd-ip> <port> <our-uri> <imsd-uri> <scenario>
      Leg A: connects and runs a scenario (text, file, abort, statuses,
      unknown), printing "ok: ..." lines; exit 1 on the first failure.
"""

import hashlib
import json
import os
import random
import signal
import socket
import string
import threading
import sys
import time

TIMEOUT = 20


def tid():
    return "".join(random.choice(string.ascii_letters + string.digits) for _ in range(10))


class Stream:
    """MSRP framing over a socket: one message at a time."""

    def __init__(self, sock):
        self.s = sock
        self.buf = b""

    def read_message(self):
        """(start line, headers dict, body, flag, raw)."""
        while True:
            m = self.try_parse()
            if m:
                return m
            d = self.s.recv(1 << 16)
            if not d:
                return None
            self.buf += d

    def try_parse(self):
        end_hdr = self.buf.find(b"\r\n")
        if end_hdr < 0:
            return None
        start = self.buf[:end_hdr].decode()
        parts = start.split(" ")
        t = parts[1]
        delim_nobody = b"\r\n-------" + t.encode()
        # Headers end at CRLF CRLF (body follows) or at the end-line.
        i = end_hdr + 2
        headers = []
        while True:
            j = self.buf.find(b"\r\n", i)
            if j < 0:
                return None
            line = self.buf[i:j]
            if line.startswith(b"-------" + t.encode()):
                flag = chr(line[-1])
                raw = self.buf[: j + 2]
                self.buf = self.buf[j + 2 :]
                return start, headers, b"", flag, raw
            if line == b"":
                body_start = j + 2
                k = self.buf.find(delim_nobody, body_start - 2)
                if k < 0 or len(self.buf) < k + len(delim_nobody) + 3:
                    return None
                body = self.buf[body_start:k] if k >= body_start else b""
                flag = chr(self.buf[k + len(delim_nobody)])
                end = k + len(delim_nobody) + 3
                raw = self.buf[:end]
                self.buf = self.buf[end:]
                return start, headers, body, flag, raw
            name, _, value = line.decode().partition(":")
            headers.append((name, value.strip()))
            i = j + 2

    def send(self, data):
        self.s.sendall(data)


def hget(headers, name):
    for n, v in headers:
        if n.lower() == name.lower():
            return v
    return None


def send_request(st, to_path, from_path, body=None, mid=None, byte_range=None, flag="$",
                 ctype="text/plain", extra=()):
    t = tid()
    h = "MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\n" % (t, to_path, from_path)
    if mid:
        h += "Message-ID: %s\r\n" % mid
    if byte_range:
        h += "Byte-Range: %s\r\n" % byte_range
    for e in extra:
        h += e + "\r\n"
    if body is not None:
        h += "Content-Type: %s\r\n\r\n" % ctype
        st.send(h.encode() + body + ("\r\n-------%s%s\r\n" % (t, flag)).encode())
    else:
        st.send((h + "-------%s%s\r\n" % (t, flag)).encode())
    return t


def sends(st):
    """The SEND requests of a stream, until it closes: (start-line words,
    headers, body, flag); responses and REPORTs are skipped."""
    while True:
        m = st.read_message()
        if m is None:
            return
        start, headers, body, flag, raw = m
        parts = start.split(" ")
        if len(parts) >= 3 and parts[2] == "SEND":
            yield parts, headers, body, flag


def listen_on(ip, port):
    """A listening socket; "listening" on stdout tells the test it is up."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((ip, int(port)))
    ls.listen(4)
    ls.settimeout(TIMEOUT)
    print("listening", flush=True)
    return ls


def server(ip, port, our_uri, imsd_uri, report, rules=""):
    status_for = {}
    slow = 0.0  # "slow=<ms>": a reader that takes its time over each message
    for r in filter(None, rules.split(",")):
        k, v = r.split("=")
        if k == "slow":
            slow = int(v) / 1000.0
        else:
            status_for[k] = int(v)
    ls = listen_on(ip, port)
    seen = {"requests": 0, "bad_paths": 0, "messages": {}, "flags": {}, "tids": [], "headers": {}}
    done = {"stop": False}

    def write_report(*_):
        for mid, m in seen["messages"].items():
            m["sha256"] = hashlib.sha256(bytes(m.pop("data"))).hexdigest()
        with open(report, "w") as f:
            json.dump(seen, f)
        sys.exit(0)

    signal.signal(signal.SIGTERM, write_report)
    c, _ = ls.accept()
    c.settimeout(60)
    st = Stream(c)
    for parts, headers, body, flag in sends(st):
        if slow:
            time.sleep(slow)
        seen["requests"] += 1
        seen["tids"].append(parts[1])
        # imsd-uri "-": imsd's URI is not known in advance (a B2BUA call sets
        # it up); the one seen is reported.
        seen.setdefault("imsd_path", hget(headers, "From-Path"))
        if hget(headers, "To-Path") != our_uri or (
                hget(headers, "From-Path") != (seen["imsd_path"] if imsd_uri == "-" else imsd_uri)):
            seen["bad_paths"] += 1
        mid = hget(headers, "Message-ID")
        status = status_for.get(mid, 200)
        if status and hget(headers, "Failure-Report") != "no":  # 0: never answer
            st.send(("MSRP %s %d %s\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n" %
                     (parts[1], status, "OK" if status == 200 else "Refused",
                      hget(headers, "From-Path"), our_uri, parts[1])).encode())
        if mid is None:
            continue  # the bodiless SEND that binds the connection
        seen["headers"][mid] = headers
        if mid.startswith("m-rep"):
            # The far side's delivery report, with the recipients it reached.
            rt = tid()
            st.send(("MSRP %s REPORT\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: %s\r\n"
                     "Byte-Range: 1-%d/%d\r\nStatus: 000 200 OK\r\nDistribution-Count: 3\r\n"
                     "-------%s$\r\n" % (rt, hget(headers, "From-Path"), our_uri, mid, len(body),
                                          len(body), rt)).encode())
        seen["flags"].setdefault(mid, []).append(flag)
        msg = seen["messages"].setdefault(mid, {"data": bytearray(), "chunks": 0})
        br = hget(headers, "Byte-Range") or "1-*/*"
        first = int(br.split("-")[0])
        if len(msg["data"]) < first - 1 + len(body):
            msg["data"].extend(b"\0" * (first - 1 + len(body) - len(msg["data"])))
        msg["data"][first - 1 : first - 1 + len(body)] = body
        msg["chunks"] += 1
        if mid == "quit":
            break
    write_report()


def shared_server(ip, port, report):
    """One next hop for several sessions: imsd should open one connection and
    bind every session on it. Answers 200, records each SEND's To-Path, counts
    any further connection, and reports when imsd closes it."""
    ls = listen_on(ip, port)
    seen = {"binds": [], "messages": [], "extra_conns": 0}
    c, _ = ls.accept()
    c.settimeout(90)

    def more():
        ls.settimeout(0.5)
        while not seen.get("done"):
            try:
                x, _ = ls.accept()
                seen["extra_conns"] += 1
                x.close()
            except (socket.timeout, TimeoutError):
                pass

    threading.Thread(target=more, daemon=True).start()
    st = Stream(c)
    # Messages in parts (imsd interrupts a chunk on this shared connection
    # for another session's request): each part's Byte-Range start, flag
    # and size, and the whole body's SHA-256 once it ends.
    bodies = {}
    seen["parts"] = {}
    seen["sha256"] = {}
    for parts, headers, body, flag in sends(st):
        to = hget(headers, "To-Path")
        st.send(("MSRP %s 200 OK\r\nTo-Path: %s\r\nFrom-Path: %s\r\n-------%s$\r\n" %
                 (parts[1], hget(headers, "From-Path"), to, parts[1])).encode())
        mid = hget(headers, "Message-ID")
        if mid is None:
            seen["binds"].append(to)
            continue
        start = int((hget(headers, "Byte-Range") or "1-*/*").split("-")[0])
        seen["parts"].setdefault(mid, []).append([start, flag, len(body), to])
        bodies[mid] = bodies.get(mid, b"") + body
        if flag != "+":
            seen["messages"].append([mid, to])
            seen["sha256"][mid] = hashlib.sha256(bodies[mid]).hexdigest()
    seen["done"] = True
    with open(report, "w") as f:
        json.dump(seen, f)


def pair_client(ip, port, our_uri, imsd_uri_1, imsd_uri_2, size):
    """Two connections, one per session, each streaming one large chunk at
    the same time, in 8 KiB writes that alternate between them: on the far
    side both sessions share one connection, where imsd must interrupt one
    chunk for the other. Prints each body's SHA-256 as JSON."""
    import base64
    size = int(size)
    socks, sts, tids, shas = [], [], [], {}
    pieces = []
    for n, uri in enumerate((imsd_uri_1, imsd_uri_2)):
        s = socket.create_connection((ip, int(port)), timeout=TIMEOUT)
        socks.append(s)
        sts.append(Stream(s))
        mid = "m-big%d" % (n + 1)
        data = base64.b64encode(os.urandom(size * 3 // 4 + 3))[:size]
        shas[mid] = hashlib.sha256(data).hexdigest()
        t = tid()
        tids.append(t)
        head = ("MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: %s\r\n"
                "Byte-Range: 1-%d/%d\r\nContent-Type: text/plain\r\n\r\n" %
                (t, uri, our_uri, mid, size, size)).encode()
        whole = head + data + ("\r\n-------%s$\r\n" % t).encode()
        pieces.append([whole[i : i + 8192] for i in range(0, len(whole), 8192)])
    for i in range(max(len(p) for p in pieces)):
        for n in range(2):
            if i < len(pieces[n]):
                socks[n].sendall(pieces[n][i])
        time.sleep(0.002)
    for n in range(2):
        expect_response(sts[n], tids[n], 200, "large chunk %d" % (n + 1))
        socks[n].close()
    print(json.dumps(shas))


def expect_response(st, t, want, what):
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        m = st.read_message()
        if m is None:
            raise SystemExit("FAIL: %s: connection closed" % what)
        start, headers, body, flag, raw = m
        parts = start.split(" ")
        if parts[1] == t:
            if int(parts[2]) != want:
                raise SystemExit("FAIL: %s: got %s, wanted %d" % (what, start, want))
            return headers
    raise SystemExit("FAIL: %s: no response" % what)


def collect(st, seconds):
    """Every message that arrives within `seconds`."""
    got = []
    end = time.time() + seconds
    while time.time() < end:
        st.s.settimeout(max(0.05, end - time.time()))
        try:
            m = st.read_message()
        except (socket.timeout, TimeoutError):
            break
        if m is None:
            break
        got.append(m)
    st.s.settimeout(TIMEOUT)
    return got


def client(ip, port, our_uri, imsd_uri, scenario):
    s = socket.create_connection((ip, int(port)), timeout=TIMEOUT)
    st = Stream(s)
    if scenario == "text":
        t = send_request(st, imsd_uri, our_uri, b"Hey Bob, are you there?", mid="m-text",
                         byte_range="1-23/23", extra=("Success-Report: no",))
        h = expect_response(st, t, 200, "text message")
        if hget(h, "To-Path") != our_uri or hget(h, "From-Path") != imsd_uri:
            raise SystemExit("FAIL: response paths %r" % h)
        print("ok: text message relayed, 200 back on our transaction with our paths")
    elif scenario == "file":
        # Random bytes in base64 (text): Wireshark's MSRP dissector reports
        # binary bodies split over TCP segments as malformed, whoever sends
        # them, so the capture check needs text. Binary transparency is the
        # parser's unit tests' business (CR, LF and '-' runs in bodies).
        size, chunk = 5 * 1024 * 1024, 2048
        import base64
        data = base64.b64encode(os.urandom(size * 3 // 4))[:size]
        # Send from a thread while this one reads the responses: an MSRP
        # endpoint must read while it writes (one that does not would stall
        # any flow-controlled relay once the responses fill its window).
        tids = []
        lock = threading.Lock()

        def sender():
            for off in range(0, size, chunk):
                part = data[off : off + chunk]
                last = off + chunk >= size
                t = send_request(st, imsd_uri, our_uri, part, mid="m-file",
                                 byte_range="%d-%d/%d" % (off + 1, off + len(part), size),
                                 flag="$" if last else "+")
                with lock:
                    tids.append(t)

        th = threading.Thread(target=sender, daemon=True)
        th.start()
        got = 0
        answered = set()
        deadline = time.time() + 120
        n_chunks = (size + chunk - 1) // chunk
        while got < n_chunks and time.time() < deadline:
            m = st.read_message()
            if m is None:
                raise SystemExit("FAIL: file: connection closed")
            parts = m[0].split(" ")
            if parts[2] == "200" and parts[1] not in answered:
                answered.add(parts[1])
                got += 1
        th.join(5)
        want = set(tids) - answered
        while want and time.time() < deadline:
            m = st.read_message()
            if m is None:
                raise SystemExit("FAIL: file: connection closed")
            t = m[0].split(" ")[1]
            if t in want and m[0].split(" ")[2] == "200":
                want.discard(t)
                got += 1
        if want:
            raise SystemExit("FAIL: file: %d chunks unanswered" % len(want))
        print("ok: 5 MiB file in %d chunks of 2 KiB, every chunk answered 200 sha256=%s" %
              (got, hashlib.sha256(data).hexdigest()))
    elif scenario == "abort":
        t1 = send_request(st, imsd_uri, our_uri, b"x" * 1000, mid="m-abort",
                          byte_range="1-1000/5000", flag="+")
        expect_response(st, t1, 200, "first chunk")
        t2 = send_request(st, imsd_uri, our_uri, b"y" * 500, mid="m-abort",
                          byte_range="1001-1500/5000", flag="#")
        expect_response(st, t2, 200, "aborted chunk")
        print("ok: a message aborted with # after two chunks")
    elif scenario == "statuses":
        for mid, code in (("m-413", 413), ("m-415", 415)):
            t = send_request(st, imsd_uri, our_uri, b"refuse me", mid=mid, byte_range="1-9/9")
            expect_response(st, t, code, "far side's %d" % code)
        print("ok: the far side's 413 and 415 reached the sender")
    elif scenario == "timeout":
        # RFC 4975 7.3: a response is awaited from when the request has been
        # sent, its end-line. A chunk streamed for 4 s, longer than the 3 s
        # timeout, is answered by the far side, not 408 by imsd.
        t = tid()
        body = b"slow" * 300
        st.send(("MSRP %s SEND\r\nTo-Path: %s\r\nFrom-Path: %s\r\nMessage-ID: m-slow\r\n"
                 "Byte-Range: 1-%d/%d\r\nContent-Type: text/plain\r\n\r\n" %
                 (t, imsd_uri, our_uri, len(body), len(body))).encode() + body[:400])
        time.sleep(2.0)
        st.send(body[400:800])
        time.sleep(2.0)
        st.send(body[800:] + ("\r\n-------%s$\r\n" % t).encode())
        expect_response(st, t, 200, "a chunk streamed for 4 s (response timeout 3 s)")
        print("ok: a chunk streamed for 4 s, over the 3 s response timeout, got the far side's 200")
        # RFC 4975 5.3: Failure-Report: partial asks for failures only. The
        # far side's 200 does not come back; its 413 does.
        t = send_request(st, imsd_uri, our_uri, b"quietly", mid="m-partial", byte_range="1-7/7",
                         extra=("Failure-Report: partial",))
        got = [m for m in collect(st, 1.0) if m[0].split(" ")[1] == t]
        if got:
            raise SystemExit("FAIL: Failure-Report: partial: got %r" % got[0][0])
        t = send_request(st, imsd_uri, our_uri, b"quietly", mid="m-partial-413",
                         byte_range="1-7/7", extra=("Failure-Report: partial",))
        expect_response(st, t, 413, "Failure-Report: partial, refused by the far side")
        print("ok: Failure-Report: partial: the far side's 200 not sent back, its 413 was")
        t0 = time.time()
        t = send_request(st, imsd_uri, our_uri, b"anyone?", mid="m-408", byte_range="1-7/7")
        expect_response(st, t, 408, "no answer from the far side")
        took = time.time() - t0
        if took < 2.5:
            raise SystemExit("FAIL: 408 after %.2f s, before the 3 s timeout" % took)
        print("ok: the far side never answered: 408 after %.1f s (RFC 4975 7.3)" % took)
    elif scenario == "unknown":
        t = tid()
        st.send(("MSRP %s NICKNAME\r\nTo-Path: %s\r\nFrom-Path: %s\r\nUse-Nickname: \"al\"\r\n"
                 "-------%s$\r\n" % (t, imsd_uri, our_uri, t)).encode())
        expect_response(st, t, 501, "unknown method")
        print("ok: an unknown method (NICKNAME) gets 501")
        bogus = imsd_uri.rsplit("/", 1)[0] + "/NoSuchSession0000000;tcp"
        t = send_request(st, bogus, our_uri, b"hello?", mid="m-x", byte_range="1-6/6")
        expect_response(st, t, 481, "unknown session")
        print("ok: a request naming no session gets 481")
    elif scenario == "reports":
        # imsd asks for sent counts on this leg (imsctl msrp reports <id> a).
        t = send_request(st, imsd_uri, our_uri, b"count me", mid="m-rep-yes", byte_range="1-8/8",
                         extra=("Success-Report: yes",))
        got = collect(st, 2.0)
        if not any(m[0].split(" ")[1] == t and m[0].split(" ")[2] == "200" for m in got):
            raise SystemExit("FAIL: reports: no 200 for m-rep-yes")
        reps = [m for m in got if m[0].endswith("REPORT") and hget(m[1], "Message-ID") == "m-rep-yes"]
        if len(reps) != 1 or hget(reps[0][1], "Distribution-Count") != "3":
            raise SystemExit("FAIL: reports: the REPORT the client asked for: %r" % reps)
        t = send_request(st, imsd_uri, our_uri, b"count me too", mid="m-rep-none",
                         byte_range="1-12/12")
        got = collect(st, 2.0)
        if not any(m[0].split(" ")[1] == t and m[0].split(" ")[2] == "200" for m in got):
            raise SystemExit("FAIL: reports: no 200 for m-rep-none")
        if any(m[0].endswith("REPORT") for m in got):
            raise SystemExit("FAIL: reports: a REPORT the client never asked for reached it")
        print("ok: Success-Report yes: the REPORT with Distribution-Count 3 relayed; "
              "none asked: imsd asked and consumed it")
    elif scenario == "policy":
        # Content rules of the lab settings: block /forbidden\s+fruit/ (rule 7),
        # count /tally/ (rule 8); the session accepts text/plain and
        # message/cpim (wrapped: text/plain) up to 6,000,000 bytes.
        def refused(t, code, what, report=False):
            got = collect(st, 1.5)
            if not any(m[0].split(" ")[1] == t and m[0].split(" ")[2] == str(code) for m in got):
                raise SystemExit("FAIL: %s: no %d in %r" % (what, code, [m[0] for m in got]))
            reps = [m for m in got if m[0].endswith("REPORT")]
            if report and not (len(reps) == 1 and (hget(reps[0][1], "Status") or "").startswith("000 %d" % code)):
                raise SystemExit("FAIL: %s: Failure REPORT: %r" % (what, [(m[0], m[1]) for m in reps]))
            if not report and reps:
                raise SystemExit("FAIL: %s: a REPORT nobody asked for" % what)
        # A blocked pattern split across two chunks.
        first = b"a harmless start, then the forbidden  fr"
        t = send_request(st, imsd_uri, our_uri, first, mid="m-block", flag="+",
                         byte_range="1-%d/200" % len(first), extra=("Failure-Report: yes",))
        expect_response(st, t, 200, "first half of the pattern")
        second = b"uit and the rest of it"
        t = send_request(st, imsd_uri, our_uri, second, mid="m-block", flag="+",
                         byte_range="%d-%d/200" % (len(first) + 1, len(first) + len(second)),
                         extra=("Failure-Report: yes",))
        refused(t, 403, "the chunk completing a blocked pattern", report=True)
        t = send_request(st, imsd_uri, our_uri, b"more", mid="m-block",
                         byte_range="%d-%d/200" % (len(first) + len(second) + 1,
                                                   len(first) + len(second) + 4))
        refused(t, 403, "a later chunk of the blocked message")
        # A count rule only counts.
        t = send_request(st, imsd_uri, our_uri, b"tally ho", mid="m-count", byte_range="1-8/8")
        expect_response(st, t, 200, "count rule")
        # Types: the session's a=accept-types, and the type inside CPIM.
        t = send_request(st, imsd_uri, our_uri, b"\x89PNG", mid="m-png", byte_range="1-4/4",
                         ctype="image/png")
        refused(t, 415, "image/png")
        cpim = (b"From: <sip:alice@example.com>\r\nTo: <sip:bob@example.com>\r\n"
                b"DateTime: 2026-11-24T10:00:00Z\r\n\r\nContent-Type: %s\r\n\r\n%s")
        body = cpim % (b"text/html", b"<b>hi</b>")
        t = send_request(st, imsd_uri, our_uri, body, mid="m-cpim-html",
                         byte_range="1-%d/%d" % (len(body), len(body)), ctype="message/cpim")
        refused(t, 415, "text/html inside CPIM")
        body = cpim % (b"text/plain", b"hello inside CPIM")
        t = send_request(st, imsd_uri, our_uri, body, mid="m-cpim-ok",
                         byte_range="1-%d/%d" % (len(body), len(body)), ctype="message/cpim")
        expect_response(st, t, 200, "text/plain inside CPIM")
        body = cpim % (b"text/plain", b"the forbidden fruit, wrapped")
        t = send_request(st, imsd_uri, our_uri, body, mid="m-cpim-block",
                         byte_range="1-%d/%d" % (len(body), len(body)), ctype="message/cpim")
        refused(t, 403, "a blocked pattern inside CPIM")
        # Sizes: a=max-size 6,000,000: a declared total over it, and one
        # that grows past it with an unknown total.
        t = send_request(st, imsd_uri, our_uri, b"x" * 100, mid="m-big",
                         byte_range="1-100/7000000")
        refused(t, 413, "a declared total over a=max-size")
        big = b"y" * 65536
        off = 0
        for i in range(92):  # 92 x 64 KiB = 6,029,312 bytes
            t = send_request(st, imsd_uri, our_uri, big, mid="m-grow", flag="+",
                             byte_range="%d-%d/*" % (off + 1, off + len(big)))
            off += len(big)
            want = 200 if off <= 6000000 else 413
            if want == 413:
                refused(t, 413, "a message growing past a=max-size")
            else:
                expect_response(st, t, 200, "chunk %d of a growing message" % i)
        print("ok: content policy: a pattern split over two chunks blocked (403 + Failure "
              "REPORT, later chunks 403), count rule, 415 for image/png and text/html in CPIM, "
              "CPIM text/plain relayed and its blocked body refused, 413 declared and grown")
    elif scenario == "policy-live":
        # After a settings apply that added /pineapple/ (rule 9): the new rule
        # blocks, the old ones still do, other messages pass.
        t = send_request(st, imsd_uri, our_uri, b"pineapple pizza", mid="m-live",
                         byte_range="1-15/15")
        expect_response(st, t, 403, "a rule added live")
        t = send_request(st, imsd_uri, our_uri, b"forbidden fruit", mid="m-live-old",
                         byte_range="1-15/15")
        expect_response(st, t, 403, "the rules already there")
        t = send_request(st, imsd_uri, our_uri, b"apple pie", mid="m-live-ok", byte_range="1-9/9")
        expect_response(st, t, 200, "a message no rule matches")
        print("ok: a content rule added live blocks the next message; the others still apply")
    elif scenario == "quit":
        t = send_request(st, imsd_uri, our_uri, b"bye", mid="quit", byte_range="1-3/3")
        expect_response(st, t, 200, "last message")
        print("ok: last message relayed")
    else:
        raise SystemExit("unknown scenario " + scenario)
    s.close()


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(*sys.argv[2:])
    elif sys.argv[1] == "shared-server":
        shared_server(*sys.argv[2:])
    elif sys.argv[1] == "pair-client":
        pair_client(*sys.argv[2:])
    else:
        client(*sys.argv[2:])
