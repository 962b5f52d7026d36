# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# app.py - a single-file Flask app with every route form warden must read (tests only).
"""A docstring that mentions @app.route("/docstring-route") is not a route."""
from flask import Flask, redirect
from flask.views import MethodView, View

app = Flask(__name__)

PREFIX = "/const"
NOT_A_ROUTE = '@app.route("/string-route")'
# @app.route("/commented-route")


@app.route("/")
def index():
    return "index"


@app.route("/about")
def about():
    """@app.route('/also-not-a-route') inside a docstring."""
    s = "@app.route('/nor-this')"
    return s


@app.get("/get-only")
def get_only():
    return "get"


@app.post("/post-only")
def post_only():
    return "post"


@app.put("/put-only")
def put_only():
    return "put"


@app.patch("/patch-only")
def patch_only():
    return "patch"


@app.delete("/delete-only")
def delete_only():
    return "delete"


@app.route("/form", methods=["GET", "post"])
def form():
    return "form"


@app.route("/tuple", methods=("PUT", "DELETE",))
def tuple_methods():
    return "tuple"


@app.route(
    # a comment inside the arguments
    "/multi/line/<int:n>",  # trailing comment
    methods=[
        "GET",
        "POST",
    ],
    strict_slashes=False,
)
def multi_line(n):
    return str(n)


@app.route("/users/", defaults={"page": 1})
@app.route("/users/page/<int:page>")
def users(page):
    return str(page)


@app.route("/docs/", defaults={"name": "index"})
@app.route("/docs/<name>")
@app.route("/docs/<name>/raw")
def docs(name):
    return name


@app.route("/lang/<string(length=2):code>")
def lang(code):
    return code


@app.route("/nick/<string(minlength=3, maxlength=8):nick>")
def nick(nick):
    return nick


@app.route("/item/<int(min=1, max=100):item_id>")
def item(item_id):
    return str(item_id)


@app.route("/year/<int(fixed_digits=4):year>")
def year(year):
    return str(year)


@app.route("/offset/<int(signed=True):off>")
def offset(off):
    return str(off)


@app.route("/ratio/<float:r>")
def ratio(r):
    return str(r)


@app.route("/temp/<float(signed=True, min=-50.5, max=60):t>")
def temp(t):
    return str(t)


@app.route("/files/<path:p>")
def files(p):
    return p


@app.route("/edit/<path:p>/edit")
def edit(p):
    return p


@app.route("/obj/<uuid:oid>")
def obj(oid):
    return str(oid)


@app.route('/color/<any(red, green, "dark-blue"):c>')
def color(c):
    return c


@app.route("/file-<int:n>.txt")
def numbered_file(n):
    return str(n)


@app.route("/pair/<a>-<b>")
def pair(a, b):
    return a + b


@app.route("/<int:num>")
def root_num(num):
    return str(num)


@app.route("/<name>")
def root_name(name):
    return name


@app.route("/dup/<int(max=5):small>")
@app.route("/dup/<int:big>")
def dup(small=None, big=None):
    return "dup"


@app.route("/trail/")
def trail():
    return "trail"


@app.route("/loose/", strict_slashes=False)
def loose():
    return "loose"


@app.route("/con" "cat" '/enated')
def concatenated():
    return "concat"


@app.route(PREFIX + "/sum")
def const_sum():
    return "const"


@app.route("/caf\u00e9")
def cafe():
    return "cafe"


@app.route("/no-options", provide_automatic_options=False)
def no_options():
    return "no options"


@app.route("/old", redirect_to="/about")
def old():
    return "old"


@app.route("/built", build_only=True)
def built():
    return "built"


@app.route(f"/dynamic/{PREFIX}")
def dynamic():
    return "skipped by warden with a warning"


def legacy():
    return "legacy"


app.add_url_rule("/legacy", "legacy", legacy)
app.add_url_rule("/legacy2", view_func=legacy, methods=["GET", "POST"])
app.route("/call-form")(legacy)


class Things(MethodView):
    def get(self):
        return "things"

    def post(self):
        return "created"


class Plain(View):
    methods = ["GET", "DELETE"]

    def dispatch_request(self):
        return "plain"


app.add_url_rule("/things", view_func=Things.as_view("things"))
app.add_url_rule("/plain", view_func=Plain.as_view("plain"))


@app.route("/redirect-me")
def redirect_me():
    return redirect("/")


if __name__ == "__main__":
    app.run()
