#!/usr/bin/python3
"""An independent reader of xgotop trace files, written from SPEC.md alone.

    /usr/bin/python3 tests/reader.py FILE            events as JSON lines (xgotop dump --json)
    /usr/bin/python3 tests/reader.py --check FILE    also cross-check index and keyframes
    /usr/bin/python3 tests/reader.py --info FILE     the recording's span, as one JSON object

Standard library plus the zstandard module (Debian: python3-zstandard). It reads the file by
a linear scan (SPEC.md section 15, step 3); with --check it also decodes the INDEX and checks it
against what the scan found, and recomputes every KEYFRAME's goroutine table from the events
(section 11) and compares. --info prints {"events", "ts_last", "stop_ts", "span_ns"} (section 12:
the span reaches the index's stop when it gives one, else the last event). Exit status 0, or 2
with a message on stderr when the file is damaged or a check fails.
"""
import json
import struct
import sys

import zstandard

MAGIC = b'\x89XGT\r\n\x1a\n'
END_MAGIC = b'\x89XGTEND\n'
GONE_NS = 10 * 10**9  # removed goids are remembered this long (SPEC 11)
KINDS = {1: 'go_create', 2: 'go_exit', 3: 'go_state', 4: 'alloc', 5: 'gc_start', 6: 'gc_end',
         7: 'lost', 8: 'cpu_sample', 9: 'alloc_sample', 10: 'heap', 11: 'snapshot',
         12: 'window', 13: 'budget', 14: 'sched'}
STATES = {0: 'idle', 1: 'runnable', 2: 'running', 3: 'syscall', 4: 'waiting', 6: 'dead',
          8: 'copystack', 9: 'preempted', 10: 'leaked'}
# column id -> (field, encoding)
COLUMNS = {1: ('ts', 4), 2: ('cpu', 2), 3: ('tid', 5), 4: ('kind', 1), 5: ('goid', 5),
           6: ('state', 1), 7: ('reason', 2), 8: ('stack', 2), 9: ('parent_goid', 5),
           10: ('create_pc', 2), 11: ('start_pc', 2), 12: ('create_fn', 2), 13: ('start_fn', 2),
           14: ('size', 2), 15: ('type', 2), 16: ('weight', 2), 17: ('gc', 2),
           18: ('heap_live', 3), 19: ('heap_goal', 3), 20: ('total_alloc', 3),
           21: ('total_free', 3), 22: ('count', 2), 23: ('of', 1),
           24: ('start_wrapper', 2), 25: ('waited_ns', 2), 26: ('created', 2),
           27: ('alive', 2), 28: ('threads', 2), 29: ('gomaxprocs', 2), 30: ('runnable', 2)}
FIELDS = ['ts', 'goid', 'tid', 'cpu', 'kind', 'from', 'to', 'of', 'reason', 'stack',
          'parent_goid', 'create_pc', 'start_pc', 'create_fn', 'start_fn', 'size', 'type', 'gc',
          'weight', 'count', 'heap_live', 'heap_goal', 'total_alloc', 'total_free', 'start_wrapper',
          'waited_ns', 'created', 'alive', 'threads', 'gomaxprocs', 'runnable']
M64 = (1 << 64) - 1


class Damaged(Exception):
    pass


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


CRC_TABLE = _table()


class Buf:
    """A cursor over bytes with the SPEC's primitive types."""

    def __init__(self, data, what):
        self.d = data
        self.p = 0
        self.what = what

    def left(self):
        return len(self.d) - self.p

    def u8(self):
        if self.p >= len(self.d):
            raise Damaged('%s: truncated' % self.what)
        self.p += 1
        return self.d[self.p - 1]

    def uv(self):
        v = 0
        for i in range(10):
            if self.p >= len(self.d):
                raise Damaged('%s: truncated varint' % self.what)
            b = self.d[self.p]
            self.p += 1
            v |= (b & 0x7F) << (7 * i)
            if b < 0x80:
                return v & M64
        raise Damaged('%s: varint longer than 10 bytes' % self.what)

    def bytes(self, n):
        if n > self.left():
            raise Damaged('%s: %d bytes wanted, %d left' % (self.what, n, self.left()))
        self.p += n
        return self.d[self.p - n:self.p]


def unzz(u):
    return (u >> 1) ^ (-(u & 1) & M64)


def signed(v):
    return v - (1 << 64) if v >> 63 else v


