#!/usr/bin/env bash
# `make demo`: builds the bundled demo Go program (tests/go/demo) with Go 1.27 from Debian's
# packages (tests/go-toolchains.sh) and shows what xgotop sees in it.
set -euo pipefail
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-.output}
XGOTOP=${XGOTOP:-./xgotop}
tests/go/build.sh "$OUTPUT/go" 1.27 >/dev/null
demo=$OUTPUT/go/1.27/demo.default
echo "== xgotop inspect $demo"
"$XGOTOP" inspect "$demo"
