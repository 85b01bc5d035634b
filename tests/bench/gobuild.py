"""Builds the benchmarks' Go programs, tests/bench/go/<name>, with a Go toolchain of
tests/go-toolchains.sh (kept out of tests/go so that `make test` does not build them), into
$OUTPUT/go/<version>/<name>.bench, again only when a source is newer."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def build(name, version="1.27"):
    output = os.environ.get("OUTPUT", ".output")
    src = os.path.join(ROOT, "tests", "bench", "go", name)
    out = os.path.abspath(os.path.join(output, "go", version, f"{name}.bench"))
    newest = max(os.path.getmtime(os.path.join(src, f)) for f in os.listdir(src))
    if os.path.exists(out) and os.path.getmtime(out) >= newest:
        return out
    root = subprocess.run([os.path.join(ROOT, "tests", "go-toolchains.sh"), version], capture_output=True,
                          text=True, check=True).stdout.split()[1]
    cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "xgotop", "go")
    env = dict(os.environ, GOROOT=root, CGO_ENABLED="0", GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="-mod=mod",
               GOENV="off", GOTELEMETRY="off", GOWORK="off", GOCACHE=os.environ.get("XGOTOP_GO_CACHE", cache) + "/.gocache",
               GOMODCACHE=cache + "/.gomodcache", GOPATH=cache + "/.gopath")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    subprocess.run([os.path.join(root, "bin", "go"), "build", "-o", out + ".tmp", "."], cwd=src, env=env, check=True,
                   stdout=sys.stderr)
    os.rename(out + ".tmp", out)
    return out