def zstd_exact(data, size, what):
    params = zstandard.get_frame_parameters(data)
    if params.content_size != size:
        raise Damaged('%s: zstd frame declares %d bytes, expected %d' % (what, params.content_size, size))
    out = zstandard.ZstdDecompressor().decompress(data, max_output_size=size)
    if len(out) != size:
        raise Damaged('%s: zstd gave %d bytes, expected %d' % (what, len(out), size))
    return out


class Trace:
    def __init__(self, data):
        self.data = data
        self.meta = []
        self.strings = [b'']
        self.stacks = [None]
        self.records = []     # (offset, type, size, payload)
        self.stop = None

    # --- header and records (SPEC 3, 5) ---

    def header(self):
        d = self.data
        if len(d) < 12 or d[:8] != MAGIC:
            raise Damaged('not an xgotop trace (bad magic)')
        major, minor = struct.unpack_from('<HH', d, 8)
        if major != 1:
            raise Damaged('format version %d.%d is not supported' % (major, minor))
        if len(d) < 48:
            raise Damaged('header truncated')
        size, = struct.unpack_from('<I', d, 12)
        if size < 48 or size > 65536 or size > len(d):
            raise Damaged('header size %d is impossible' % size)
        if crc32c(d[:44]) != struct.unpack_from('<I', d, 44)[0]:
            raise Damaged('header checksum mismatch')
        incompat, = struct.unpack_from('<Q', d, 32)
        if incompat:
            raise Damaged('unknown incompatible features 0x%x' % incompat)
        return size

    def record_at(self, off):
        d = self.data
        if len(d) - off < 12:
            raise Damaged('record header cut off at offset %d' % off)
        rtype, flags, _, length = struct.unpack_from('<BBHI', d, off)
        if length > 256 << 20 or off + 12 + length > len(d):
            raise Damaged('record at offset %d: length %d impossible' % (off, length))
        body = d[off:off + 8 + length]
        if crc32c(body) != struct.unpack_from('<I', d, off + 8 + length)[0]:
            raise Damaged('record at offset %d: checksum mismatch' % off)
        if flags & ~1:
            raise Damaged('record at offset %d: unknown flags' % off)
        payload = body[8:]
        if flags & 1:
            if rtype in (4, 7):
                raise Damaged('record at offset %d: type %d cannot be compressed' % (off, rtype))
            b = Buf(payload, 'compressed record')
            raw = b.uv()
            if raw > 256 << 20:
                raise Damaged('compressed record too large')
            payload = zstd_exact(payload[b.p:], raw, 'record at offset %d' % off)
        return rtype, 12 + length, payload

    def scan(self):
        off = self.header()
        while off < len(self.data):
            try:
                rtype, size, payload = self.record_at(off)
            except Damaged as e:
                self.stop = '%s' % e
                break
            self.records.append((off, rtype, size, payload))
            off += size
        self.end = off

    # --- tables (SPEC 6, 7, 8) ---

    def load_meta(self, p):
        b = Buf(p, 'META')
        for _ in range(b.uv()):
            typ = b.u8()
            key = b.bytes(b.uv()).decode()
            if typ == 1:
                val = b.bytes(b.uv()).decode()
            elif typ == 2:
                val = struct.unpack('<q', b.bytes(8))[0]
            else:
                raise Damaged('META: entry type %d' % typ)
            # a key set again keeps its place
            if any(k == key for k, _ in self.meta):
                self.meta = [(k, val if k == key else v) for k, v in self.meta]
            else:
                self.meta.append((key, val))

    def trace_id(self):
        """SPEC 6, trace.id: the recorded one, or two FNV-1a 64 hashes of the metadata."""
        rec = dict(self.meta).get('trace.id')
        if isinstance(rec, str) and len(rec) == 32 and all(c in '0123456789abcdef' for c in rec):
            return rec
        out = ''
        for h in (0xcbf29ce484222325, 0x84222325cbf29ce4):
            for k, v in self.meta:
                typ = 1 if isinstance(v, str) else 2
                for byte in k.encode() + b'\0' + bytes([typ]) + str(v).encode() + b'\0':
                    h = ((h ^ byte) * 0x100000001b3) & 0xffffffffffffffff
            out += '%016x' % h
        return out

    def load_strings(self, p):
        b = Buf(p, 'STRINGS')
        first, count = b.uv(), b.uv()
        if first != len(self.strings):
            raise Damaged('STRINGS: first id %d, expected %d' % (first, len(self.strings)))
        for _ in range(count):
            self.strings.append(b.bytes(b.uv()))

    def load_stacks(self, p):
        b = Buf(p, 'STACKS')
        first, count = b.uv(), b.uv()
        if first != len(self.stacks):
            raise Damaged('STACKS: first id %d, expected %d' % (first, len(self.stacks)))
        added = []
        for _ in range(count):
            n = b.uv()
            if not 1 <= n <= 4096:
                raise Damaged('STACKS: %d frames' % n)
            added.append([[b.uv(), b.uv(), b.uv(), b.uv(), 0] for _ in range(n)])
        if b.left():  # format 1.1: per stack, (frame index, flags) of its flagged frames
            for frames in added:
                for _ in range(b.uv()):
                    k, flags = b.uv(), b.uv()
                    if k >= len(frames):
                        raise Damaged('STACKS: frame flag index %d' % k)
                    frames[k][4] = flags & 3
        self.stacks.extend(added)

    # --- chunks (SPEC 9) ---

    def chunk(self, p, where):
        b = Buf(p, where)
        n, ts_first, span, ncols = b.uv(), b.uv(), b.uv(), b.uv()
        if not 1 <= n <= 1 << 20 or ncols > 255:
            raise Damaged('%s: bad header' % where)
        cols = []
        for _ in range(ncols):
            cid, enc, comp = b.u8(), b.u8(), b.u8()
            mask, raw, stored = b.uv(), b.uv(), b.uv()
            cols.append((cid, enc, comp, mask, raw, stored))
        if sum(c[5] for c in cols) != b.left():
            raise Damaged('%s: column sizes do not add up' % where)
        data = {}
        seen = set()
        for cid, enc, comp, mask, raw, stored in cols:
            if cid == 0 or cid in seen:
                raise Damaged('%s: column %d twice' % (where, cid))
            seen.add(cid)
            blob = b.bytes(stored)
            if raw > 64 << 20:
                raise Damaged('%s: column %d too large' % (where, cid))
            if comp == 1:
                blob = zstd_exact(blob, raw, where)
            elif comp != 0 or stored != raw:
                raise Damaged('%s: column %d: bad compression' % (where, cid))
            if cid in COLUMNS:
                if COLUMNS[cid][1] != enc:
                    raise Damaged('%s: column %d: unknown encoding %d' % (where, cid, enc))
                data[cid] = (mask, Buf(blob, '%s column %d' % (where, cid)))
            # unknown column ids are skipped (SPEC 9.1)

        kinds = list(data[4][1].bytes(n)) if 4 in data else [0] * n
        if len(kinds) != n:
            raise Damaged('%s: kind column has %d bytes for %d events' % (where, len(kinds), n))
        evs = [dict.fromkeys(FIELDS, 0) for _ in range(n)]
        for i, e in enumerate(evs):
            e['kind'] = kinds[i]

        def carries(mask, kind):
            return mask == 0 or (kind < 64 and (mask >> kind) & 1)

        # ts
        ts = ts_first
        if 1 in data:
            mask, c = data[1]
            for e in evs:
                if carries(mask, e['kind']):
                    ts += c.uv()
                    if ts > M64:
                        raise Damaged('%s: ts overflows' % where)
                e['ts'] = ts
        else:
            for e in evs:
                e['ts'] = ts_first
        if ts != ts_first + span:
            raise Damaged('%s: last ts %d, header says %d' % (where, ts, ts_first + span))
        # simple columns
        for cid, (mask, c) in data.items():
            field, enc = COLUMNS[cid]
            if cid in (1, 3, 4, 5, 9):
                continue
            prev = 0
            for e in evs:
                if not carries(mask, e['kind']):
                    continue
                if enc == 1:
                    v = c.u8()
                    if cid == 6:
                        e['from'], e['to'] = v >> 4, v & 15
                    else:
                        e[field] = v
                elif enc == 2:
                    e[field] = c.uv()
                elif enc == 3:
                    prev = (prev + unzz(c.uv())) & M64
                    e[field] = prev
            if cid == 2 and any(e['cpu'] > 0xFFFF for e in evs):
                raise Damaged('%s: cpu out of range' % where)
        for f in ('tid', 'reason', 'stack', 'create_fn', 'start_fn', 'type', 'gc', 'start_wrapper',
                  'alive', 'threads', 'gomaxprocs', 'runnable'):
            for e in evs:
                e[f] &= 0xFFFFFFFF
        # context coding (SPEC 9.4)
        tid_ctx, goid_ctx, last_created = {}, {}, 0
        tcol, gcol, pcol = data.get(3), data.get(5), data.get(9)
        for e in evs:
            cpu, kind = e['cpu'], e['kind']
            if tcol and carries(tcol[0], kind):
                tid = (tid_ctx.get(cpu, 0) + unzz(tcol[1].uv())) & 0xFFFFFFFF
                tid_ctx[cpu] = tid
                e['tid'] = tid
            if gcol and carries(gcol[0], kind):
                v = unzz(gcol[1].uv())
                if kind == 1:
                    goid = (last_created + v) & M64
                    last_created = goid
                else:
                    goid = (goid_ctx.get(cpu, 0) + v) & M64
                    if goid:
                        goid_ctx[cpu] = goid
                e['goid'] = goid
            if pcol and carries(pcol[0], kind):
                parent = (goid_ctx.get(cpu, 0) + unzz(pcol[1].uv())) & M64
                if kind == 1 and parent:
                    goid_ctx[cpu] = parent
                e['parent_goid'] = parent
        for cid, (mask, c) in data.items():
            if c.left():
                raise Damaged('%s: column %d: %d bytes left' % (where, cid, c.left()))
        return ts_first, ts_first + span, evs

    # --- keyframes (SPEC 11) ---

    @staticmethod
    def keyframe(p):
        b = Buf(p, 'KEYFRAME')
        ts, before, n = b.uv(), b.uv(), b.uv()
        gs, goid = {}, 0
        for _ in range(n):
            goid += b.uv()
            g = {'state': b.u8()}
            for k in ('reason', 'parent_goid', 'start_fn', 'create_fn', 'start_pc', 'create_pc',
                      'created_ts', 'since_ts'):
                g[k] = b.uv()
            gs[goid] = g
        return ts, before, gs


