// genoffsets writes gobin/offsets_table.c: the Go runtime structure offsets and wait reason
// strings xgotop needs, for every Go minor version and GOARCH, read from the DWARF and symbol
// table of the probe program (scripts/gen-offsets/probe) built with each toolchain.
//
//	genoffsets -fields gobin/offsets_fields.h -o gobin/offsets_table.c BINARY...
//
// The fields, in their order, are the entries of GO_OFFSETS_FIELDS in the -fields header.
//
// Each BINARY describes itself: Go version and GOARCH come from its build information. This
// uses the standard library's debug/elf, debug/dwarf and debug/buildinfo, so it is an
// implementation independent of xgotop's C DWARF reader (gobin/dwarf.c); tests/offsets.test
// compares the two on real binaries.
package main

import (
	"bytes"
	"debug/buildinfo"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// field is one member of struct go_offsets: the C name, the Go type and the member path
// ("sched.sp" is member sp of the struct type of member sched). Path "" means the size.
type field struct {
	c, typ, path string
}

// fieldRE matches the start of one entry of GO_OFFSETS_FIELDS: X(name, "gotype", "path", ...
var fieldRE = regexp.MustCompile(`^\s*X\((\w+), "([^"]*)", "([^"]*)",`)

// readFields reads the fields, in their order, from gobin/offsets_fields.h.
func readFields(path string) ([]field, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fields []field
	for i, line := range strings.Split(string(src), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "X(") {
			continue
		}
		m := fieldRE.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: not X(name, \"gotype\", \"path\", ...", path, i+1)
		}
		fields = append(fields, field{m[1], m[2], m[3]})
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("%s: no X( entries", path)
	}
	return fields, nil
}

const (
	maxWaitReasons = 64 // GO_MAX_WAITREASONS
	waitReasonLen  = 40 // GO_WAITREASON_LEN, including the NUL
)

type entry struct {
	minor      int
	goarch     string
	goVersion  string
	off        map[string]int64 // C field -> offset; absent = unknown
	wrNames    []string         // constant name without "runtime.", by value
	wrStrings  []string         // waitReasonStrings, by value
	dwarfVer   int
	compressed bool
}

var versionRE = regexp.MustCompile(`^go1\.(\d+)`)

func main() {
	out := flag.String("o", "", "output file (default: standard output)")
	fieldsPath := flag.String("fields", "", "the header listing the fields (gobin/offsets_fields.h)")
	flag.Parse()
	if flag.NArg() == 0 || *fieldsPath == "" {
		fmt.Fprintln(os.Stderr, "usage: genoffsets -fields HEADER [-o FILE] BINARY...")
		os.Exit(2)
	}
	fields, err := readFields(*fieldsPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "genoffsets: %v\n", err)
		os.Exit(1)
	}
	var entries []*entry
	for _, path := range flag.Args() {
		e, err := readBinary(path, fields)
		if err != nil {
			fmt.Fprintf(os.Stderr, "genoffsets: %s: %v\n", path, err)
			os.Exit(1)
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].minor != entries[j].minor {
			return entries[i].minor < entries[j].minor
		}
		return entries[i].goarch < entries[j].goarch
	})
	for i := 1; i < len(entries); i++ {
		if entries[i].minor == entries[i-1].minor && entries[i].goarch == entries[i-1].goarch {
			fmt.Fprintf(os.Stderr, "genoffsets: two binaries for go1.%d %s\n",
				entries[i].minor, entries[i].goarch)
			os.Exit(2)
		}
	}
	src := emit(entries, fields)
	if *out == "" {
		os.Stdout.Write(src)
		return
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "genoffsets: %v\n", err)
		os.Exit(1)
	}
}

