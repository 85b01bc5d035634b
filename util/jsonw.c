// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonw.h"
#include "util/utf8.h"

#define JSONW_MAX_DEPTH 64

struct jsonw {
	FILE *f;
	int depth;
	bool pretty;
	bool after_name;
	/* first[d]: nothing written yet at depth d, so no comma is needed */
	bool first[JSONW_MAX_DEPTH + 1];
};

struct jsonw *jsonw_new(FILE *f)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->f = f;
	w->first[0] = true;
	return w;
}

void jsonw_free(struct jsonw *w)
{
	free(w);
}

void jsonw_pretty(struct jsonw *w, bool on)
{
	w->pretty = on;
}

static void indent(struct jsonw *w)
{
	if (!w->pretty)
		return;
	fputc('\n', w->f);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->f);
}

/* Separator before a value or a name. */
static void sep(struct jsonw *w)
{
	if (w->after_name) {
		w->after_name = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->f);
	if (w->depth > 0)
		indent(w);
	w->first[w->depth] = false;
}

static void open_(struct jsonw *w, char c)
{
	sep(w);
	fputc(c, w->f);
	if (w->depth < JSONW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jsonw *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (!empty)
		indent(w);
	fputc(c, w->f);
}

void jsonw_start_object(struct jsonw *w)
{
	open_(w, '{');
}

void jsonw_end_object(struct jsonw *w)
{
	close_(w, '}');
}

void jsonw_start_array(struct jsonw *w)
{
	open_(w, '[');
}

void jsonw_end_array(struct jsonw *w)
{
	close_(w, ']');
}

void jsonw_newline(struct jsonw *w)
{
	fputc('\n', w->f);
	w->first[0] = true;
}

size_t json_escape(char *dst, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	char *d = dst;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t run = i;

		/* copy a run of plain ASCII at once */
		while (run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			memcpy(d, s + i, run - i);
			d += run - i;
			i = run;
			continue;
		}
		if (c >= 0x80) {
			size_t n = utf8_seq_len(s + i, len - i);

			if (n) {
				memcpy(d, s + i, n);
				d += n;
				i += n;
			} else {
				static const char repl[6] = {'\\', 'u', 'f', 'f', 'f', 'd'};

				memcpy(d, repl, sizeof(repl));
				d += sizeof(repl);
				i++;
			}
			continue;
		}
		*d++ = '\\';
		switch (c) {
		case '"':
			*d++ = '"';
			break;
		case '\\':
			*d++ = '\\';
			break;
		case '\n':
			*d++ = 'n';
			break;
		case '\r':
			*d++ = 'r';
			break;
		case '\t':
			*d++ = 't';
			break;
		default:
			*d++ = 'u';
			*d++ = '0';
			*d++ = '0';
			*d++ = hex[c >> 4];
			*d++ = hex[c & 15];
		}
		i++;
	}
	return (size_t)(d - dst);
}

void json_put_string(FILE *f, const char *s, size_t len)
{
	char buf[6 * 256];

	fputc('"', f);
	while (len) {
		size_t n = len < 256 ? len : 256, out;

		/* do not split a UTF-8 sequence between pieces */
		while (n < len && n > 252 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		out = json_escape(buf, s, n);
		fwrite(buf, 1, out, f);
		s += n;
		len -= n;
	}
	fputc('"', f);
}

void jsonw_name(struct jsonw *w, const char *name)
{
	sep(w);
	json_put_string(w->f, name, strlen(name));
	fputs(w->pretty ? ": " : ":", w->f);
	w->after_name = true;
}

void jsonw_string_len(struct jsonw *w, const char *s, size_t len)
{
	sep(w);
	json_put_string(w->f, s, len);
}

void jsonw_string(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	jsonw_string_len(w, s, strlen(s));
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	sep(w);
	fprintf(w->f, "%" PRIu64, v);
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	sep(w);
	fprintf(w->f, "%" PRId64, v);
}

void jsonw_double(struct jsonw *w, double v)
{
	sep(w);
	if (isfinite(v))
		fprintf(w->f, "%.17g", v);
	else
		fputs("null", w->f);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	sep(w);
	fputs(v ? "true" : "false", w->f);
}

void jsonw_null(struct jsonw *w)
{
	sep(w);
	fputs("null", w->f);
}

void jsonw_hex(struct jsonw *w, uint64_t v)
{
	sep(w);
	fprintf(w->f, "\"0x%" PRIx64 "\"", v);
}

void jsonw_string_field(struct jsonw *w, const char *name, const char *s)
{
	jsonw_name(w, name);
	jsonw_string(w, s);
}

void jsonw_uint_field(struct jsonw *w, const char *name, uint64_t v)
{
	jsonw_name(w, name);
	jsonw_uint(w, v);
}

void jsonw_int_field(struct jsonw *w, const char *name, int64_t v)
{
	jsonw_name(w, name);
	jsonw_int(w, v);
}

void jsonw_double_field(struct jsonw *w, const char *name, double v)
{
	jsonw_name(w, name);
	jsonw_double(w, v);
}

void jsonw_bool_field(struct jsonw *w, const char *name, bool v)
{
	jsonw_name(w, name);
	jsonw_bool(w, v);
}

void jsonw_hex_field(struct jsonw *w, const char *name, uint64_t v)
{
	jsonw_name(w, name);
	jsonw_hex(w, v);
}