def track(gs, e, gone):
    """Applies one event to a goroutine table (SPEC 11). gone: goid -> ts of its removal."""
    goid, kind = e['goid'], e['kind']
    if not goid or kind not in (1, 2, 3, 11):
        return
    if goid in gone and e['ts'] <= gone[goid] + GONE_NS:
        return  # late: it exited
    if kind == 1:
        g = gs.get(goid)
        if g is None:
            g = gs[goid] = {'state': 1, 'reason': 0, 'since_ts': e['ts']}
        g.update({'parent_goid': e['parent_goid'], 'start_fn': e['start_fn'],
                  'create_fn': e['create_fn'], 'start_pc': e['start_pc'],
                  'create_pc': e['create_pc'], 'created_ts': e['ts']})
    elif kind in (3, 11):
        if e['to'] == 6:
            gs.pop(goid, None)
            gone[goid] = e['ts']
            return
        g = gs.get(goid)
        if g is None:
            g = gs[goid] = dict.fromkeys(('reason', 'parent_goid', 'start_fn', 'create_fn',
                                          'start_pc', 'create_pc', 'created_ts'), 0)
            g['state'] = -1
        if g['state'] != e['to']:
            g['since_ts'] = e['ts']
        g['state'] = e['to']
        g['reason'] = e['reason']
        if kind == 11:
            for k in ('parent_goid', 'start_fn', 'start_pc', 'create_fn', 'create_pc'):
                if e[k]:
                    g[k] = e[k]
    elif kind == 2:
        gs.pop(goid, None)
        gone[goid] = e['ts']


