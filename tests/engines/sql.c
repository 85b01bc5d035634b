// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Runs SQL on an analytics engine loaded at run time, for the tests and benchmarks that read
 * xgotop's Parquet back with engines it does not link against:
 *
 *	engine-sql duckdb LIBDUCKDB.so 'SELECT count(*) FROM read_parquet(...)' [SQL...]
 *	engine-sql chdb LIBCHDB.so "SELECT count() FROM file('x.parquet', Parquet)" [SQL...]
 *
 * Each statement's rows go to stdout as tab-separated lines, NULL as \N (DuckDB: each value as
 * duckdb_value_varchar gives it; chdb: its own TSV format). On an error the engine's message
 * goes to stderr and the status is 1; 2 is bad usage or a library that does not load
 * (tests/engines/fetch.sh fetches both). The libraries ship no headers: the few calls used are
 * declared here from their public C APIs (DuckDB's duckdb.h; chdb's chdb.h).
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- DuckDB ---- */

typedef uint64_t idx_t;
/* duckdb_result: six pointer-sized fields; room to spare for the engine to write into */
typedef union {
	struct {
		idx_t column_count, row_count, rows_changed;
		void *columns;
		char *error_message;
		void *internal_data;
	} r;
	char pad[256];
} duckdb_result;

struct duckdb_api {
	int (*open)(const char *path, void **db);
	int (*connect)(void *db, void **conn);
	int (*query)(void *conn, const char *sql, duckdb_result *res);
	idx_t (*column_count)(duckdb_result *res);
	idx_t (*row_count)(duckdb_result *res);
	char *(*value_varchar)(duckdb_result *res, idx_t col, idx_t row);
	bool (*value_is_null)(duckdb_result *res, idx_t col, idx_t row);
	const char *(*result_error)(duckdb_result *res);
	void (*destroy_result)(duckdb_result *res);
	void (*disconnect)(void **conn);
	void (*close)(void **db);
	void (*free)(void *p);
};

/* ---- chdb ---- */

struct chdb_api {
	void **(*connect)(int argc, char **argv);
	void *(*query)(void *conn, const char *sql, const char *format);
	char *(*result_buffer)(void *res);
	size_t (*result_length)(void *res);
	const char *(*result_error)(void *res);
	void (*destroy_query_result)(void *res);
	void (*close_conn)(void **conn);
};

static void *lib;

static bool sym(void *dst, const char *name)
{
	void *p = dlsym(lib, name);

	if (!p) {
		fprintf(stderr, "engine-sql: %s: %s\n", name, dlerror());
		return false;
	}
	memcpy(dst, &p, sizeof(p));
	return true;
}

static int run_duckdb(int n, char **sql)
{
	struct duckdb_api d;
	void *db = NULL, *conn = NULL;
	int ret = 0;

	if (!sym(&d.open, "duckdb_open") || !sym(&d.connect, "duckdb_connect") ||
	    !sym(&d.query, "duckdb_query") || !sym(&d.column_count, "duckdb_column_count") ||
	    !sym(&d.row_count, "duckdb_row_count") ||
	    !sym(&d.value_varchar, "duckdb_value_varchar") ||
	    !sym(&d.value_is_null, "duckdb_value_is_null") ||
	    !sym(&d.result_error, "duckdb_result_error") ||
	    !sym(&d.destroy_result, "duckdb_destroy_result") ||
	    !sym(&d.disconnect, "duckdb_disconnect") || !sym(&d.close, "duckdb_close") ||
	    !sym(&d.free, "duckdb_free"))
		return 2;
	if (d.open(NULL, &db) || d.connect(db, &conn)) {
		fprintf(stderr, "engine-sql: duckdb: cannot open an in-memory database\n");
		ret = 2;
		goto out;
	}
	for (int i = 0; i < n && !ret; i++) {
		duckdb_result res;

		memset(&res, 0, sizeof(res));
		if (d.query(conn, sql[i], &res)) {
			const char *e = d.result_error(&res);

			fprintf(stderr, "engine-sql: duckdb: %s\n", e ? e : "query failed");
			ret = 1;
		} else {
			idx_t nc = d.column_count(&res), nr = d.row_count(&res);

			for (idx_t r = 0; r < nr; r++) {
				for (idx_t c = 0; c < nc; c++) {
					if (c)
						putchar('\t');
					if (d.value_is_null(&res, c, r)) {
						fputs("\\N", stdout);
					} else {
						char *v = d.value_varchar(&res, c, r);

						fputs(v ? v : "", stdout);
						d.free(v);
					}
				}
				putchar('\n');
			}
		}
		d.destroy_result(&res);
	}
out:
	if (conn)
		d.disconnect(&conn);
	if (db)
		d.close(&db);
	return ret;
}

static int run_chdb(int n, char **sql)
{
	char arg0[] = "clickhouse";
	char *argv[] = {arg0, NULL};
	struct chdb_api c;
	void **conn;
	int ret = 0;

	if (!sym(&c.connect, "chdb_connect") || !sym(&c.query, "chdb_query") ||
	    !sym(&c.result_buffer, "chdb_result_buffer") ||
	    !sym(&c.result_length, "chdb_result_length") ||
	    !sym(&c.result_error, "chdb_result_error") ||
	    !sym(&c.destroy_query_result, "chdb_destroy_query_result") ||
	    !sym(&c.close_conn, "chdb_close_conn"))
		return 2;
	conn = c.connect(1, argv);
	if (!conn || !*conn) {
		fprintf(stderr, "engine-sql: chdb: cannot connect\n");
		return 2;
	}
	for (int i = 0; i < n && !ret; i++) {
		void *res = c.query(*conn, sql[i], "TSV");
		const char *e = res ? c.result_error(res) : "no result";

		if (e && *e) {
			fprintf(stderr, "engine-sql: chdb: %s\n", e);
			ret = 1;
		} else {
			fwrite(c.result_buffer(res), 1, c.result_length(res), stdout);
		}
		if (res)
			c.destroy_query_result(res);
	}
	fflush(stdout);
	c.close_conn(conn);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "duckdb") && strcmp(argv[1], "chdb"))) {
		fprintf(stderr, "usage: engine-sql duckdb|chdb LIBRARY.so SQL...\n");
		return 2;
	}
	lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "engine-sql: %s: %s (tests/engines/fetch.sh %s fetches it)\n",
			argv[2], dlerror(), argv[1]);
		return 2;
	}
	if (!strcmp(argv[1], "duckdb"))
		return run_duckdb(argc - 3, argv + 3);
	return run_chdb(argc - 3, argv + 3);
}
