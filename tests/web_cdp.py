#!/usr/bin/env python3
"""A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (no websocket needed):
starts headless Debian chromium, opens a page, evaluates JavaScript, takes screenshots.
Used by tests/web.test and tests/bench/replay.bench."""
import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time


class Browser:
    def __init__(self, width=1400, height=1500, extra_args=()):
        self.profile = tempfile.mkdtemp(prefix="xgotop-chromium-")
        # fd 3: commands to chromium, fd 4: answers from it
        cmd_r, self.cmd_w = os.pipe()
        self.ans_r, ans_w = os.pipe()
        os.set_inheritable(cmd_r, True)
        os.set_inheritable(ans_w, True)
        args = [shutil.which("chromium") or "/usr/bin/chromium", "--headless", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-extensions",
                "--user-data-dir=" + self.profile, "--remote-debugging-pipe",
                "--window-size=%d,%d" % (width, height), *extra_args, "about:blank"]
        # chromium reads fd 3 and writes fd 4: move our ends out of the way (>= 10), then let
        # the shell place them
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(ans_w, fcntl.F_DUPFD, 10)
        os.close(cmd_r)
        os.close(ans_w)
        cmd_r, ans_w = hi_r, hi_w
        shell = 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (cmd_r, ans_w, cmd_r, ans_w)
        self.proc = subprocess.Popen(["bash", "-c", shell] + args, pass_fds=(cmd_r, ans_w),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(ans_w)
        self.buf = b""
        self.next_id = 0
        self.session = None
        self.events = []
        targets = self.call("Target.getTargets", timeout=30)["targetInfos"]
        page = [t for t in targets if t["type"] == "page"][0]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": page["targetId"], "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")

    def _read_msg(self, deadline):
        import select
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            r, _, _ = select.select([self.ans_r], [], [], left)
            if not r:
                continue
            chunk = os.read(self.ans_r, 1 << 20)
            if not chunk:
                raise EOFError("chromium exited")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, timeout=20):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.cmd_w, data)
            data = data[n:]
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_msg(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)
            del self.events[:-200]

    def navigate(self, url):
        self.call("Page.navigate", {"url": url})

    def eval(self, expr, timeout=20):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in r:
            raise RuntimeError("page: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def wait_for(self, expr, timeout=120):
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                v = self.eval(expr)
                if v:
                    return v
            except RuntimeError:
                pass
            time.sleep(0.2)
        raise TimeoutError("page never satisfied: " + expr)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"}, timeout=30)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.cmd_w, self.ans_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)
