// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Perfetto export: a Trace is `repeated TracePacket packet = 1`, so the file is a run of
 * (0x0a, varint length, TracePacket). Field numbers from perfetto's protos (trace_packet.proto
 * and the track_event directory), stable by contract.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "format/tables.h"
#include "offline/export.h"
#include "offline/pb.h"

/* TracePacket */
#define TP_TIMESTAMP	     8
#define TP_SEQUENCE_ID	     10
#define TP_TRACK_EVENT	     11
#define TP_INTERNED_DATA     12
#define TP_SEQUENCE_FLAGS    13
#define TP_TRACK_DESCRIPTOR  60
#define TP_FIRST_ON_SEQUENCE 87
#define SEQ_CLEARED	     1 /* SEQ_INCREMENTAL_STATE_CLEARED */
#define SEQ_NEEDS	     2 /* SEQ_NEEDS_INCREMENTAL_STATE */
/* TrackDescriptor */
#define TD_UUID		  1
#define TD_NAME		  2
#define TD_PROCESS	  3
#define TD_PARENT_UUID	  5
#define TD_COUNTER	  8
#define TD_CHILD_ORDERING 11
#define TD_SIBLING_RANK	  12
#define ORDERING_EXPLICIT 3
/* ProcessDescriptor */
#define PD_PID		1
#define PD_PROCESS_NAME 6
/* CounterDescriptor */
#define CD_UNIT	     3
#define CD_UNIT_NAME 6
#define UNIT_COUNT   2
#define UNIT_BYTES   3
/* TrackEvent */
#define TE_DEBUG_ANNOTATIONS 4
#define TE_TYPE		     9
#define TE_NAME_IID	     10
#define TE_TRACK_UUID	     11
#define TE_COUNTER_VALUE     30
#define TE_FLOW_IDS	     47
#define TE_TERMINATING_FLOWS 48
#define TYPE_SLICE_BEGIN     1
#define TYPE_SLICE_END	     2
#define TYPE_INSTANT	     3
#define TYPE_COUNTER	     4
/* InternedData / EventName */
#define ID_EVENT_NAMES 2
#define EN_IID	       1
#define EN_NAME	       2
/* DebugAnnotation */
#define DA_UINT_VALUE 3
#define DA_NAME	      10

#define OUT_FLUSH     (1u << 20)

struct pf {
	FILE *f;
	struct pb_buf out;	 /* framed packets not written yet */
	struct pb_buf p;	 /* the packet being built */
	struct tf_tables *names; /* event name interning: string id = iid */
	uint32_t names_sent;	 /* iids defined on the sequence so far */
	struct export_stats *st;
	int err;
};

static uint64_t uuid_of(uint64_t track)
{
	if (track == TIMELINE_TRACK_GC)
		return PERFETTO_UUID_GC;
	if (track == TIMELINE_TRACK_LOST)
		return PERFETTO_UUID_LOST;
	return PERFETTO_UUID_G(track);
}

static void packet_start(struct pf *pf)
{
	pb_buf__reset(&pf->p);
	pb_uint(&pf->p, TP_SEQUENCE_ID, PERFETTO_SEQUENCE);
}

static int out_flush(struct pf *pf)
{
	if (pf->out.err)
		return pf->out.err;
	if (pf->out.len && fwrite(pf->out.p, 1, pf->out.len, pf->f) != pf->out.len)
		return -EIO;
	pf->st->bytes += pf->out.len;
	pb_buf__reset(&pf->out);
	return 0;
}

/* Appends the packet as Trace.packet (field 1, length-delimited). */
static int packet_write(struct pf *pf)
{
	if (pf->p.err)
		return pf->p.err;
	pb_bytes(&pf->out, 1, pf->p.p, pf->p.len);
	pf->st->packets++;
	return pf->out.len >= OUT_FLUSH ? out_flush(pf) : pf->out.err;
}