# --- JSON lines: the schema of format/evjson.h ---

def utf8_len(s, i):
    """Length of the valid UTF-8 sequence at s[i], or 0 (no overlong forms, no surrogates,
    nothing above U+10FFFF)."""
    c = s[i]
    if 0xC2 <= c <= 0xDF:
        n = 2
    elif 0xE0 <= c <= 0xEF:
        n = 3
    elif 0xF0 <= c <= 0xF4:
        n = 4
    else:
        return 0
    if i + n > len(s):
        return 0
    lo, hi = 0x80, 0xBF
    if c == 0xE0:
        lo = 0xA0
    elif c == 0xED:
        hi = 0x9F
    elif c == 0xF0:
        lo = 0x90
    elif c == 0xF4:
        hi = 0x8F
    if not lo <= s[i + 1] <= hi:
        return 0
    if any(s[k] & 0xC0 != 0x80 for k in range(i + 2, i + n)):
        return 0
    return n


def jstr(s):
    """A JSON string; each byte that is not part of valid UTF-8 becomes \\ufffd."""
    out = bytearray(b'"')
    i = 0
    while i < len(s):
        c = s[i]
        if c >= 0x80:
            n = utf8_len(s, i)
            if n:
                out += s[i:i + n]
                i += n
            else:
                out += b'\\ufffd'
                i += 1
            continue
        if c == 0x22:
            out += b'\\"'
        elif c == 0x5C:
            out += b'\\\\'
        elif c == 0x0A:
            out += b'\\n'
        elif c == 0x0D:
            out += b'\\r'
        elif c == 0x09:
            out += b'\\t'
        elif c < 0x20 or c == 0x7F:
            out += b'\\u00%02x' % c
        else:
            out.append(c)
        i += 1
    out += b'"'
    return bytes(out)


