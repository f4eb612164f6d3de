#!/usr/bin/env python3
"""Regenerates the fixtures of tests/check_extract.c in this directory.

The fixtures are committed; this script documents how each one was made and
rebuilds them byte for byte (fixed seed, gzip mtime 0).  Run it from any
directory: python3 tests/data/extract/regenerate.py
"""
import gzip
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def put(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def pdf(lines):
    """A minimal one-page PDF 1.4: uncompressed content, Helvetica with
    WinAnsiEncoding, an Info dictionary, a correct xref table."""
    esc = [l.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
           for l in lines]
    content = ("BT /F1 18 Tf 72 720 Td 22 TL\n" +
               "".join("(%s) Tj T*\n" % l for l in esc) + "ET\n")
    cb = content.encode("cp1252")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
        b"/Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(cb) + cb + b"endstream",
        b"<< /Title (Extraction fixture) /Producer (hand-written) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\n"
            b"startxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return bytes(out)


def main():
    hello = pdf(["Kwangmyong portal extraction test",
                 "Second line: caf\xe9 and r\xe9sum\xe9"])
    put("hello.pdf", hello)
    # Cut inside the first objects: no xref, no trailer.
    put("truncated.pdf", hello[:300])
    # The same PDF without a name hint: detection must sniff the magic.
    put("report", hello)
    put("fake.pdf", b"This is plain text pretending to be a PDF.\n")

    put("korean-euckr.html", (
        '<!DOCTYPE html>\n<html><head>\n'
        '<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">\n'
        '<title>\uad11\uba85 \ubb38\uc11c</title></head>\n'
        '<body><p>\uc870\uc120\uc5b4 \uacfc\ud559 \uae30\uc220 '
        '\uc790\ub8cc\uc785\ub2c8\ub2e4.</p></body></html>\n'
    ).encode("euc-kr"))
    # U+B620 is in CP949 (UHC) but not in EUC-KR (KS X 1001).
    put("cp949-undeclared.txt",
        "\ub620\ubc29\uac01\ud558\n\n\ud55c\uad6d\uc5b4 \ubb38\uc11c\uc785"
        "\ub2c8\ub2e4.\n".encode("cp949"))
    put("utf16le-bom.txt",
        b"\xff\xfe" + "UTF-16 \ud14d\uc2a4\ud2b8\r\n\r\nsecond paragraph\r\n"
        .encode("utf-16-le"))
    put("win1252.txt",
        "Caf\xe9 \u201cquoted\u201d \u20ac 5\n".encode("cp1252"))
    put("utf8-bom.md", b"\xef\xbb\xbf# Heading\n\nBody *text*.\n")
    put("xss.md", (
        "# Notes\n\n"
        "<script>alert(1)</script>\n\n"
        "Inline <script>alert(2)</script> and <img src=x onerror=alert(3)>.\n\n"
        "[click](javascript:alert(4)) [upper](JAVASCRIPT:alert(5))\n"
        "[entity](&#106;avascript:alert(6)) [vb](vbscript:msgbox(7))\n"
        "![img](javascript:alert(8)) <javascript:alert(9)>\n"
        "[ref][r] [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
        "[r]: javascript:alert(10)\n\n"
        "[ok](https://example.org/) done.\n"
    ).encode("utf-8"))
    put("plain.txt", (
        "  The <Title> & \"quotes\"  \n"
        "second line of the first paragraph\n\n"
        "<script>alert('x')</script> & more\n\n"
        "    preformatted <b>\n"
        "\tindented with a tab\n\n"
        "last paragraph\n"
    ).encode("utf-8"))
    put("page", b"<!DOCTYPE html>\n<html><body>no extension</body></html>\n")
    put("notes", b"Just words without an extension.\n")
    put("empty.txt", b"")

    notes = ("Compressed notes\n\n" + "line of text\n" * 200).encode()
    put("notes.txt.gz", gz(notes))
    put("truncated.txt.gz", gz(notes)[:40])
    put("bomb.txt.gz", gz(b"\0" * (10 * 1024 * 1024)))

    rnd = random.Random(20240601)
    junk = bytes(rnd.randrange(256) for _ in range(4096))
    assert b"\0" in junk
    put("junk.html", junk)


if __name__ == "__main__":
    main()
