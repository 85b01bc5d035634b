#!/usr/bin/env python3
"""Writes the seed corpora of the gobin fuzz harnesses from real Go binaries, kept small:

  corpus/buildinfo/  the .go.buildinfo sections of real binaries, and one in the pre-1.18
                     pointer format
  corpus/pclntab/    .gopclntab tables cut down to a few runtime functions (their pc-value
                     tables, names and files kept, everything else dropped)
  corpus/elf/        small ELF files built around those tables: the functions' machine code,
                     .go.buildinfo, build-id notes, moduledata (.go.module), a type
                     descriptor, optionally .symtab; variants without section headers
                     (the scans) and PIE ones whose pointers are only in R_X86_64_RELATIVE
                     relocations

  tests/fuzz/mkcorpus.py OUTPUT   (reads OUTPUT/go/<ver>/hello.default from `make go-progs`)

The harnesses (fuzz_buildinfo.c, fuzz_pclntab.c, fuzz_elf.c) document what they do with them;
fuzz_elf.c looks for a type descriptor at TYPES_ADDR.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VERSIONS = ["1.21", "1.24", "1.26", "1.27"]
# small ones: nosplit (casgstatus), with a stack check (newproc1), ABI0 twins (newproc,
# goexit1 whose wrapper ends in a JMP, osyield whose body is assembly)
FUNCS = ["runtime.casgstatus", "runtime.newproc", "runtime.newproc1", "runtime.goexit1",
         "main.main", "runtime.osyield"]
TEXT_ADDR = 0x401000
RODATA_ADDR = 0x410000
TYPES_ADDR = RODATA_ADDR  # fuzz_elf.c knows this address
DATA_ADDR = 0x420000
PAGE = 0x1000
ALIGN = 0x100  # file offsets = addresses mod ALIGN; small files


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


def uvarint(b, o):
    v = s = 0
    while True:
        c = b[o]
        o += 1
        v |= (c & 0x7F) << s
        s += 7
        if not c & 0x80:
            return v, o


def put_uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


class Elf:
    def __init__(self, path):
        self.b = open(path, "rb").read()
        b = self.b
        shoff, = struct.unpack_from("<Q", b, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", b, 0x3A)
        self.secs = []
        for i in range(shnum):
            f = struct.unpack_from("<IIQQQQIIQQ", b, shoff + i * shentsize)
            self.secs.append(f)
        strtab = self.secs[shstrndx]
        self.byname = {}
        for f in self.secs:
            n = b[strtab[4] + f[0]:b.index(b"\0", strtab[4] + f[0])].decode()
            self.byname[n] = f

    def data(self, name):
        f = self.byname[name]
        return self.b[f[4]:f[4] + f[5]], f[3]

    def symbols(self):
        sym, _ = self.data(".symtab")
        strs, _ = self.data(".strtab")
        out = {}
        for i in range(0, len(sym), 24):
            name, info, other, shndx, value, size = struct.unpack_from("<IBBHQQ", sym, i)
            n = strs[name:strs.index(b"\0", name)].decode()
            out.setdefault(n, (value, size))
        return out

    def read(self, addr, n):
        for f in self.secs:
            if f[1] != 8 and f[3] <= addr < f[3] + f[5]:  # not NOBITS
                o = f[4] + addr - f[3]
                return self.b[o:o + n]
        raise KeyError(hex(addr))


def table_len(pc, off):
    """Length of the pc-value table at pc[off:]: pairs until a zero value delta (not first)."""
    o, first = off, True
    while True:
        v, o2 = uvarint(pc, o)
        if v == 0 and not first:
            return o2 - off
        first = False
        _, o = uvarint(pc, o2)


def table_values(pc, off):
    o, first, val, vals = off, True, -1, set()
    while True:
        v, o = uvarint(pc, o)
        if v == 0 and not first:
            return vals
        first = False
        val += -(v & 1) ^ (v >> 1)
        vals.add(val)
        _, o = uvarint(pc, o)


def cut_pclntab(elf, text_start, names):
    """The chosen functions of elf's pclntab: [(name, code, funcid, flag, tables, files)]."""
    t, _ = elf.data(".gopclntab")
    nfunc = u64(t, 8)
    fn_off, cu_off, file_off, pc_off, ln_off = (u64(t, 32 + 8 * i) for i in range(5))
    funcs = []
    for i in range(nfunc):
        entry, foff = u32(t, ln_off + 8 * i), u32(t, ln_off + 8 * i + 4)
        end = u32(t, ln_off + 8 * i + 8)
        f = ln_off + foff
        name_off = u32(t, f + 4)
        name = t[fn_off + name_off:t.index(b"\0", fn_off + name_off)].decode()
        if name not in names:
            continue
        pcsp, pcfile, pcln, _npc, cu = (u32(t, f + o) for o in (16, 20, 24, 28, 32))
        start_line = u32(t, f + 36)
        funcid, flag = t[f + 40], t[f + 41]
        tables = []
        for off in (pcsp, pcfile, pcln):
            tables.append(t[pc_off + off:pc_off + off + table_len(t, pc_off + off)]
                          if off else b"")
        nfiles = max([v for v in table_values(t, pc_off + pcfile) if v >= 0] or [0]) + 1
        files = []
        for k in range(nfiles):
            fo = u32(t, cu_off + 4 * (cu + k))
            files.append(t[file_off + fo:t.index(b"\0", file_off + fo)]
                         if fo != 0xFFFFFFFF else None)
        code = elf.read(text_start + entry, end - entry)
        funcs.append((name, code, funcid, flag, start_line, tables, files))
    return funcs


