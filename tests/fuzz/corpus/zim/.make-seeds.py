#!/usr/bin/env python3
# Makes the zim seeds (not an input: the replay skips dot files).  Usage:
#   .make-seeds.py A.zim B.zim OUTDIR
# where A.zim and B.zim were written by zimwriterfs 3.1 (-j, tiny trees:
# tests/fuzz/README.md).  Each archive is read whole and written again
# with its entries, MIME list, title list and clusters as they were, but
# the title index blob (X/title/xapian, 30 KB) emptied, so the seeds stay
# a few KB; then variants: xz, uncompressed and 8-byte-offset clusters,
# the old namespace scheme (5.0), long/control/invalid values, and
# truncated or lying ones.  zimwriterfs writes only zstd: the xz cluster
# is made here with Python's lzma.
import hashlib, lzma, struct, subprocess, sys

def parse(d):
    h = struct.unpack_from('<IHH16sIIQQQQIIQ', d, 0)
    _, maj, mino, uuid, ne, nc, pp, tp, cp, mp, main, lay, ck = h
    mimes, o = [], mp
    while d[o] != 0:
        e = d.index(b'\0', o); mimes.append(d[o:e]); o = e + 1
    ents = []
    for i in range(ne):
        off = struct.unpack_from('<Q', d, pp + 8 * i)[0]
        mime, pl, ns, rev = struct.unpack_from('<HBcI', d, off)
        fx = 12 if mime >= 0xfffd else 16
        a = struct.unpack_from('<I' if fx == 12 else '<II', d, off + 8)
        e = d.index(b'\0', off + fx); path = d[off + fx:e]
        e2 = d.index(b'\0', e + 1); title = d[e + 1:e2]
        ents.append(dict(mime=mime, ns=ns, rev=rev, a=a, path=path, title=title))
    titles = [struct.unpack_from('<I', d, tp + 4 * i)[0] for i in range(ne)]
    offs = [struct.unpack_from('<Q', d, cp + 8 * i)[0] for i in range(nc)] + [ck]
    clusters = []
    for i in range(nc):
        raw = d[offs[i]:offs[i + 1]]
        info, body = raw[0], raw[1:]
        comp = info & 15
        if comp == 5:
            body = subprocess.run(['zstd', '-dc'], input=body, capture_output=True, check=True).stdout
        elif comp == 4:
            body = lzma.decompress(body)
        osz = 8 if info & 0x10 else 4
        first = int.from_bytes(body[:osz], 'little')
        n = first // osz
        bo = [int.from_bytes(body[k * osz:(k + 1) * osz], 'little') for k in range(n)]
        clusters.append(dict(comp=comp, ext=bool(info & 0x10),
                             blobs=[body[bo[k]:bo[k + 1]] for k in range(n - 1)]))
    return dict(maj=maj, mino=mino, uuid=uuid, mimes=mimes, ents=ents, titles=titles,
                clusters=clusters, main=main, lay=lay)

def cluster_bytes(c):
    osz = 8 if c['ext'] else 4
    n = len(c['blobs']) + 1
    offs, pos = [], n * osz
    for b in c['blobs']:
        offs.append(pos); pos += len(b)
    offs.append(pos)
    body = b''.join(o.to_bytes(osz, 'little') for o in offs) + b''.join(c['blobs'])
    if c['comp'] == 5:
        body = subprocess.run(['zstd', '-19', '-c'], input=body, capture_output=True, check=True).stdout
    elif c['comp'] == 4:
        body = lzma.compress(body, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    return bytes([c['comp'] | (0x10 if c['ext'] else 0)]) + body

def write(z):
    mimes = b''.join(m + b'\0' for m in z['mimes']) + b'\0'
    dirents = []
    for e in z['ents']:
        b = struct.pack('<HBcI', e['mime'], 0, e['ns'], e['rev'])
        b += struct.pack('<' + 'I' * len(e['a']), *e['a'])
        dirents.append(b + e['path'] + b'\0' + e['title'] + b'\0')
    ne = len(dirents)
    pos = 80 + len(mimes)
    tp = pos; pos += 4 * ne
    doffs = []
    for b in dirents:
        doffs.append(pos); pos += len(b)
    pp = pos; pos += 8 * ne
    cp = pos; pos += 8 * len(z['clusters'])
    cbs, coffs = [], []
    for c in z['clusters']:
        b = cluster_bytes(c); coffs.append(pos); cbs.append(b); pos += len(b)
    ck = pos
    head = struct.pack('<IHH16sIIQQQQIIQ', 72173914, z['maj'], z['mino'], z['uuid'], ne,
                       len(z['clusters']), pp, tp, cp, 80, z['main'], z['lay'], ck)
    d = head + mimes + b''.join(struct.pack('<I', t) for t in z['titles'])
    d += b''.join(dirents) + b''.join(struct.pack('<Q', o) for o in doffs)
    d += b''.join(struct.pack('<Q', o) for o in coffs) + b''.join(cbs)
    assert len(d) == ck
    return d + hashlib.md5(d).digest()

def shrink(z):
    for e in z['ents']:
        if e['ns'] == b'X' and e['path'] == b'title/xapian':
            z['clusters'][e['a'][0]]['blobs'][e['a'][1]] = b''
    return z

def meta(z, name):
    for e in z['ents']:
        if e['ns'] == b'M' and e['path'] == name:
            return e
    raise KeyError(name)

def setmeta(z, name, value):
    e = meta(z, name); c, b = e['a']
    z['clusters'][c]['blobs'][b] = value

def copy(z):
    import copy as cp
    return cp.deepcopy(z)

a, b, out = sys.argv[1], sys.argv[2], sys.argv[3]
A = shrink(parse(open(a, 'rb').read()))
B = shrink(parse(open(b, 'rb').read()))
def put(name, d):
    open(out + '/' + name, 'wb').write(d)

put('real-eng-zstd.zim', write(A))
put('real-kor-zstd.zim', write(B))
z = copy(A)
for c in z['clusters']:
    c['comp'] = 4
put('xz.zim', write(z))
z = copy(A)
for c in z['clusters']:
    c['comp'] = 1
put('uncompressed.zim', write(z))
z = copy(B)
for c in z['clusters']:
    c['ext'] = True
put('extended-offsets.zim', write(z))
z = copy(A)
z['mino'] = 0
for e in z['ents']:
    if e['ns'] == b'C':
        e['ns'] = b'A' if e['path'].endswith(b'.html') else b'I'
z['maj'] = 5
put('old-scheme-v5.zim', write(z))
z = copy(B)
setmeta(z, b'Title', '가'.encode() * 1000)
setmeta(z, b'Description', b'\x01a\tb\nc\x7f\r\n  ')
setmeta(z, b'Creator', b'bad \xff\xfe utf-8')
setmeta(z, b'Publisher', b'  \n ')
put('hostile-values.zim', write(z))
d = write(A)
put('truncated-half.zim', d[:len(d) // 2])
put('truncated-header.zim', d[:60])
d2 = bytearray(d); d2[4] = 7
put('version-7.zim', bytes(d2))
d2 = bytearray(d); struct.pack_into('<I', d2, 24, 0xffffffff)
put('huge-entry-count.zim', bytes(d2))
z = copy(A)
setmeta(z, b'Title', b'x' * 5000)
z['clusters'][meta(z, b'Title')['a'][0]]['comp'] = 1
d = write(z)
put('long-title-uncompressed.zim', d)
