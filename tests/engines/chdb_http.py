#!/usr/bin/env python3
"""ClickHouse's HTTP interface, as much of it as `xgotop push` uses, answered by a current
ClickHouse engine: chdb's libchdb.so (ClickHouse 26.5, embedded, tests/engines/fetch.sh chdb)
with its tables on disk under DIR. So the pushes' modern schema (LowCardinality, DateTime64(9),
Delta+ZSTD codecs) and their RowBinary rows are taken by real ClickHouse code.

    tests/engines/chdb_http.py LIBCHDB.so DIR PORT

Serves POST / on 127.0.0.1:PORT until killed: a body without `query=` in the URL is the SQL;
with it, the query is an INSERT ... FORMAT RowBinary and the body its rows (gzip when the
request says Content-Encoding: gzip), loaded with INSERT ... FROM INFILE. `database=` in the
URL is the default database. Answers 200 with the result as TabSeparated, or 500 with the
engine's message. Prints "ready" on stdout once listening.
"""
import ctypes
import http.server
import os
import sys
import tempfile
import threading
import urllib.parse


class Chdb:
    def __init__(self, lib, path):
        self.lib = ctypes.CDLL(lib)
        L = self.lib
        L.chdb_connect.restype = ctypes.POINTER(ctypes.c_void_p)
        L.chdb_connect.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
        L.chdb_query.restype = ctypes.c_void_p
        L.chdb_query.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
        L.chdb_result_buffer.restype = ctypes.c_void_p
        L.chdb_result_buffer.argtypes = [ctypes.c_void_p]
        L.chdb_result_length.restype = ctypes.c_size_t
        L.chdb_result_length.argtypes = [ctypes.c_void_p]
        L.chdb_result_error.restype = ctypes.c_char_p
        L.chdb_result_error.argtypes = [ctypes.c_void_p]
        L.chdb_destroy_query_result.argtypes = [ctypes.c_void_p]
        args = [b"clickhouse", b"--path=" + path.encode()]
        argv = (ctypes.c_char_p * len(args))(*args)
        self.conn = L.chdb_connect(len(args), argv)
        if not self.conn or not self.conn[0]:
            raise RuntimeError("chdb_connect failed")
        self.lock = threading.Lock()

    def query(self, sql):
        """(ok, bytes): the result as TabSeparated, or the error message."""
        with self.lock:
            res = self.lib.chdb_query(self.conn[0], sql.encode(), b"TabSeparated")
            if not res:
                return False, b"no result"
            err = self.lib.chdb_result_error(res)
            if err:
                out = (False, err)
            else:
                n = self.lib.chdb_result_length(res)
                buf = self.lib.chdb_result_buffer(res)
                out = (True, ctypes.string_at(buf, n) if n else b"")
            self.lib.chdb_destroy_query_result(res)
            return out


def serve(engine, port, tmp):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_POST(self):
            url = urllib.parse.urlparse(self.path)
            params = dict(urllib.parse.parse_qsl(url.query))
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            db = params.get("database", "default")
            ok, out = engine.query(f"USE {db}") if db != "default" else (True, b"")
            if ok and "query" in params:
                f = tempfile.NamedTemporaryFile(dir=tmp, delete=False)
                f.write(body)
                f.close()
                ins = params["query"]
                head, fmt = ins.rsplit(" FORMAT ", 1)
                comp = " COMPRESSION 'gzip'" if self.headers.get("Content-Encoding") == "gzip" else ""
                ok, out = engine.query(f"{head} FROM INFILE '{f.name}'{comp} FORMAT {fmt}")
                os.unlink(f.name)
            elif ok:
                ok, out = engine.query(body.decode())
            self.send_response(200 if ok else 500)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    srv.serve_forever()


def main():
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    lib, path, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(path, exist_ok=True)
    engine = Chdb(lib, path)
    tmp = tempfile.mkdtemp(prefix="chdb-http-")
    serve(engine, port, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