def build_pclntab(funcs, vaddr, text_start_in_header):
    """A pclntab for funcs placed back to back from TEXT_ADDR; returns (table, text)."""
    names = bytearray(b"\0")
    cutab, filetab, fileoffs = [], bytearray(), {}
    pctab = bytearray(b"\0")
    recs, text = [], bytearray()
    for name, code, funcid, flag, start_line, tables, files in funcs:
        entry = len(text)
        text += code
        while len(text) % 32:
            text.append(0xCC)
        name_off = len(names)
        names += name.encode() + b"\0"
        offs = []
        for tb in tables:
            if tb:
                offs.append(len(pctab))
                pctab += tb
            else:
                offs.append(0)
        cu = len(cutab)
        for f in files:
            if f is None:
                cutab.append(0xFFFFFFFF)
                continue
            if f not in fileoffs:
                fileoffs[f] = len(filetab)
                filetab += f + b"\0"
            cutab.append(fileoffs[f])
        recs.append((entry, name_off, offs, cu, start_line, funcid, flag))
    hdr = 72
    fn = hdr
    cu_off = fn + len(names)
    file_off = cu_off + 4 * len(cutab)
    pc_off = file_off + len(filetab)
    ln_off = (pc_off + len(pctab) + 7) & ~7
    n = len(recs)
    out = bytearray(ln_off + 8 * (n + 1) + 44 * n)
    struct.pack_into("<IBBBB", out, 0, 0xFFFFFFF1, 0, 0, 1, 8)
    struct.pack_into("<8Q", out, 8, n, len(fileoffs), text_start_in_header, fn, cu_off, file_off,
                     pc_off, ln_off)
    out[fn:fn + len(names)] = names
    for i, c in enumerate(cutab):
        struct.pack_into("<I", out, cu_off + 4 * i, c)
    out[file_off:file_off + len(filetab)] = filetab
    out[pc_off:pc_off + len(pctab)] = pctab
    for i, (entry, name_off, offs, cu, start_line, funcid, flag) in enumerate(recs):
        foff = 8 * (n + 1) + 44 * i
        struct.pack_into("<II", out, ln_off + 8 * i, entry, foff)
        struct.pack_into("<IiiIIIIIIiBBBB", out, ln_off + foff, entry, name_off, 0, 0, offs[0],
                         offs[1], offs[2], 0, cu, start_line, funcid, flag, 0, 0)
    struct.pack_into("<II", out, ln_off + 8 * n, len(text), 0)
    return bytes(out), bytes(text), fn


def note(name, typ, desc):
    n = name + b"\0" * ((4 - len(name) % 4) % 4)
    d = desc + b"\0" * ((4 - len(desc) % 4) % 4)
    return struct.pack("<III", len(name), len(desc), typ) + n + d


