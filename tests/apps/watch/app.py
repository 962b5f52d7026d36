# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""app.py - the watcher's test app: a fast route and one that sleeps as long as asked."""
import sys
import time

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "ok\n"


@app.route("/sleep/<int:ms>")
def sleep(ms):
    time.sleep(ms / 1000.0)
    return "slept %d\n" % ms


if __name__ == "__main__":
    # python3 app.py HOST PORT: Werkzeug's threaded server (HTTP/1.1, keep-alive).
    app.run(host=sys.argv[1], port=int(sys.argv[2]), threaded=True)
