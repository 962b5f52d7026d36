# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""An app that uses extensions which register routes of their own when they
are initialised (Debian's python3-flask-bootstrap, python3-flask-silk,
python3-flask-autoindex): their URLs are in app.url_map, not in this file."""
from flask import Flask
from flask_bootstrap import Bootstrap5
from flask_silk import Silk

app = Flask(__name__)
bootstrap = Bootstrap5()
Silk(app)


def register_extensions(app):
    # Bluelog's way: extensions set up in a helper of the app factory.
    bootstrap.init_app(app)


register_extensions(app)


@app.route("/")
def index():
    return "index"


if __name__ == "__main__":
    app.run()
