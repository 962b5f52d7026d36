# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A Flask app whose routes come partly from a data file read at start, as
plugin-style apps do: no reading of the source can know them, only the app's
own answers tell warden that they exist."""
import json
import pathlib

from flask import Flask, redirect

app = Flask(__name__)


@app.route("/")
def index():
    return "index\n"


def page(name):
    def view(**kwargs):
        if name == "login_post":
            return redirect("/")
        return f"{name} {kwargs}\n"
    return view


# The rules live in pages.json, next to this file.
for entry in json.loads(pathlib.Path(__file__).with_name("pages.json").read_text()):
    app.add_url_rule(entry["rule"], entry["endpoint"], page(entry["endpoint"]),
                     methods=entry["methods"])

if __name__ == "__main__":
    import os
    app.run(host=os.environ.get("APP_HOST", "0.0.0.0"), port=int(os.environ.get("APP_PORT", "8080")))
