# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A Flask app for warden's supervision tests: routes that crash the process,
sleep, never return, block the whole server, start orphans, and report what
the process may do. Behaviour at start is set by environment variables."""
import os
import signal
import subprocess
import sys
import threading
import time

from flask import Flask

app = Flask(__name__)
big_lock = threading.Lock()


@app.route("/")
def index():
    return f"up {os.getpid()}\n"


@app.route("/crash")
def crash():
    os._exit(3)


@app.route("/sleep/<int:ms>")
def sleep(ms):
    time.sleep(ms / 1000)
    return f"slept {ms}\n"


@app.route("/hang")
def hang():
    threading.Event().wait()  # a route that never returns


@app.route("/block")
def block():
    # Block the whole server: every request needs the lock this one keeps.
    big_lock.acquire()
    threading.Event().wait()


@app.before_request
def serialize():
    if big_lock.locked():
        with big_lock:
            pass


@app.route("/stop-self")
def stop_self():
    os.kill(os.getpid(), signal.SIGSTOP)
    return "resumed\n"


@app.route("/orphan")
def orphan():
    # A grandchild in its own session, left behind when the app dies.
    subprocess.Popen(["sleep", "1000"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return "orphan started\n"


@app.route("/caps")
def caps():
    with open("/proc/self/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    return f"uid={os.getuid()} capeff={fields['CapEff'].strip()} capbnd={fields['CapBnd'].strip()}\n"


def on_hup(signum, frame):
    print("app got SIGHUP", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGHUP, on_hup)
    if os.environ.get("IGNORE_TERM"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"app starting pid {os.getpid()}", flush=True)
    if os.environ.get("EXIT_AT_START"):
        sys.exit(int(os.environ["EXIT_AT_START"]))
    if os.environ.get("START_GATE"):
        # Listen only once the test creates this file: "not serving yet" is a state, not a race.
        while not os.path.exists(os.environ["START_GATE"]):
            time.sleep(0.05)
    if os.environ.get("RUN_FOR"):
        time.sleep(float(os.environ["RUN_FOR"]))
        sys.exit(1)
    app.run(host=os.environ.get("HOST", "::"), port=int(os.environ.get("PORT", "8080")))
