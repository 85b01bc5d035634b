"""Goldens: expected outputs committed under tests/fixtures. A missing or different golden fails
and says how to accept the new output; only UPDATE_GOLDEN=1 writes one (and then passes).

    ok, why = golden.compare("tests/fixtures/orders.diff.txt", got, "offline")
"""
import difflib
import os

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def compare(path, got, suite):
    """(ok, why) for the text got against the golden file at path; suite names the tests/run
    suite that accepts it. Under UPDATE_GOLDEN=1, writes got to path first."""
    if UPDATE:
        with open(path, "w") as f:
            f.write(got)
        print("updated " + path, flush=True)
        return True, ""
    hint = "run UPDATE_GOLDEN=1 tests/run %s to accept" % suite
    if not os.path.exists(path):
        return False, "missing %s; %s" % (path, hint)
    with open(path) as f:
        want = f.read()
    if got == want:
        return True, ""
    diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), path, "got", n=1))
    return False, "differs from %s (%s):\n%s" % (path, hint, diff[:1500])
