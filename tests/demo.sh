#!/usr/bin/env bash
# `make demo`: builds the bundled demo Go program (tests/go/demo) with Go 1.27 from Debian's
# packages (tests/go-toolchains.sh) and records it live for 5 seconds: the terminal UI when
# this runs on a terminal (press q to leave it at the end), else the first JSON lines and the
# recording's summary. Then describes the trace file and the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-.output}
XGOTOP=${XGOTOP:-./xgotop}
tests/go/build.sh "$OUTPUT/go" 1.27 >/dev/null
demo=$OUTPUT/go/1.27/demo.default
trace=$OUTPUT/demo.xgt

echo "== xgotop record -o $trace -- $demo -duration 5s"
if [ -t 1 ] && [ -t 0 ]; then
	"$XGOTOP" record -o "$trace" -- "$demo" -duration 5s
else
	# the whole stream goes to a file; show its start
	"$XGOTOP" record --json -o "$trace" -- "$demo" -duration 5s >"$OUTPUT/demo.jsonl"
	echo "== the first events of $(wc -l <"$OUTPUT/demo.jsonl") (JSON lines, also in $OUTPUT/demo.jsonl)"
	head -n 12 "$OUTPUT/demo.jsonl"
fi
echo "== xgotop info $trace"
"$XGOTOP" info "$trace"
echo "== xgotop inspect --func runtime.casgstatus --func runtime.mallocgc $demo"
"$XGOTOP" inspect --func runtime.casgstatus --func runtime.mallocgc "$demo"
