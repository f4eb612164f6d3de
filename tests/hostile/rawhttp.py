"""Raw HTTP over a fresh loopback connection, for the H rows.

    send(port, data, timeout=3, half_close=True, source="127.0.0.1")
        -> Result(statuses, raw, closed, seconds, error)

Sends the bytes as they are (no client normalises them), then (with
half_close) shuts the write side, so the server sees the end of the
request; reads until the server closes or `timeout` passes.  `statuses` is
every status code of every "HTTP/1.x NNN" status line found at the start
of a response (a second one means two responses on one connection).
"""
import re
import socket
import time
from collections import namedtuple

Result = namedtuple("Result", "statuses raw closed seconds error")
_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


def _statuses(raw):
    """Status codes of the responses in raw, walking Content-Length."""
    out = []
    i = 0
    while True:
        m = _STATUS.match(raw, i)
        if not m:
            break
        out.append(int(m.group(1)))
        end = raw.find(b"\r\n\r\n", i)
        if end < 0:
            break
        head = raw[i:end].decode("latin1")
        cl = re.search(r"(?im)^content-length:\s*(\d+)", head)
        i = end + 4 + (int(cl.group(1)) if cl else 0)
    # A status line anywhere else (inside a body) also counts: an answer
    # to a smuggled request.
    extra = len(_STATUS.findall(raw)) - len(out)
    return out + [0] * max(0, extra)


def _complete(raw):
    """1 when raw holds at least one whole response (headers and body)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = raw[:end].decode("latin1")
    cl = re.search(r"(?im)^content-length:\s*(\d+)", head)
    return len(raw) >= end + 4 + (int(cl.group(1)) if cl else 0)


def send(port, data, timeout=3.0, half_close=True, source="127.0.0.1",
         pause=None, rest=b"", linger=0.5):
    """linger: once a whole response is in, how long to wait for more (a
    second, smuggled response comes at once) before giving up on a close
    (a keep-alive server may wait for its idle timeout)."""
    t0 = time.monotonic()
    err = None
    raw = b""
    closed = False
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                 source_address=(source, 0))
    try:
        s.sendall(data)
        if pause is not None:
            time.sleep(pause)
            try:
                s.sendall(rest)
            except OSError as e:
                err = type(e).__name__
        if half_close:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        while True:
            left = timeout - (time.monotonic() - t0)
            if _complete(raw):
                left = min(left, linger)
            if left <= 0:
                break
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            except OSError as e:  # a reset after the answer: closed
                err = err or type(e).__name__
                closed = True
                break
            if not d:
                closed = True
                break
            raw += d
    finally:
        s.close()
    return Result(_statuses(raw), raw, closed, time.monotonic() - t0, err)


def get(port, path, source="127.0.0.1", headers=""):
    """A well-formed GET from source, connection closed after:
    (status, raw)."""
    r = send(port, ("GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n"
                    % (path, headers)).encode("latin1"), source=source)
    return (r.statuses[0] if r.statuses else 0), r.raw