func readBinary(path string, fields []field) (*entry, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := versionRE.FindStringSubmatch(bi.GoVersion)
	if m == nil {
		return nil, fmt.Errorf("unexpected Go version %q", bi.GoVersion)
	}
	minor, _ := strconv.Atoi(m[1])
	e := &entry{minor: minor, goVersion: bi.GoVersion, off: map[string]int64{}}
	for _, s := range bi.Settings {
		if s.Key == "GOARCH" {
			e.goarch = s.Value
		}
	}
	if e.goarch == "" {
		return nil, fmt.Errorf("no GOARCH in build information")
	}

	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if s := f.Section(".debug_info"); s != nil {
		e.compressed = s.Flags&elf.SHF_COMPRESSED != 0
	}
	e.dwarfVer = dwarfVersion(f)
	d, err := f.DWARF()
	if err != nil {
		return nil, fmt.Errorf("DWARF: %v", err)
	}

	// Named structures and the waitReason constants, from a walk over every entry.
	want := map[string]bool{}
	for _, fl := range fields {
		want[fl.typ] = true
	}
	structs := map[string]*dwarf.StructType{}
	consts := map[int64]string{}
	r := d.Reader()
	for {
		ent, err := r.Next()
		if err != nil {
			return nil, err
		}
		if ent == nil {
			break
		}
		if ent.Tag == dwarf.TagCompileUnit {
			continue
		}
		name, _ := ent.Val(dwarf.AttrName).(string)
		switch ent.Tag {
		case dwarf.TagStructType:
			if !want[name] || structs[name] != nil {
				break
			}
			t, err := d.Type(ent.Offset)
			if err != nil {
				return nil, fmt.Errorf("type %s: %v", name, err)
			}
			st, ok := t.(*dwarf.StructType)
			if !ok {
				return nil, fmt.Errorf("type %s is a %T", name, t)
			}
			structs[name] = st
		case dwarf.TagConstant:
			if !strings.HasPrefix(name, "runtime.waitReason") {
				break
			}
			toff, ok := ent.Val(dwarf.AttrType).(dwarf.Offset)
			if !ok {
				break
			}
			t, err := d.Type(toff)
			if err != nil || t.Common().Name != "runtime.waitReason" {
				break
			}
			v, ok := ent.Val(dwarf.AttrConstValue).(int64)
			if !ok {
				return nil, fmt.Errorf("constant %s has no value", name)
			}
			if old, dup := consts[v]; dup && old != name {
				return nil, fmt.Errorf("constants %s and %s both %d", old, name, v)
			}
			consts[v] = strings.TrimPrefix(name, "runtime.")
		}
		if ent.Children && ent.Tag != dwarf.TagCompileUnit {
			r.SkipChildren()
		}
	}

	for _, fl := range fields {
		st := structs[fl.typ]
		if st == nil {
			return nil, fmt.Errorf("no DWARF structure %s", fl.typ)
		}
		if off, ok := memberOffset(st, fl.path); ok {
			e.off[fl.c] = off
		}
	}

	n := int64(0)
	for v := range consts {
		if v < 0 || v >= maxWaitReasons {
			return nil, fmt.Errorf("wait reason constant %s = %d out of range", consts[v], v)
		}
		if v+1 > n {
			n = v + 1
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no runtime.waitReason constants in DWARF")
	}
	e.wrNames = make([]string, n)
	for v, name := range consts {
		e.wrNames[v] = name
	}
	if e.wrStrings, err = waitReasonStrings(f, n); err != nil {
		return nil, err
	}
	return e, nil
}

// dwarfVersion is the version of the first unit in .debug_info (debug/dwarf does not expose
// it): a 4-byte unit length (0xffffffff then 8 bytes for 64-bit DWARF), then a 2-byte version.
func dwarfVersion(f *elf.File) int {
	s := f.Section(".debug_info")
	if s == nil {
		return 0
	}
	b, err := s.Data()
	if err != nil || len(b) < 14 {
		return 0
	}
	if binary.LittleEndian.Uint32(b) == 0xffffffff {
		return int(binary.LittleEndian.Uint16(b[12:]))
	}
	return int(binary.LittleEndian.Uint16(b[4:]))
}

func memberOffset(st *dwarf.StructType, path string) (int64, bool) {
	if path == "" {
		return st.ByteSize, true
	}
	var base int64
	parts := strings.Split(path, ".")
	for i, p := range parts {
		var fld *dwarf.StructField
		for _, f := range st.Field {
			if f.Name == p {
				fld = f
				break
			}
		}
		if fld == nil {
			return 0, false
		}
		base += fld.ByteOffset
		if i == len(parts)-1 {
			return base, true
		}
		t := fld.Type
		for {
			td, ok := t.(*dwarf.TypedefType)
			if !ok {
				break
			}
			t = td.Type
		}
		next, ok := t.(*dwarf.StructType)
		if !ok {
			return 0, false
		}
		st = next
	}
	return 0, false
}

// waitReasonStrings reads runtime.waitReasonStrings, a [n]string, from the file's data.
func waitReasonStrings(f *elf.File, n int64) ([]string, error) {
	syms, err := f.Symbols()
	if err != nil {
		return nil, fmt.Errorf("symbols: %v", err)
	}
	var sym *elf.Symbol
	for i := range syms {
		if syms[i].Name == "runtime.waitReasonStrings" {
			sym = &syms[i]
			break
		}
	}
	if sym == nil {
		return nil, fmt.Errorf("no symbol runtime.waitReasonStrings")
	}
	if sym.Size != uint64(n)*16 {
		return nil, fmt.Errorf("runtime.waitReasonStrings has %d bytes, want %d strings",
			sym.Size, n)
	}
	arr, err := readVaddr(f, sym.Value, sym.Size)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		ptr := binary.LittleEndian.Uint64(arr[i*16:])
		l := binary.LittleEndian.Uint64(arr[i*16+8:])
		if l >= waitReasonLen {
			return nil, fmt.Errorf("wait reason %d is %d bytes long", i, l)
		}
		if l == 0 {
			continue
		}
		b, err := readVaddr(f, ptr, l)
		if err != nil {
			return nil, err
		}
		if bytes.ContainsAny(b, "\x00\"\\\n") {
			return nil, fmt.Errorf("wait reason %d has unexpected bytes %q", i, b)
		}
		out[i] = string(b)
	}
	return out, nil
}