static void descriptor(struct pf *pf, uint64_t uuid, uint64_t parent, const char *name,
		       int64_t rank)
{
	size_t td;

	packet_start(pf);
	td = pb_begin(&pf->p, TP_TRACK_DESCRIPTOR);
	pb_uint(&pf->p, TD_UUID, uuid);
	pb_uint(&pf->p, TD_PARENT_UUID, parent);
	pb_string(&pf->p, TD_NAME, name);
	pb_int(&pf->p, TD_SIBLING_RANK, rank);
	pb_end(&pf->p, td);
}

static int pf_begin(void *ctx, int64_t pid, const char *process)
{
	struct pf *pf = ctx;
	size_t td, pd, cd;
	int err;

	packet_start(pf);
	pb_uint(&pf->p, TP_SEQUENCE_FLAGS, SEQ_CLEARED);
	pb_uint(&pf->p, TP_FIRST_ON_SEQUENCE, 1);
	td = pb_begin(&pf->p, TP_TRACK_DESCRIPTOR);
	pb_uint(&pf->p, TD_UUID, PERFETTO_UUID_PROCESS);
	pd = pb_begin(&pf->p, TD_PROCESS);
	pb_int(&pf->p, PD_PID, pid > 0 ? pid : 1);
	pb_string(&pf->p, PD_PROCESS_NAME, process);
	pb_end(&pf->p, pd);
	pb_uint(&pf->p, TD_CHILD_ORDERING, ORDERING_EXPLICIT);
	pb_end(&pf->p, td);
	err = packet_write(pf);
	for (int c = 0; c < TIMELINE_NCOUNTERS && !err; c++) {
		const char *unit = timeline_counters[c].unit;

		packet_start(pf);
		td = pb_begin(&pf->p, TP_TRACK_DESCRIPTOR);
		pb_uint(&pf->p, TD_UUID, PERFETTO_UUID_COUNTER(c));
		pb_uint(&pf->p, TD_PARENT_UUID, PERFETTO_UUID_PROCESS);
		pb_string(&pf->p, TD_NAME, timeline_counters[c].name);
		pb_int(&pf->p, TD_SIBLING_RANK, -100 + c);
		cd = pb_begin(&pf->p, TD_COUNTER);
		if (!strcmp(unit, "count"))
			pb_uint(&pf->p, CD_UNIT, UNIT_COUNT);
		else if (!strcmp(unit, "bytes"))
			pb_uint(&pf->p, CD_UNIT, UNIT_BYTES);
		else
			pb_string(&pf->p, CD_UNIT_NAME, unit);
		pb_end(&pf->p, cd);
		pb_end(&pf->p, td);
		err = packet_write(pf);
	}
	return err;
}

static int pf_track(void *ctx, uint64_t track, const char *name)
{
	struct pf *pf = ctx;
	int64_t rank = track == TIMELINE_TRACK_GC ? -20 : track == TIMELINE_TRACK_LOST ? -19 : 0;

	if (!rank)
		rank = track > INT32_MAX ? INT32_MAX : (int64_t)track;
	descriptor(pf, uuid_of(track), PERFETTO_UUID_PROCESS, name, rank);
	return packet_write(pf);
}

/* Starts a TrackEvent packet at ts; interns name (defining it in this packet when new). */
static size_t event_start(struct pf *pf, uint64_t ts, const char *name, uint64_t *iid)
{
	*iid = 0;
	packet_start(pf);
	pb_uint(&pf->p, TP_TIMESTAMP, ts);
	pb_uint(&pf->p, TP_SEQUENCE_FLAGS, SEQ_NEEDS);
	if (name) {
		uint32_t id = tf_tables__intern(pf->names, name, strlen(name));

		if (!id) {
			pf->p.err = -ENOMEM;
			return 0;
		}
		if (id > pf->names_sent) {
			size_t in = pb_begin(&pf->p, TP_INTERNED_DATA);
			size_t en = pb_begin(&pf->p, ID_EVENT_NAMES);

			pb_uint(&pf->p, EN_IID, id);
			pb_string(&pf->p, EN_NAME, name);
			pb_end(&pf->p, en);
			pb_end(&pf->p, in);
			pf->names_sent = id;
			pf->st->names++;
		}
		*iid = id;
	}
	return pb_begin(&pf->p, TP_TRACK_EVENT);
}

