#!/usr/bin/env python3
"""A large WARC for the memory and rate measurement of WARC ingest.

    bench/warcbig.py --tree DIR --out FILE.warc [--filler-mb N] [--gzip]

Writes one WARC/1.1 file: a response record (HTTP 200, text/html) for
every .html file under DIR at http://warcbig.example/PATH, each preceded
by its request record, then filler up to about N MB (default 2048) of
what a real crawl carries and ingest must stream past without keeping:
404 responses with large bodies, metadata and resource records, and
200 responses larger than the policy's max_size (refused as too large).
The filler is spread between the pages, so the reader meets it all the
way through.  --gzip writes each record as its own gzip member (what
wget --warc-file writes), to FILE.warc.gz.

The output depends only on the arguments.  Standard library only.
"""

import argparse
import datetime
import gzip
import os
import sys
import uuid

HOST = "http://warcbig.example/"
DATE = "2026-11-30T12:00:00Z"
CHUNK = 1 << 20


def rec_id(n):
    return "<urn:uuid:%s>" % uuid.UUID(int=n)


def header(kind, uri, n, length, ctype, extra=()):
    lines = ["WARC/1.1", "WARC-Type: " + kind, "WARC-Record-ID: " + rec_id(n),
             "WARC-Date: " + DATE]
    if uri:
        lines.append("WARC-Target-URI: " + uri)
    lines += list(extra)
    lines += ["Content-Type: " + ctype, "Content-Length: %d" % length]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Out:
    def __init__(self, path, gz):
        self.f = open(path, "wb")
        self.gz = gz
        self.n = 0
        self.bytes = 0

    def record(self, kind, uri, ctype, head, body_len, fill=b"x",
               body=None, extra=()):
        """One record: head (bytes) then body_len bytes of fill, or body."""
        self.n += 1
        payload_len = len(head) + (len(body) if body is not None else body_len)
        parts = [header(kind, uri, self.n, payload_len, ctype, extra), head]
        w = gzip.GzipFile(fileobj=self.f, mode="wb", compresslevel=1,
                          mtime=0) if self.gz else self.f
        for p in parts:
            w.write(p)
        if body is not None:
            w.write(body)
        else:
            block = (fill * (CHUNK // len(fill) + 1))[:CHUNK]
            left = body_len
            while left > 0:
                k = min(left, CHUNK)
                w.write(block[:k])
                left -= k
        w.write(b"\r\n\r\n")
        if self.gz:
            w.close()
        self.bytes += payload_len

    def close(self):
        self.f.close()


def http_head(status, reason, ctype, length):
    return ("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            "\r\n" % (status, reason, ctype, length)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--filler-mb", type=int, default=2048)
    ap.add_argument("--gzip", action="store_true")
    a = ap.parse_args()

    pages = []
    for root, dirs, files in os.walk(a.tree):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".html"):
                p = os.path.join(root, f)
                pages.append(os.path.relpath(p, a.tree))
    if not pages:
        print("warcbig: no .html under %s" % a.tree, file=sys.stderr)
        return 1
    out = Out(a.out, a.gzip)
    out.record("warcinfo", None, "application/warc-fields",
               b"software: bench/warcbig.py\r\nformat: WARC File Format 1.1\r\n",
               0, body=b"")
    filler = a.filler_mb * CHUNK
    # Filler kinds in turn, each about 1/len of the total: bodies of 4-64 MB.
    kinds = ["404", "metadata", "resource", "toolarge"]
    per_page = filler // len(pages)
    owed = 0
    k = 0
    for i, rel in enumerate(pages):
        uri = HOST + rel
        with open(os.path.join(a.tree, rel), "rb") as f:
            body = f.read()
        req = ("GET /%s HTTP/1.1\r\nHost: warcbig.example\r\n\r\n" % rel).encode()
        out.record("request", uri, "application/http; msgtype=request", req, 0,
                   body=b"")
        out.record("response", uri, "application/http; msgtype=response",
                   http_head(200, "OK", "text/html; charset=utf-8", len(body)),
                   0, body=body)
        owed += per_page
        while owed >= 4 * CHUNK:
            size = min(owed, (4 + (k * 7) % 61) * CHUNK)
            kind = kinds[k % len(kinds)]
            k += 1
            owed -= size
            if kind == "404":
                out.record("response", HOST + "missing/%d" % k,
                           "application/http; msgtype=response",
                           http_head(404, "Not Found", "text/html", size),
                           size, fill=b"<p>not found</p>\n")
            elif kind == "metadata":
                out.record("metadata", HOST + "meta/%d" % k,
                           "application/warc-fields", b"", size,
                           fill=b"outlink: http://warcbig.example/x\r\n")
            elif kind == "resource":
                out.record("resource", "dns:warcbig.example/%d" % k,
                           "text/dns", b"", size, fill=b"warcbig.example. 60 IN A 10.0.0.1\n")
            else:
                out.record("response", HOST + "big/%d.bin" % k,
                           "application/http; msgtype=response",
                           http_head(200, "OK", "application/octet-stream", size),
                           size, fill=bytes(range(256)))
    out.close()
    print("warcbig: %d pages, %d records, %.1f MB of records, %s" % (
        len(pages), out.n, out.bytes / CHUNK, a.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
