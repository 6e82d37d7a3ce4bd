#!/usr/bin/env python3
"""Segment-level conformance of imsd's TCP, in the spirit of packetdrill.

Runs in the peer's namespace. Crafted segments go out through the tap with a
raw AF_PACKET socket, from the namespace's own address but from ports no
kernel socket owns (the test's nftables rule keeps the kernel from seeing
imsd's answers, so it never resets them); imsd's exact answers are read back
from the same socket and checked field by field.

usage: tcp_conformance.py <iface> <peer-ip> <imsd-ip> <imsd-mac> <imsctl...>
Prints one "ok: ..." line per case; exits 1 on the first failure.
"""

import json
import os
import random
import socket
import struct
import subprocess
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
ECHO, SINK = 7, 9


class Failure(Exception):
    pass


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


class Seg:
    """One TCP segment as seen on the wire."""

    def __init__(self, sport, dport, seq, ack, flags, win, opts, data):
        self.sport, self.dport, self.seq, self.ack = sport, dport, seq, ack
        self.flags, self.win, self.opts, self.data = flags, win, opts, data

    def has(self, f):
        return self.flags & f == f

    def options(self):
        """The options as {kind: bytes}."""
        out, o = {}, self.opts
        i = 0
        while i < len(o):
            kind = o[i]
            if kind == 0:
                break
            if kind == 1:
                i += 1
                continue
            if i + 1 >= len(o) or o[i + 1] < 2:
                break
            out[kind] = o[i + 2 : i + o[i + 1]]
            i += o[i + 1]
        return out

    def tsval(self):
        ts = self.options().get(8)
        return struct.unpack("!II", ts) if ts else None

    def __repr__(self):
        names = "".join(n for f, n in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"), (ACK, ".")) if self.flags & f)
        return "<%d>%d %s seq=%d ack=%d win=%d len=%d" % (
            self.sport, self.dport, names, self.seq, self.ack, self.win, len(self.data))


class Wire:
    def __init__(self, iface, peer_ip, imsd_ip, imsd_mac):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        # The SYN flood case brings back 530 SYN-ACKs (and their
        # retransmissions) at once: with the default buffer (~300 frames of
        # skb overhead) a test process slowed by a loaded machine lost the
        # segments it waited for. Root may exceed rmem_max with SO_RCVBUFFORCE.
        self.sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
        self.sock.bind((iface, 0))
        self.iface = iface
        self.src_mac = self.sock.getsockname()[4]
        self.dst_mac = mac_bytes(imsd_mac)
        self.peer = socket.inet_aton(peer_ip)
        self.imsd = socket.inet_aton(imsd_ip)
        self.ts = 1000  # our RFC 7323 clock

    def send(self, sport, dport, seq, ack, flags, win=65535, opts=b"", data=b""):
        opts += b"\0" * (-len(opts) % 4)
        hl = 20 + len(opts)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                          (hl // 4) << 4, flags, win, 0, 0) + opts + data
        pseudo = self.peer + self.imsd + struct.pack("!BBH", 0, 6, len(tcp))
        c = csum(pseudo + tcp)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0,
                         self.peer, self.imsd)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        self.sock.send(self.dst_mac + self.src_mac + b"\x08\x00" + ip + tcp)

    def recv(self, port, timeout):
        """The next segment imsd sends to our `port`, or None after timeout s."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                frame, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                return None
            if addr[2] == PACKET_OUTGOING or len(frame) < 54 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            if ip[9] != 6 or ip[12:16] != self.imsd or ip[16:20] != self.peer:
                continue
            ihl = (ip[0] & 15) * 4
            total = struct.unpack("!H", ip[2:4])[0]
            tcp = ip[ihl:total]
            if csum(self.imsd + self.peer + struct.pack("!BBH", 0, 6, len(tcp)) + tcp) != 0:
                raise Failure("imsd sent a segment with a bad TCP checksum")
            sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
            if dport != port:
                continue
            hl = (off >> 4) * 4
            return Seg(sport, dport, seq, ack, flags, win, tcp[20:hl], tcp[hl:])

    def expect(self, port, what, timeout=1.0, pred=lambda s: True, skip=False):
        """The next segment to port, which must satisfy pred; with skip, the
        first that does (others, like window updates, are passed over)."""
        end = time.monotonic() + timeout
        while True:
            s = self.recv(port, max(end - time.monotonic(), 0))
            if s is None:
                raise Failure("%s: nothing from imsd within %.1f s" % (what, timeout))
            if pred(s):
                return s
            if not skip:
                raise Failure("%s: unexpected %r" % (what, s))

    def silent(self, port, what, timeout=0.3):
        s = self.recv(port, timeout)
        if s is not None:
            raise Failure("%s: expected nothing, got %r" % (what, s))

    def ts_opt(self, ecr=0, val=None):
        self.ts += 10
        return b"\x01\x01\x08\x0a" + struct.pack("!II", self.ts if val is None else val, ecr)


class Conn:
    """Our side of one connection to imsd's service `dport`."""

    def __init__(self, w, dport, mss=1000, wscale=2, ts=True, sack=True, win=65535):
        self.w, self.dport, self.ts = w, dport, ts
        self.sport = random.randint(50000, 59999)
        self.iss = random.randint(0, 0xFFFFFFFF)
        self.snd_nxt = (self.iss + 1) & 0xFFFFFFFF
        self.win = win
        self.ts_recent = 0
        opts = struct.pack("!BBH", 2, 4, mss)
        if wscale is not None:
            opts += struct.pack("!BBBB", 1, 3, 3, wscale)
        if sack:
            opts += b"\x01\x01\x04\x02"
        if ts:
            opts += w.ts_opt()
        self.syn_ts = w.ts
        self.syn_opts = opts

    def open(self):
        self.w.send(self.sport, self.dport, self.iss, 0, SYN, win=self.win, opts=self.syn_opts)
        sa = self.w.expect(self.sport, "SYN-ACK", pred=lambda s: s.flags == SYN | ACK)
        self.synack = sa
        self.irs = sa.seq
        self.rcv_nxt = (sa.seq + 1) & 0xFFFFFFFF
        self.note(sa)
        self.ack()
        return sa

    def note(self, s):
        if s.tsval():
            self.ts_recent = s.tsval()[0]

    def opts(self):
        return self.w.ts_opt(self.ts_recent) if self.ts else b""

    def send(self, flags, data=b"", seq=None, ack=None, win=None, opts=None):
        self.w.send(self.sport, self.dport, self.snd_nxt if seq is None else seq,
                    self.rcv_nxt if ack is None else ack, flags,
                    win=self.win if win is None else win,
                    opts=self.opts() if opts is None else opts, data=data)
        if seq is None:
            self.snd_nxt = (self.snd_nxt + len(data) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF

    def ack(self):
        self.send(ACK)

    def expect(self, what, timeout=1.0, pred=lambda s: True, skip=False):
        s = self.w.expect(self.sport, what, timeout, pred, skip)
        self.note(s)
        return s

    def data(self, n, what, timeout=2.0):
        """Reads n bytes of echoed data in order (ACKing as it goes)."""
        got = b""
        while len(got) < n:
            s = self.expect(what, timeout)
            if s.data and s.seq == self.rcv_nxt:
                got += s.data
                self.rcv_nxt = (self.rcv_nxt + len(s.data)) & 0xFFFFFFFF
                self.ack()
        return got

    def reset(self):
        self.send(RST | ACK)


def check(cond, what):
    if not cond:
        raise Failure(what)


# --- the cases ---------------------------------------------------------------------------------


def syn_ack_options(w, imsctl):
    c = Conn(w, ECHO, mss=1000, wscale=2)
    sa = c.open()
    o = sa.options()
    check(sa.ack == (c.iss + 1) & 0xFFFFFFFF, "SYN-ACK acknowledges our ISS + 1")
    check(o.get(2) == struct.pack("!H", 1460), "MSS 1460 from the port's MTU 1500, got %r" % o.get(2))
    check(o.get(3) == b"\x07", "window scale 7 offered back")
    check(4 in o, "SACK-permitted answered")
    check(sa.tsval() is not None and sa.tsval()[1] == c.syn_ts, "timestamps: our TSval echoed")
    check(sa.win == 65535, "SYN-ACK window is unscaled and clamped (RFC 7323 2.2), got %d" % sa.win)
    # Without our options: none back, and segments will carry no timestamps.
    d = Conn(w, ECHO, wscale=None, ts=False, sack=False)
    sa2 = d.open()
    check(set(sa2.options()) == {2}, "only MSS answers a SYN that offered only MSS: %r" % sa2.options())
    c.reset()
    d.reset()
    return "SYN-ACK: MSS 1460, WS 7, SACK-permitted, TS echoed, window 65535; bare SYN gets MSS only"


def out_of_window(w, imsctl):
    c = Conn(w, ECHO)
    c.open()
    far = (c.snd_nxt + 10 * 1024 * 1024) & 0xFFFFFFFF
    c.send(ACK | PSH, b"X" * 100, seq=far)
    a = c.expect("ACK for an out-of-window segment", pred=lambda s: s.flags == ACK)
    check(a.ack == c.snd_nxt and not a.data, "the ACK names rcv_nxt, nothing echoed: %r" % a)
    c.w.silent(c.sport, "no echo of out-of-window data")
    c.send(ACK | PSH, b"ok")
    check(c.data(2, "echo after") == b"ok", "the connection still works")
    c.reset()
    return "out-of-window data answered with ACK=rcv_nxt, not delivered; connection intact"


def challenge_ack(w, imsctl):
    c = Conn(w, ECHO)
    c.open()
    # RFC 5961 3.2: in the window but not exactly rcv_nxt: challenge ACK.
    c.send(RST, seq=(c.snd_nxt + 100) & 0xFFFFFFFF, opts=b"")
    a = c.expect("challenge ACK", pred=lambda s: s.flags == ACK)
    check(a.ack == c.snd_nxt, "challenge ACK carries rcv_nxt")
    # RFC 5961 4.2: a SYN on a synchronized connection: challenge ACK too.
    c.send(SYN, seq=(c.snd_nxt + 5) & 0xFFFFFFFF)
    a = c.expect("challenge ACK to SYN", pred=lambda s: s.flags == ACK)
    check(a.ack == c.snd_nxt, "challenge ACK to SYN carries rcv_nxt")
    c.send(ACK | PSH, b"alive")
    check(c.data(5, "echo after challenges") == b"alive", "connection survived both")
    # Exactly rcv_nxt: the connection goes; the next segment meets a RST.
    c.send(RST, opts=b"")
    c.w.silent(c.sport, "no answer to an exact RST")
    c.send(ACK | PSH, b"gone")
    c.expect("RST for a reset connection", pred=lambda s: s.has(RST))
    return "in-window RST and SYN get challenge ACKs (RFC 5961), exact RST resets"


def paws(w, imsctl):
    c = Conn(w, ECHO)
    c.open()
    c.send(ACK | PSH, b"new")
    check(c.data(3, "echo") == b"new", "echo before")
    # An old timestamp (well before the last one imsd saw): dropped, ACKed.
    old = w.ts - 100000
    c.send(ACK | PSH, b"old", opts=w.ts_opt(c.ts_recent, val=old & 0xFFFFFFFF))
    c.snd_nxt = (c.snd_nxt - 3) & 0xFFFFFFFF  # it was not taken
    a = c.expect("ACK to a PAWS-rejected segment", pred=lambda s: s.flags == ACK)
    check(a.ack == c.snd_nxt, "rcv_nxt unchanged by the old segment")
    c.w.silent(c.sport, "old segment not echoed")
    c.send(ACK | PSH, b"fresh")
    check(c.data(5, "echo after PAWS") == b"fresh", "fresh data after it is taken")
    c.reset()
    return "segment with an old TSval rejected by PAWS (RFC 7323 5), answered with ACK"


def rto_backoff(w, imsctl):
    c = Conn(w, ECHO)
    c.open()
    c.send(ACK | PSH, b"retransmit me")
    first = c.expect("echo", pred=lambda s: s.data == b"retransmit me")
    t = [time.monotonic()]
    for i in range(4):
        r = c.expect("retransmission %d" % (i + 1), timeout=10,
                     pred=lambda s: s.seq == first.seq and s.data == b"retransmit me")
        t.append(time.monotonic())
    gaps = [b - a for a, b in zip(t, t[1:])]
    check(0.15 <= gaps[0] <= 1.2, "first RTO between rto-min and 1 s: %.3f" % gaps[0])
    for a, b in zip(gaps, gaps[1:]):
        check(1.6 <= b / a <= 2.5, "RTO doubles each time (RFC 6298 5.5): gaps %s" %
              ", ".join("%.3f" % g for g in gaps))
    c.rcv_nxt = (c.rcv_nxt + len(first.data)) & 0xFFFFFFFF
    c.ack()
    c.reset()
    return "RTO retransmissions back off: gaps " + ", ".join("%.2f s" % g for g in gaps)


def fast_retransmit(w, imsctl):
    c = Conn(w, ECHO, mss=1000)
    c.open()
    blob = bytes(random.getrandbits(8) for _ in range(4000))
    for k in range(4):
        c.send(ACK | PSH, blob[k * 1000 : (k + 1) * 1000])
    # What the initial window lets imsd echo before any ACK from us (read
    # until a pause shorter than the 200 ms RTO, so no timeout intervenes).
    segs = []
    while True:
        s = c.w.recv(c.sport, 0.08)
        if s is None:
            break
        c.note(s)
        if s.data:
            segs.append(s)
    base = c.rcv_nxt
    check(len(segs) >= 3 and segs[0].seq == base, "several segments echoed: %r" % segs)
    # Acknowledge the first segment only, then three duplicates of that ACK.
    hole = (base + len(segs[0].data)) & 0xFFFFFFFF
    c.send(ACK, ack=hole)
    t0 = time.monotonic()
    for _ in range(3):
        c.send(ACK, ack=hole)
    r = c.expect("fast retransmission", timeout=1, skip=True,
                 pred=lambda s: s.seq == hole and bool(s.data))
    dt = time.monotonic() - t0
    check(dt < 0.1, "retransmitted on the third duplicate ACK, not by RTO (%.3f s)" % dt)
    by_off = {(x.seq - base) & 0xFFFFFFFF: x.data for x in segs}
    stream = b"".join(by_off[k] for k in sorted(by_off))
    off = len(segs[0].data)
    check(r.data == stream[off : off + len(r.data)], "the same bytes again: %r vs %r" % (
        r, [(x.seq - base) & 0xFFFFFFFF for x in segs]))
    c.reset()
    return "three duplicate ACKs: the segment after the ACK resent after %.1f ms (RFC 5681 3.2)" % (
        dt * 1000)


def window_scale(w, imsctl):
    # Shift 2 and a window field of 100: imsd may send 400 bytes, no more.
    c = Conn(w, ECHO, mss=1000, wscale=2, win=100)
    c.open()
    c.send(ACK | PSH, b"w" * 1000, win=100)
    # Distinct bytes (the RTO may resend them while we hold the ACK back).
    end = 0
    while True:
        s = c.w.recv(c.sport, 0.5)
        if s is None:
            break
        c.note(s)
        if s.data:
            end = max(end, ((s.seq - c.rcv_nxt) & 0xFFFFFFFF) + len(s.data))
    got = end
    check(got == 400, "exactly 100 << 2 = 400 bytes sent into the window, got %d" % got)
    # Open the window: the rest follows.
    c.rcv_nxt = (c.rcv_nxt + 400) & 0xFFFFFFFF
    c.send(ACK, win=1000)
    rest = c.data(600, "the rest after the window opened")
    check(len(rest) == 600, "600 more bytes")
    c.reset()
    return "peer window 100 with shift 2 honoured: 400 bytes, the rest when it opened"


def fin_states(w, imsctl):
    notes = []
    # ESTABLISHED -> CLOSE-WAIT -> LAST-ACK: our FIN is ACKed, the echo closes.
    c = Conn(w, ECHO)
    c.open()
    c.send(FIN | ACK)
    f = c.expect("ACK/FIN to our FIN", pred=lambda s: s.has(ACK) and s.ack == c.snd_nxt)
    if not f.has(FIN):
        f = c.expect("imsd's FIN (LAST-ACK)", pred=lambda s: s.has(FIN))
    c.rcv_nxt = (f.seq + 1) & 0xFFFFFFFF
    c.ack()
    c.w.silent(c.sport, "nothing after the last ACK")
    c.send(ACK | PSH, b"late")
    c.expect("RST once closed", pred=lambda s: s.has(RST))
    notes.append("ESTABLISHED/CLOSE-WAIT/LAST-ACK")

    # imsd closes first: an active open from the source, 100 bytes then FIN.
    def source_conn(port):
        subprocess.run(imsctl + ["tcp", "source", socket.inet_ntoa(w.peer), str(port), "100"],
                       check=True, stdout=subprocess.DEVNULL)
        syn = w.expect(port, "imsd's SYN", 2, lambda s: s.flags == SYN)
        d = Conn(w, syn.sport)
        d.sport = port  # our "local" port is the one imsd connected to
        d.note(syn)
        d.rcv_nxt = (syn.seq + 1) & 0xFFFFFFFF
        d.send(SYN | ACK, seq=d.iss, opts=struct.pack("!BBH", 2, 4, 1000) + d.opts())
        return d

    def data_and_fin(conn):
        got, fin = b"", None
        while len(got) < 100 or fin is None:
            s = conn.expect("source data and FIN", timeout=2)
            if s.data and s.seq == (conn.rcv_nxt + len(got)) & 0xFFFFFFFF:
                got += s.data
            if s.has(FIN):
                fin = s
        return got, fin

    # FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT.
    d = source_conn(5601)
    got, fin = data_and_fin(d)
    check(len(got) == 100, "100 bytes from the source")
    d.rcv_nxt = (fin.seq + len(fin.data) + 1) & 0xFFFFFFFF
    d.ack()  # FIN-WAIT-2
    d.send(FIN | ACK)
    a = d.expect("ACK of our FIN (TIME-WAIT)", pred=lambda s: s.flags == ACK)
    check(a.ack == d.snd_nxt, "our FIN acknowledged")
    # A retransmitted FIN in TIME-WAIT is acknowledged again (RFC 9293 3.10.7.4).
    d.send(FIN | ACK, seq=(d.snd_nxt - 1) & 0xFFFFFFFF)
    a = d.expect("ACK of a repeated FIN in TIME-WAIT", pred=lambda s: s.flags == ACK)
    check(a.ack == d.snd_nxt, "repeated FIN acknowledged")
    notes.append("FIN-WAIT-1/FIN-WAIT-2/TIME-WAIT")

    # Simultaneous close: FIN-WAIT-1 -> CLOSING -> TIME-WAIT.
    e = source_conn(5602)
    got, fin = data_and_fin(e)
    check(len(got) == 100, "100 bytes from the source")
    e.rcv_nxt = (fin.seq + len(fin.data)) & 0xFFFFFFFF
    # Our FIN acknowledges the data but not imsd's FIN: both sides closing.
    e.send(FIN | ACK)
    a = e.expect("ACK in CLOSING", pred=lambda s: s.has(ACK) and s.ack == e.snd_nxt)
    e.rcv_nxt = (e.rcv_nxt + 1) & 0xFFFFFFFF
    e.ack()
    e.w.silent(e.sport, "nothing once both FINs are acknowledged")
    notes.append("simultaneous close (CLOSING)")
    return "FIN handled in " + ", ".join(notes)


def syn_flood(w, imsctl):
    """max-half-open is 64 in this lab: a flood of SYNs turns the table over
    (oldest evicted, counted) and a handshake that completes within the
    time 64 newer SYNs take still succeeds."""
    # The flood's ports lie apart from the ones Conn picks (50000-59999): a
    # flood SYN from the real connection's port would be a second SYN on
    # its tuple, not a stranger's (about one run in a hundred before).
    flood = lambda n: [w.send(random.randint(30000, 39999), ECHO, random.getrandbits(32), 0, SYN)
                       for _ in range(n)]
    flood(500)
    c = Conn(w, ECHO)
    w.send(c.sport, ECHO, c.iss, 0, SYN, win=c.win, opts=c.syn_opts)
    flood(30)
    sa = c.expect("SYN-ACK amid the flood", timeout=2, skip=True, pred=lambda s: s.flags == SYN | ACK)
    c.irs, c.rcv_nxt = sa.seq, (sa.seq + 1) & 0xFFFFFFFF
    c.note(sa)
    c.ack()
    c.send(ACK | PSH, b"still here")
    check(c.data(10, "echo after the flood", timeout=3) == b"still here", "the handshake survived")
    c.reset()
    out = subprocess.run(imsctl + ["--json", "show", "tcp"], capture_output=True, text=True,
                         check=True).stdout
    evicted = json.loads(out)["total"]["syn_evicted"]
    check(evicted >= 400, "evictions counted: %d" % evicted)
    return "530 SYNs against a half-open limit of 64: %d evicted, a real handshake completed" % evicted


CASES = [syn_ack_options, out_of_window, challenge_ack, paws, rto_backoff, fast_retransmit,
         window_scale, fin_states, syn_flood]


def main():
    iface, peer_ip, imsd_ip, imsd_mac = sys.argv[1:5]
    imsctl = sys.argv[5:]
    w = Wire(iface, peer_ip, imsd_ip, imsd_mac)
    only = os.environ.get("CASE")
    failed = 0
    for case in CASES:
        if only and case.__name__ != only:
            continue
        try:
            print("ok: %s: %s" % (case.__name__, case(w, imsctl)), flush=True)
        except Failure as e:
            print("FAIL: %s: %s" % (case.__name__, e), flush=True)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
