// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>

#include "format/event.h"
#include "format/meta.h"
#include "format/tables.h"
#include "tests/unit/test.h"

TEST(tables_intern_strings)
{
	struct tf_tables *t = tf_tables__new();
	const char *first;
	uint32_t a, b, c;
	char buf[32];

	if (!ASSERT_OK_PTR(t, "new"))
		return;
	a = tf_tables__intern(t, "main.worker", 11);
	b = tf_tables__intern(t, "chan receive", 12);
	c = tf_tables__intern(t, "main.worker", 11);
	ASSERT_EQ(a, 1u, "first id");
	ASSERT_EQ(b, 2u, "second id");
	ASSERT_EQ(c, a, "equal strings share an id");
	ASSERT_STREQ(tf_tables__str(t, b), "chan receive", "lookup");
	ASSERT_STREQ(tf_tables__str(t, 0), "", "id 0");
	ASSERT_STREQ(tf_tables__str(t, 99), "", "unknown id");
	first = tf_tables__str(t, a);
	/* many more strings: earlier pointers must not move */
	for (int i = 0; i < 100000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		if (!ASSERT_NEQ(tf_tables__intern(t, buf, strlen(buf)), 0u, "intern"))
			break;
	}
	ASSERT_TRUE(first == tf_tables__str(t, a), "strings never move");
	ASSERT_EQ(tf_tables__str_count(t), 100002u, "count");
	snprintf(buf, sizeof(buf), "s%d", 77777);
	ASSERT_EQ(tf_tables__intern(t, buf, strlen(buf)), 77777u + 3, "dedupe after growth");
	ASSERT_EQ(tf_tables__intern(t, "", 0), 100003u, "empty string is a string");
	tf_tables__free(t);
}

TEST(tables_stacks)
{
	struct tf_tables *t = tf_tables__new();
	struct xg_frame f[3] = {{.pc = 0x401000, .fn = 1, .line = 10},
				{.pc = 0x402000, .fn = 2, .line = 20},
				{.pc = 0x403000, .fn = 3, .line = 30}};
	const struct xg_frame *got;
	uint32_t n, s1, s2, s3;

	if (!ASSERT_OK_PTR(t, "new"))
		return;
	s1 = tf_tables__intern_stack(t, f, 3);
	s2 = tf_tables__intern_stack(t, f, 2);
	s3 = tf_tables__intern_stack(t, f, 3);
	ASSERT_EQ(s1, 1u, "first stack");
	ASSERT_EQ(s2, 2u, "prefix is another stack");
	ASSERT_EQ(s3, s1, "dedupe");
	ASSERT_EQ(tf_tables__intern_stack(t, f, 0), 0u, "empty stack is id 0");
	got = tf_tables__stack(t, s1, &n);
	if (ASSERT_OK_PTR(got, "lookup") && ASSERT_EQ(n, 3u, "frames"))
		ASSERT_EQ(got[2].pc, 0x403000ull, "pc");
	ASSERT_NULL(tf_tables__stack(t, 7, &n), "unknown id");
	ASSERT_EQ(tf_tables__add_stack(t, 5, f, 1), -EINVAL, "add_stack needs the next id");
	ASSERT_OK(tf_tables__add_stack(t, 3, f, 1), "add_stack");
	tf_tables__free(t);
}

TEST(meta_set_get_order)
{
	struct tf_meta *m = tf_meta__new(), *c = NULL;
	const char *key, *sval;
	int64_t ival;

	if (!ASSERT_OK_PTR(m, "new"))
		return;
	ASSERT_OK(tf_meta__set_str(m, TF_KEY_GO_VERSION, "go1.27.4"), "set");
	ASSERT_OK(tf_meta__set_int(m, TF_KEY_TARGET_PID, 1234), "set int");
	ASSERT_OK(tf_meta__set_str(m, TF_KEY_GO_VERSION, "go1.26.11"), "replace");
	ASSERT_EQ(tf_meta__count(m), 2u, "count");
	ASSERT_STREQ(tf_meta__str(m, TF_KEY_GO_VERSION), "go1.26.11", "str");
	ASSERT_TRUE(tf_meta__int(m, TF_KEY_TARGET_PID, &ival) && ival == 1234, "int");
	ASSERT_NULL(tf_meta__str(m, TF_KEY_TARGET_PID), "type mismatch");
	c = tf_meta__dup(m);
	if (ASSERT_OK_PTR(c, "dup")) {
		ASSERT_EQ((int)tf_meta__at(c, 0, &key, &sval, &ival), (int)TF_META_STR,
			  "order kept");
		ASSERT_STREQ(key, "go.version", "first key");
	}
	tf_meta__free(c);
	tf_meta__free(m);
}

