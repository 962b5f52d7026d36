# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# app.py - a test app without static route (static_folder=None) and without strict slashes.
import flask

application = flask.Flask(__name__, static_folder=None, static_url_path="/ignored")
application.url_map.strict_slashes = False


@application.route("/")
def index():
    return "index"


@application.route("/dir/")
def directory():
    return "dir"


@application.route("/strict/", strict_slashes=True)
def strict():
    return "strict"


@application.route("/static/<path:p>")
def not_static(p):
    return p
