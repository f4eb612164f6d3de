"""Ask one query of kwangmyong or kiwix-serve and map the results back to
paths in the tree.  Loopback only; every request has a time limit.

kwangmyong:  GET /api/search?q=Q&c=COLLECTION&per_page=N
             {"total", "results": [{"path", "url", ...}]}; "path" is the
             document's path in the ingested tree.
kiwix-serve: GET /search?content=BOOK&pattern=Q&format=xml&pageLength=N
             (kiwix-tools 3.3.0 / libkiwix 11: an RSS 2.0 feed whose items'
             <link> is /BOOK/PATH, with opensearch:totalResults); when that
             fails, the HTML results page (<a href="/BOOK/PATH">).
             libkiwix 12+ serves content under /content/BOOK/PATH: also
             understood.
"""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def _get(url, timeout):
    host = urllib.parse.urlsplit(url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("not a loopback URL: %s" % url)
    req = urllib.request.Request(url, headers={"User-Agent": "kw-relevance"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        body = e.read() if hasattr(e, "read") else b""
        return e.code, dict(e.headers or {}), body


def _dedupe(paths):
    seen, out = set(), []
    for p in paths:
        if p and p not in seen:
            seen.add(p)
            out.append(p)
    return out


def kw_search(base, query, collection=None, depth=10, timeout=30, retries=3):
    """{"paths": [...], "total": N, "mode": "all" or "any" (the fallback to
    documents with any of the words), "status": HTTP status, "ms": ...,
    "error": str or None}.  503 (busy, over the search budget) is asked
    again after Retry-After (at most 2 s), `retries` times."""
    params = {"q": query, "per_page": str(depth)}
    if collection:
        params["c"] = collection
    url = base.rstrip("/") + "/api/search?" + urllib.parse.urlencode(params)
    t0 = time.monotonic()
    for attempt in range(retries + 1):
        try:
            status, headers, body = _get(url, timeout)
        except Exception as e:          # timeout, refused, reset
            status, headers, body = 0, {}, str(e).encode()
        if status == 503 and attempt < retries:
            try:
                wait = float(headers.get("Retry-After", "1"))
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 0.2), 2.0))
            continue
        break
    ms = (time.monotonic() - t0) * 1000
    if status != 200:
        return {"paths": [], "total": 0, "status": status, "ms": ms,
                "error": body[:200].decode("utf-8", "replace")}
    try:
        d = json.loads(body)
        paths = [r.get("path") or _kw_url_path(r.get("url", ""), collection)
                 for r in d.get("results", [])]
        return {"paths": _dedupe(paths), "total": int(d.get("total", 0)),
                "mode": d.get("mode", "all"),
                "status": status, "ms": ms, "error": None}
    except (ValueError, TypeError, AttributeError) as e:
        return {"paths": [], "total": 0, "status": status, "ms": ms,
                "error": "bad JSON: %s" % e}


def _kw_url_path(url, collection):
    """/c/COLLECTION/PATH#frag -> PATH (when a result has no "path")."""
    p = urllib.parse.urlsplit(url).path
    pre = "/c/%s/" % collection if collection else "/c/"
    if p.startswith(pre):
        rest = p[len(pre):]
        if not collection:
            rest = rest.split("/", 1)[1] if "/" in rest else ""
        return urllib.parse.unquote(rest)
    return None


def kiwix_path(href, book):
    """A kiwix result link to a path in the tree, or None."""
    p = urllib.parse.unquote(urllib.parse.urlsplit(href).path)
    for pre in ("/content/%s/" % book, "/%s/" % book):
        if p.startswith(pre):
            p = p[len(pre):]
            break
    else:
        return None
    # ZIMs from old zimwriterfs keep the namespace in the URL
    if p.startswith("A/") and not p.startswith("A//"):
        p = p[2:]
    return p or None


def kiwix_search(base, book, query, depth=10, timeout=30):
    params = {"content": book, "pattern": query, "format": "xml",
              "pageLength": str(depth), "start": "1"}
    url = base.rstrip("/") + "/search?" + urllib.parse.urlencode(params)
    t0 = time.monotonic()
    try:
        status, _, body = _get(url, timeout)
    except Exception as e:
        return {"paths": [], "total": 0, "status": 0,
                "ms": (time.monotonic() - t0) * 1000, "error": str(e)[:200]}
    ms = (time.monotonic() - t0) * 1000
    if status == 200:
        try:
            return dict(_kiwix_xml(body, book, depth), status=status, ms=ms,
                        error=None)
        except ET.ParseError:
            pass
    # the HTML results page
    params.pop("format")
    url = base.rstrip("/") + "/search?" + urllib.parse.urlencode(params)
    try:
        status2, _, body2 = _get(url, timeout)
    except Exception as e:
        return {"paths": [], "total": 0, "status": status, "ms": ms,
                "error": str(e)[:200]}
    ms = (time.monotonic() - t0) * 1000
    if status2 != 200:
        return {"paths": [], "total": 0, "status": status2 or status,
                "ms": ms, "error": body2[:200].decode("utf-8", "replace")}
    return dict(_kiwix_html(body2.decode("utf-8", "replace"), book, depth),
                status=status2, ms=ms, error=None)


def _kiwix_xml(body, book, depth):
    root = ET.fromstring(body)
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    chan = root.find("channel")
    if chan is None:
        raise ET.ParseError("no channel")
    total = chan.findtext("os:totalResults", default="0", namespaces=ns)
    paths = [kiwix_path(it.findtext("link") or "", book)
             for it in chan.findall("item")]
    try:
        total = int(total)
    except ValueError:
        total = len(paths)
    return {"paths": _dedupe(paths)[:depth], "total": total}


def _kiwix_html(text, book, depth):
    m = re.search(r'<div class="results">(.*?)</div>', text, re.S) or \
        re.search(r'<ul[^>]*>(.*?)</ul>', text, re.S)
    part = m.group(1) if m else text
    paths = [kiwix_path(h, book)
             for h in re.findall(r'<a\s[^>]*href="([^"]+)"', part)]
    t = re.sub(r"<[^>]+>", " ", text)
    mt = re.search(r"of\s+(?:<b>)?\s*([\d,]+)\s", t)
    total = int(mt.group(1).replace(",", "")) if mt else len(paths)
    return {"paths": _dedupe(paths)[:depth], "total": total}