def to_json(t, e):
    def s(i):
        return jstr(t.strings[i] if 0 < i < len(t.strings) else b'')

    def state(v):
        return b'"%s"' % STATES[v].encode() if v in STATES else b'%d' % v

    kind = e['kind']
    o = [b'{"ts":%d,"kind":' % e['ts']]
    o.append(b'"%s"' % KINDS[kind].encode() if kind in KINDS else b'%d' % kind)
    o.append(b',"goid":%d,"tid":%d,"cpu":%d' % (e['goid'], e['tid'], e['cpu']))
    if kind == 1:
        o.append(b',"parent_goid":%d,"start_fn":%s' % (e['parent_goid'], s(e['start_fn'])))
        if e['start_wrapper']:
            o.append(b',"start_wrapper":%s' % s(e['start_wrapper']))
        o.append(b',"start_pc":"0x%x","create_fn":%s,"create_pc":"0x%x"'
                 % (e['start_pc'], s(e['create_fn']), e['create_pc']))
    elif kind == 3:
        o.append(b',"from":%s,"to":%s,"reason":%s' % (state(e['from']), state(e['to']),
                                                      s(e['reason'])))
    elif kind in (4, 9):
        o.append(b',"size":%d,"type":%s' % (e['size'], s(e['type'])))
        if kind == 9:
            o.append(b',"weight":%d' % e['weight'])
    elif kind == 8:
        if e['weight']:
            o.append(b',"weight":%d' % e['weight'])
    elif kind in (5, 6, 10):
        o.append(b',"gc":%d' % e['gc'])
        for f in ('heap_live', 'heap_goal', 'total_alloc', 'total_free'):
            if e[f]:
                o.append(b',"%s":%d' % (f.encode(), e[f]))
    elif kind == 7:
        of = e['of']
        o.append(b',"count":%d,"of":%s' % (e['count'], b'"%s"' % KINDS[of].encode()
                                             if of in KINDS else b'%d' % of))
    elif kind == 12:
        of = e['of']
        o.append(b',"of":%s,"in":%s' % (b'"%s"' % KINDS[of].encode() if of in KINDS else b'%d' % of,
                                       b'true' if e['count'] else b'false'))
    elif kind == 13:
        o.append(b',"budget_ppm":%d' % e['count'])
    elif kind == 11 and not e['goid']:
        o.append(b',"walk":true')
    elif kind == 11:
        o.append(b',"state":%s,"reason":%s,"start_fn":%s' % (state(e['to']), s(e['reason']),
                                                             s(e['start_fn'])))
        if e['start_wrapper']:
            o.append(b',"start_wrapper":%s' % s(e['start_wrapper']))
        if e['waited_ns']:
            o.append(b',"waited_ns":%d' % e['waited_ns'])
    elif kind == 14:
        o.append(b',"created":%d,"alive":%d,"threads":%d' % (e['created'], e['alive'],
                                                              e['threads']))
        if e['gomaxprocs']:
            o.append(b',"gomaxprocs":%d' % e['gomaxprocs'])
        o.append(b',"runnable":%d' % e['runnable'])
    if e['stack']:
        frames = t.stacks[e['stack']] if e['stack'] < len(t.stacks) else []
        o.append(b',"stack":[' + b','.join(
            b'{"pc":"0x%x","fn":%s,"file":%s,"line":%d%s}'
            % (pc, s(fn), s(fl), line, b',"inlined":true' if flags & 1 else b'')
            for pc, fn, fl, line, flags in frames) + b']')
        if frames and frames[-1][4] & 2:
            o.append(b',"stack_truncated":true')
    o.append(b'}\n')
    return b''.join(o)