def build_elf(src_elf, buildinfo, minor, funcs, symtab, shdrs, pie):
    new_style = minor >= 26  # textStart 0 in the header, moduledata in .go.module
    pcln_addr = RODATA_ADDR + 0x100
    pcln, text, fn_off = build_pclntab(funcs, pcln_addr, 0 if new_style else TEXT_ADDR)
    # rodata: a type descriptor (TFlagExtraStar, name "*main.result") then the pclntab
    rodata = bytearray(0x100)
    tname = b"*main.result"
    struct.pack_into("<QQIBBBB", rodata, 0, 48, 8, 0x12345678, 2, 8, 8, 25)
    struct.pack_into("<i", rodata, 40, 64)
    rodata[64:64 + 2 + len(tname)] = b"\0" + put_uvarint(len(tname)) + tname
    rodata += pcln
    # data: .go.buildinfo, then moduledata, then (PIE) the dynamic section and relocations
    data = bytearray(buildinfo)
    data += b"\0" * ((-len(data)) % 64)
    md_addr = DATA_ADDR + len(data)
    md = bytearray(0x250)
    words = {0: pcln_addr, 1: pcln_addr + fn_off, 20: TEXT_ADDR, 21: TEXT_ADDR + len(text),
             22: TEXT_ADDR, 23: TEXT_ADDR + len(text), 37: TYPES_ADDR}
    words[39 if minor >= 27 else 38] = TYPES_ADDR + 0x100
    if minor >= 27:
        words[38] = 0x100
    relocs = []
    for w, v in words.items():
        if pie and not (minor >= 27 and w == 38):  # typedesclen is not a pointer
            relocs.append((md_addr + 8 * w, v))  # the word stays 0 in the file
        else:
            struct.pack_into("<Q", md, 8 * w, v)
    data += md
    dyn_addr = rela_addr = 0
    if pie:
        rela_addr = DATA_ADDR + len(data)
        for off, add in relocs:
            data += struct.pack("<QQq", off, 8, add)
        dyn_addr = DATA_ADDR + len(data)
        data += struct.pack("<4Q", 7, rela_addr, 8, 24 * len(relocs))
        data += struct.pack("<4Q", 9, 24, 0, 0)
    notes = note(b"GNU", 3, bytes(range(20))) + note(b"Go", 4, b"fuzz/buildid/x/y")

    # symbols
    strtab, syms = bytearray(b"\0"), [bytes(24)]

    def sym(name, value, size, typ, shndx):
        syms.append(struct.pack("<IBBHQQ", len(strtab), 0x10 | typ, 0, shndx, value, size))
        strtab.extend(name.encode() + b"\0")
    if symtab:
        sym("runtime.text", TEXT_ADDR, 0, 2, 3)
        off = 0
        for name, code, *_ in funcs:
            size = len(code)
            if any(f[0] == name for f in funcs[: funcs.index((name, code, *_))]):
                name += ".abi0"
            sym(name, TEXT_ADDR + off, size, 2, 3)
            off += (size + 31) & ~31
        sym("runtime.pclntab", pcln_addr, len(pcln), 1, 4)
        sym("runtime.epclntab", pcln_addr + len(pcln), 0, 1, 4)
        sym("runtime.firstmoduledata", md_addr, 0x250, 1, 5)

    # file layout: headers+notes | text | rodata | data | symtab strtab shstrtab shdrs
    nph = 5 + (1 if pie else 0)
    notes_off = 64 + 56 * nph
    out = bytearray(notes_off)
    out += notes
    out += b"\0" * ((-len(out)) % ALIGN)
    text_off = len(out)
    out += text + b"\xcc" * ((-len(text)) % ALIGN)
    ro_off = len(out)
    out += rodata + b"\0" * ((-len(rodata)) % ALIGN)
    data_off = len(out)
    out += data
    sections = []  # name, type, flags, addr, off, size, link, entsize

    def add_sec(name, typ, flags, addr, off, size, link=0, entsize=0):
        sections.append((name, typ, flags, addr, off, size, link, entsize))
    add_sec(".note.gnu.build-id", 7, 2, 0x400000 + notes_off, notes_off, 36)
    add_sec(".note.go.buildid", 7, 2, 0x400000 + notes_off + 36, notes_off + 36,
            len(notes) - 36)
    add_sec(".text", 1, 6, TEXT_ADDR, text_off, len(text))
    add_sec(".gopclntab", 1, 2, pcln_addr, ro_off + 0x100, len(pcln))
    add_sec(".go.buildinfo", 1, 3, DATA_ADDR, data_off, len(buildinfo))
    if new_style:
        add_sec(".go.module", 1, 3, md_addr, data_off + (md_addr - DATA_ADDR), 0x250)
    if symtab:
        so = len(out)
        out += b"".join(syms)
        sto = len(out)
        out += strtab
        add_sec(".symtab", 2, 0, 0, so, len(syms) * 24, len(sections) + 2, 24)
        add_sec(".strtab", 3, 0, 0, sto, len(strtab))
    shstr = bytearray(b"\0")
    name_offs = []
    for s in sections + [(".shstrtab",)]:
        name_offs.append(len(shstr))
        shstr += s[0].encode() + b"\0"
    shstr_off = len(out)
    out += shstr
    add_sec(".shstrtab", 3, 0, 0, shstr_off, len(shstr))
    while len(out) % 8:
        out.append(0)
    shoff = len(out) if shdrs else 0
    if shdrs:
        out += bytes(64)
        for i, (name, typ, flags, addr, off, size, link, entsize) in enumerate(sections):
            out += struct.pack("<IIQQQQIIQQ", name_offs[i], typ, flags, addr, off, size, link,
                               1 if typ == 2 else 0, 8, entsize)
    shnum = len(sections) + 1 if shdrs else 0
    # ELF header and program headers
    struct.pack_into("<4sBBBB8xHHIQQQIHHHHHH", out, 0, b"\x7fELF", 2, 1, 1, 0,
                     3 if pie else 2, 62, 1, TEXT_ADDR, 64, shoff, 0, 64, 56, nph, 64, shnum,
                     shnum - 1 if shdrs else 0)
    ph = [(4, 4, notes_off, 0x400000 + notes_off, len(notes), len(notes)),
          (1, 4, 0, 0x400000, text_off, text_off),
          (1, 5, text_off, TEXT_ADDR, len(text), len(text)),
          (1, 4, ro_off, RODATA_ADDR, len(rodata), len(rodata)),
          (1, 6, data_off, DATA_ADDR, len(data), len(data) + 0x1000)]
    if pie:
        ph.append((2, 6, data_off + dyn_addr - DATA_ADDR, dyn_addr, 64, 64))
    for i, (typ, flags, off, vaddr, filesz, memsz) in enumerate(ph):
        struct.pack_into("<IIQQQQQQ", out, 64 + 56 * i, typ, flags, off, vaddr, vaddr, filesz,
                         memsz, ALIGN)
    return bytes(out)