/* SPEC.md section 6, trace.id: the recorded id, else the metadata's hash (the values below are
 * tests/reader.py's, written from SPEC.md) */
TEST(meta_trace_id)
{
	struct tf_meta *m = tf_meta__new();
	char id[TF_TRACE_ID_LEN + 1];

	if (!ASSERT_OK_PTR(m, "new"))
		return;
	tf_meta__trace_id(NULL, id);
	ASSERT_STREQ(id, "cbf29ce48422232584222325cbf29ce4", "no metadata: the offset bases");
	ASSERT_OK(tf_meta__set_str(m, TF_KEY_GO_VERSION, "go1.26.11"), "set");
	ASSERT_OK(tf_meta__set_int(m, TF_KEY_TARGET_PID, 1234), "set int");
	tf_meta__trace_id(m, id);
	ASSERT_STREQ(id, "8cdbefcf38db4c51e135284d674b61ba", "derived");
	ASSERT_OK(tf_meta__set_str(m, TF_KEY_TRACE_ID, "0123456789abcdef0123456789ABCDEF"), "set");
	tf_meta__trace_id(m, id);
	ASSERT_NEQ(strcmp(id, "0123456789abcdef0123456789ABCDEF"), 0, "upper case: not an id");
	ASSERT_OK(tf_meta__set_str(m, TF_KEY_TRACE_ID, "0123456789abcdef0123456789abcdef"), "set");
	tf_meta__trace_id(m, id);
	ASSERT_STREQ(id, "0123456789abcdef0123456789abcdef", "recorded");
	tf_meta__free(m);
}

TEST(event_names)
{
	ASSERT_STREQ(xg_kind_name(XG_EV_GO_CREATE), "go_create", "kind");
	ASSERT_EQ(xg_kind_parse("alloc_sample"), XG_EV_ALLOC_SAMPLE, "parse");
	ASSERT_EQ(xg_kind_parse("nope"), -1, "unknown");
	ASSERT_NULL(xg_kind_name(200), "out of range");
	ASSERT_STREQ(xg_gstate_name(XG_G_WAITING), "waiting", "state");
	ASSERT_NULL(xg_gstate_name(5), "unused state");
	ASSERT_EQ(xg_gstate_parse("copystack"), XG_G_COPYSTACK, "state parse");
	for (int k = 1; k < XG_EV_KIND_MAX; k++)
		ASSERT_EQ(xg_kind_parse(xg_kind_name((unsigned int)k)), k, "every kind named");
}

/* The kind masks of the chunk columns, as SPEC.md section 9.2 lists them: stored in files. */
TEST(event_kind_masks)
{
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_STATE), 0x808ULL, "state, reason");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_STACK), 0xb1aULL, "stack");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_CREATE), 0x802ULL, "go_create columns");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_ALLOC), 0x210ULL, "size, type");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_WEIGHT), 0x300ULL, "weight");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_HEAP), 0x460ULL, "heap columns");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_LOST), 0x3080ULL, "count, of");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_WAITED), 0x800ULL, "waited_ns");
	ASSERT_EQ(XG_KINDS_WITH_FIELDS(XG_FLD_SCHED), 0x4000ULL, "sched columns");
	ASSERT_EQ(XG_KINDS_WITH_FLAGS(XG_KIND_GOROUTINE), 0x80eULL, "goroutine kinds");
	ASSERT_TRUE(!XG_KIND_IN(XG_KINDS_WITH_FIELDS(~0U), XG_EV_GO_EXIT), "go_exit stores none");
	ASSERT_TRUE(!XG_KIND_IN(~0ULL, 200), "past 63");
}

TEST(meta_key_sample)
{
	char key[TF_KEY_SAMPLE_MAX];

	ASSERT_STREQ(tf_meta_key_sample(key, sizeof(key), XG_EV_ALLOC), "sample.alloc", "alloc");
	ASSERT_STREQ(tf_meta_key_sample(key, sizeof(key), XG_EV_ALLOC_SAMPLE),
		     "sample.alloc_sample", "longest");
	ASSERT_STREQ(tf_meta_key_sample(key, sizeof(key), 200), "", "not a kind");
}