static int pf_slice_begin(void *ctx, uint64_t track, uint64_t ts, const char *name,
			  uint64_t flow_end)
{
	struct pf *pf = ctx;
	uint64_t iid;
	size_t te = event_start(pf, ts, name, &iid);

	pb_uint(&pf->p, TE_TYPE, TYPE_SLICE_BEGIN);
	pb_uint(&pf->p, TE_TRACK_UUID, uuid_of(track));
	pb_uint(&pf->p, TE_NAME_IID, iid);
	if (flow_end)
		pb_fixed64(&pf->p, TE_TERMINATING_FLOWS, flow_end);
	pb_end(&pf->p, te);
	return packet_write(pf);
}

static int pf_slice_end(void *ctx, uint64_t track, uint64_t ts)
{
	struct pf *pf = ctx;
	uint64_t iid;
	size_t te = event_start(pf, ts, NULL, &iid);

	pb_uint(&pf->p, TE_TYPE, TYPE_SLICE_END);
	pb_uint(&pf->p, TE_TRACK_UUID, uuid_of(track));
	pb_end(&pf->p, te);
	return packet_write(pf);
}

static int pf_instant(void *ctx, uint64_t track, uint64_t ts, const char *name, uint64_t flow_begin,
		      uint64_t goid)
{
	struct pf *pf = ctx;
	uint64_t iid;
	size_t te = event_start(pf, ts, name, &iid);

	pb_uint(&pf->p, TE_TYPE, TYPE_INSTANT);
	pb_uint(&pf->p, TE_TRACK_UUID, uuid_of(track));
	pb_uint(&pf->p, TE_NAME_IID, iid);
	if (flow_begin)
		pb_fixed64(&pf->p, TE_FLOW_IDS, flow_begin);
	if (goid) {
		size_t da = pb_begin(&pf->p, TE_DEBUG_ANNOTATIONS);

		pb_string(&pf->p, DA_NAME, "goid");
		pb_uint(&pf->p, DA_UINT_VALUE, goid);
		pb_end(&pf->p, da);
	}
	pb_end(&pf->p, te);
	return packet_write(pf);
}

static int pf_counter(void *ctx, enum timeline_counter c, uint64_t ts, int64_t value)
{
	struct pf *pf = ctx;
	uint64_t iid;
	size_t te = event_start(pf, ts, NULL, &iid);

	pb_uint(&pf->p, TE_TYPE, TYPE_COUNTER);
	pb_uint(&pf->p, TE_TRACK_UUID, PERFETTO_UUID_COUNTER(c));
	pb_int(&pf->p, TE_COUNTER_VALUE, value);
	pb_end(&pf->p, te);
	return packet_write(pf);
}

static int pf_end(void *ctx, uint64_t ts)
{
	struct pf *pf = ctx;

	(void)ts;
	return out_flush(pf) ?: (fflush(pf->f) ? -EIO : 0);
}

int export_perfetto(struct trace *t, FILE *f, struct export_stats *st)
{
	struct pf pf = {.f = f, .st = st};
	struct timeline_ops ops = {
	    .begin = pf_begin,
	    .track = pf_track,
	    .slice_begin = pf_slice_begin,
	    .slice_end = pf_slice_end,
	    .instant = pf_instant,
	    .counter = pf_counter,
	    .end = pf_end,
	    .ctx = &pf,
	};
	int err;

	memset(st, 0, sizeof(*st));
	pf.names = tf_tables__new();
	if (!pf.names)
		return -ENOMEM;
	err = timeline_walk(t, &ops, &st->tl);
	pb_buf__free(&pf.p);
	pb_buf__free(&pf.out);
	tf_tables__free(pf.names);
	return err;
}
