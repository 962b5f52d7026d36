"""A second Flask app for warden's node-agent tests: routes that the other test app
(tests/apps/e2e/app.py) does not have, so that judging one app's log by the other's
routes would ban its readers."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "blog"


@app.route("/blog/<slug>")
def post(slug):
    return f"post {slug}"


@app.route("/about")
def about():
    return "about"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=5001)