func readVaddr(f *elf.File, addr, n uint64) ([]byte, error) {
	for _, p := range f.Progs {
		if p.Type != elf.PT_LOAD || addr < p.Vaddr || addr+n > p.Vaddr+p.Filesz {
			continue
		}
		b := make([]byte, n)
		if _, err := p.ReadAt(b, int64(addr-p.Vaddr)); err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, fmt.Errorf("address %#x+%d not in file-backed data", addr, n)
}

func emit(entries []*entry, fields []field) []byte {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause\n")
	w("/* Code generated by scripts/gen-offsets.sh from the DWARF and symbol table of\n")
	w(" * scripts/gen-offsets/probe built with each Go toolchain; DO NOT EDIT.\n")
	w(" *\n")
	for _, e := range entries {
		comp := ""
		if e.compressed {
			comp = ", compressed"
		}
		w(" * go1.%d %s: %s (DWARF %d%s)\n", e.minor, e.goarch, e.goVersion, e.dwarfVer, comp)
	}
	w(" */\n")
	w("/* clang-format off */\n")
	w("#include \"gobin/offsets_table.h\"\n\n")
	for _, e := range entries {
		w("static const char *const wr_names_%d_%s[] = {\n", e.minor, e.goarch)
		for _, n := range e.wrNames {
			w("\t%q,\n", n)
		}
		w("};\n\n")
	}
	w("const struct go_offsets_table_entry go_offsets_table[] = {\n")
	for _, e := range entries {
		w("\t{\n")
		w("\t\t.minor = %d,\n", e.minor)
		w("\t\t.goarch = %q,\n", e.goarch)
		w("\t\t.go_version = %q,\n", e.goVersion)
		w("\t\t.waitreason_names = wr_names_%d_%s,\n", e.minor, e.goarch)
		w("\t\t.off = {\n")
		for _, fl := range fields {
			if v, ok := e.off[fl.c]; ok {
				w("\t\t\t.%s = %d,\n", fl.c, v)
			} else {
				w("\t\t\t.%s = GO_OFF_UNKNOWN,\n", fl.c)
			}
		}
		w("\t\t\t.nwaitreasons = %d,\n", len(e.wrStrings))
		w("\t\t\t.waitreason = {\n")
		for _, s := range e.wrStrings {
			w("\t\t\t\t%q,\n", s)
		}
		w("\t\t\t},\n")
		w("\t\t\t.source = \"table go1.%d\",\n", e.minor)
		w("\t\t},\n")
		w("\t},\n")
	}
	w("};\n\n")
	w("const unsigned int go_offsets_table_len = %d;\n", len(entries))
	return b.Bytes()
}