def main():
    output = sys.argv[1] if len(sys.argv) > 1 else ".output"
    dirs = {k: os.path.join(HERE, "corpus", k) for k in ("buildinfo", "pclntab", "elf")}
    for d in dirs.values():
        os.makedirs(d, exist_ok=True)
    for v in VERSIONS:
        minor = int(v.split(".")[1])
        e = Elf(f"{output}/go/{v}/hello.default")
        bi, _ = e.data(".go.buildinfo")
        open(os.path.join(dirs["buildinfo"], f"go{v}"), "wb").write(bi)
        text_start = e.symbols()["runtime.text"][0]
        funcs = cut_pclntab(e, text_start, set(FUNCS))
        pcln, _text, _ = build_pclntab(funcs, 0x500000, 0 if minor >= 26 else TEXT_ADDR)
        open(os.path.join(dirs["pclntab"], f"go{v}"), "wb").write(pcln)
        for tag, symtab, shdrs, pie in (("exe", True, True, False),
                                        ("stripped", False, True, False),
                                        ("noshdr", False, False, False),
                                        ("pie", False, False, True)):
            blob = build_elf(e, bi, minor, funcs, symtab, shdrs, pie)
            open(os.path.join(dirs["elf"], f"go{v}-{tag}"), "wb").write(blob)
    # the pre-1.18 buildinfo format: pointers to string headers (here inside the blob)
    old = bytearray(b"\xff Go buildinf:" + bytes([8, 0]) + bytes(16))
    old[16:24] = struct.pack("<Q", 0x40)
    old += bytes(0x40 - len(old)) + struct.pack("<QQ", 0x60, 8) + bytes(16) + b"go1.16.4"
    open(os.path.join(dirs["buildinfo"], "go1.16-pointers"), "wb").write(bytes(old))


if __name__ == "__main__":
    main()
