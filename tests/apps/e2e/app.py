# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A Flask app for warden's end-to-end tests: known routes, routes that answer
404 and 500 on their own, and output on both streams that must reach warden's
output unchanged."""
import os
import sys

from flask import Flask, abort, request

app = Flask(__name__)


@app.route("/")
def index():
    return "index\n"


@app.route("/items/<int:item_id>")
def item(item_id):
    if item_id > 100:
        abort(404)  # a known route answering 404 is the app's business
    return f"item {item_id}\n"


@app.route("/search")
def search():
    return "results for " + request.args.get("q", "") + "\n"


@app.post("/login")
def login():
    if request.form.get("password") != "secret":
        return "no\n", 401
    return "welcome\n"


@app.route("/boom")
def boom():
    raise RuntimeError("a route that answers 500")


@app.route("/say/<path:words>")
def say(words):
    # The app's own output, on both streams, must reach warden's output intact.
    print("app-stdout:" + words, flush=True)
    print("app-stderr:" + words, file=sys.stderr, flush=True)
    return "said\n"


@app.route("/long")
def long_line():
    print("long:" + "x" * 40000, flush=True)
    return "long\n"


if __name__ == "__main__":
    print("app-start-marker", flush=True)
    app.run(host=os.environ.get("HOST", "::"), port=int(os.environ.get("PORT", "8080")))
