# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# app.py - a test app with a custom static folder and URL, and a Blueprint with static files.
from flask import Blueprint, Flask

app = Flask(__name__, static_url_path="/assets/", static_folder="public")

theme = Blueprint("theme", __name__, static_folder="theme_files/")
docs = Blueprint("docs", __name__, static_folder="docs_static", static_url_path="/docs-static",
                 url_prefix="/docs")
nostatic = Blueprint("nostatic", __name__, static_url_path="/never")


@app.route("/")
def index():
    return "index"


@docs.route("/<page>")
def page(page):
    return page


@nostatic.route("/ns")
def ns():
    return "ns"


app.register_blueprint(theme)
app.register_blueprint(docs)
app.register_blueprint(nostatic)