#include "format/evjson.h"

static char *json_of(const struct xg_event *ev, const struct tf_tables *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	xg_event_write_json(f, ev, t);
	fclose(f);
	return buf;
}

TEST(event_json_schema)
{
	struct tf_tables *t = tf_tables__new();
	struct xg_event ev = {0};
	char *s = NULL;

	if (!ASSERT_OK_PTR(t, "tables"))
		return;
	ev.ts = 1500;
	ev.kind = XG_EV_GO_CREATE;
	ev.goid = 7;
	ev.tid = 42;
	ev.cpu = 1;
	ev.parent_goid = 1;
	ev.start_fn = tf_tables__intern(t, "main.worker", 11);
	ev.start_pc = 0x49a2c0;
	ev.create_fn = tf_tables__intern(t, "main.main", 9);
	ev.create_pc = 0x49a3f1;
	s = json_of(&ev, t);
	ASSERT_STREQ(s,
		     "{\"ts\":1500,\"kind\":\"go_create\",\"goid\":7,\"tid\":42,\"cpu\":1,"
		     "\"parent_goid\":1,\"start_fn\":\"main.worker\",\"start_pc\":\"0x49a2c0\","
		     "\"create_fn\":\"main.main\",\"create_pc\":\"0x49a3f1\"}\n",
		     "go_create");
	free(s);

	memset(&ev, 0, sizeof(ev));
	ev.kind = XG_EV_GO_STATE;
	ev.goid = 7;
	ev.from = XG_G_RUNNING;
	ev.to = XG_G_WAITING;
	ev.reason = tf_tables__intern(t, "chan receive", 12);
	s = json_of(&ev, t);
	ASSERT_STREQ(s,
		     "{\"ts\":0,\"kind\":\"go_state\",\"goid\":7,\"tid\":0,\"cpu\":0,"
		     "\"from\":\"running\",\"to\":\"waiting\",\"reason\":\"chan receive\"}\n",
		     "go_state");
	free(s);

	memset(&ev, 0, sizeof(ev));
	ev.kind = XG_EV_LOST;
	ev.count = 12;
	ev.of = XG_EV_ALLOC;
	s = json_of(&ev, t);
	ASSERT_STREQ(s,
		     "{\"ts\":0,\"kind\":\"lost\",\"goid\":0,\"tid\":0,\"cpu\":0,\"count\":12,"
		     "\"of\":\"alloc\"}\n",
		     "lost");
	free(s);
	tf_tables__free(t);
}

TEST(tables_go_names)
{
	ASSERT_STREQ(tf_func_short("github.com/caddyserver/caddy/v2.replaceLocalAdminServer.func2"),
		     "caddy/v2.replaceLocalAdminServer.func2", "major version keeps its parent");
	ASSERT_STREQ(tf_func_short("net/http.(*conn).serve"), "http.(*conn).serve", "method");
	ASSERT_STREQ(tf_func_short("main.main"), "main.main", "no path");
	ASSERT_STREQ(tf_func_short("golang.org/x/net/socket.rwT[...].func2"),
		     "socket.rwT[...].func2", "generic");
	ASSERT_STREQ(tf_func_short("a/b.F[c/d.T]"), "b.F[c/d.T]", "slash in type arguments");
	ASSERT_TRUE(!tf_frame_shown_by_go("runtime.gopark", true), "runtime internal");
	ASSERT_TRUE(tf_frame_shown_by_go("runtime.Gosched", true), "exported runtime");
	ASSERT_TRUE(tf_frame_shown_by_go("runtime.(*Func).Name", true), "exported method");
	ASSERT_TRUE(!tf_frame_shown_by_go("runtime.(*mheap).alloc", true), "unexported type");
	ASSERT_TRUE(!tf_frame_shown_by_go("runtime.gopanic", true), "gopanic first");
	ASSERT_TRUE(tf_frame_shown_by_go("runtime.gopanic", false), "gopanic inside");
	ASSERT_TRUE(tf_frame_shown_by_go("main.main", true), "user code");
	ASSERT_TRUE(!tf_frame_shown_by_go("nodot", false), "no package");
}
