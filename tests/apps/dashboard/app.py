# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A Flask app for the dashboard's end-to-end test: routes answering 200, 404,
401 and 500, and one whose latency the client chooses, for outliers."""
import os
import time

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/ready")
def ready():
    # The test's readiness probe: kept apart from the routes whose figures it checks.
    return "ready\n"


@app.route("/")
def index():
    return "index\n"


@app.route("/items/<int:item_id>")
def item(item_id):
    if item_id > 100:
        abort(404)
    return f"item {item_id}\n"


@app.route("/work")
def work():
    # As slow as asked, within bounds: the test makes one request far slower than the rest.
    ms = max(0, min(int(request.args.get("ms", "5")), 3000))
    time.sleep(ms / 1000)
    return "done\n"


@app.post("/login")
def login():
    if request.form.get("password") != "secret":
        return "no\n", 401
    return "welcome\n"


@app.route("/boom")
def boom():
    raise RuntimeError("a route that answers 500")


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "::"), port=int(os.environ.get("PORT", "8080")),
            threaded=True)