class Discard:
    def write(self, b):
        pass

    def flush(self):
        pass


def read_index(b, chunks, keyframes):
    """The INDEX payload (SPEC 12), checked against the chunks and keyframes found; its stop,
    or None when it has none (before 1.2)."""
    got = [(b.uv(), b.uv(), b.uv(), b.uv(), b.uv()) for _ in range(b.uv())]
    if got != chunks:
        raise Damaged('index chunk list differs from the chunks found')
    nk = b.uv()
    for _ in range(nk):
        b.uv(), b.uv(), b.uv(), b.uv(), b.uv()
    if nk != keyframes:
        raise Damaged('index lists %d keyframes, %d found' % (nk, keyframes))
    for _ in range(b.uv()):
        b.u8(), b.uv(), b.uv(), b.uv(), b.uv()
    nkinds = b.uv()
    if nkinds > 256:
        raise Damaged('index: %d kinds' % nkinds)
    for _ in range(nkinds):
        b.uv()
    for _ in ('lost', 'late', 'late_max', 'raw', 'stored'):
        b.uv()
    return b.uv() if b.left() else None


def main():
    args = sys.argv[1:]
    check = '--check' in args
    info = '--info' in args
    args = [a for a in args if a not in ('--check', '--info')]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    path = args[0]
    data = open(path, 'rb').read()
    t = Trace(data)
    out = Discard() if info else sys.stdout.buffer
    try:
        t.scan()
        chunks, gs, gone, last_ts, keyframes = [], {}, {}, 0, 0
        index = None
        for off, rtype, size, p in t.records:
            if rtype == 1:
                t.load_meta(p)
            elif rtype == 2:
                t.load_strings(p)
            elif rtype == 3:
                t.load_stacks(p)
            elif rtype == 4:
                where = 'chunk %d at offset %d' % (len(chunks), off)
                first, last, evs = t.chunk(p, where)
                if first < last_ts:
                    raise Damaged('%s goes back in time' % where)
                last_ts = last
                chunks.append((off, size, first, last, len(evs)))
                for e in evs:
                    out.write(to_json(t, e))
                    if check:
                        track(gs, e, gone)
            elif rtype == 5:
                keyframes += 1
                if not check:
                    continue
                ts, before, kgs = t.keyframe(p)
                if before != len(chunks):
                    raise Damaged('keyframe at offset %d: chunks_before %d, %d seen' % (off, before, len(chunks)))
                if kgs != gs:
                    diff = sorted(k for k in set(kgs) | set(gs) if kgs.get(k) != gs.get(k))
                    raise Damaged('keyframe at offset %d differs from the events for goroutines %s'
                                  % (off, diff[:10]))
            elif rtype == 6:
                index = (off, size, p)
            elif rtype == 7:
                if len(p) != 24 or p[16:] != END_MAGIC:
                    raise Damaged('END record at offset %d is bad' % off)
                ioff, isize = struct.unpack_from('<QQ', p)
                if index is None or index[0] != ioff or index[1] != isize or ioff + isize != off:
                    raise Damaged('END record does not point at the index')
        stop = None
        # the index is used only when the END record points at it (a file closed cleanly)
        if index is not None and t.records and t.records[-1][1] == 7:
            stop = read_index(Buf(index[2], 'INDEX'), chunks, keyframes) if check or info else None
            if check and stop and stop < last_ts:
                raise Damaged('index: stop %d before the last event at %d' % (stop, last_ts))
        if info:
            events = sum(c[4] for c in chunks)
            sys.stdout.write(json.dumps({'events': events, 'ts_last': last_ts, 'stop_ts': stop or None,
                                         'span_ns': max(stop or 0, last_ts),
                                         'trace_id': t.trace_id()}) + '\n')
        out.flush()
        if t.stop:
            sys.stderr.write('reader.py: %s: scan stopped: %s\n' % (path, t.stop))
    except Damaged as e:
        out.flush()
        sys.stderr.write('reader.py: %s: %s\n' % (path, e))
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
