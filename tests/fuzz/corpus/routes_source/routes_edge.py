# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# app.py - a test app full of Werkzeug routing corner cases (ordering, backtracking, odd arguments).
from flask import Blueprint, Flask as F

app = F(__name__, static_folder="static/")
app.url_map.strict_slashes = True


def view(**kw):
    return "ok"


# Same path, different methods and functions.
app.add_url_rule("/same", view_func=view, methods=["GET"], endpoint="same_get")
app.add_url_rule("/same", view_func=view, methods=["POST"], endpoint="same_post")
# Slashes in the rule text are merged: "/a//b" is "/a/b".
app.add_url_rule("/double//slash", view_func=view, endpoint="double")
app.add_url_rule("/keep//slash", view_func=view, endpoint="keep", merge_slashes=False)
# Werkzeug's converter-argument parser: "min=-5" is read as a positional 5 (fixed_digits).
app.add_url_rule("/quirk/<int(min=-5):n>", view_func=view, endpoint="quirk")
app.add_url_rule("/zero/<string(minlength=0):s>/end", view_func=view, endpoint="zero")
app.add_url_rule('/dots/<any("a.b", c-d, "e f"):x>', view_func=view, endpoint="dots")
app.add_url_rule("/multi/v<int(max=5):a>x<int:b>", view_func=view, endpoint="multi")
app.add_url_rule("/pathint/<path:p>/<int(max=10):n>", view_func=view, endpoint="pathint")
app.add_url_rule("/greedy/<a>.<b>", view_func=view, endpoint="greedy")
app.add_url_rule("/num/<int:i>", view_func=view, endpoint="num_int")
app.add_url_rule("/num/<float:f>", view_func=view, endpoint="num_float")
app.add_url_rule("/num/<uuid:u>", view_func=view, endpoint="num_uuid")
app.add_url_rule("/num/<n>", view_func=view, endpoint="num_str")
app.add_url_rule("/prio/<x>/b", view_func=view, endpoint="prio_dyn")
app.add_url_rule("/prio/a/<y>", view_func=view, endpoint="prio_static")
app.add_url_rule("/dir/<name>/", view_func=view, endpoint="dir")
app.add_url_rule("/loose/<name>/", view_func=view, endpoint="loose", strict_slashes=False)
app.add_url_rule("/postdir/", view_func=view, endpoint="postdir", methods=["POST"])
app.add_url_rule("/page/", view_func=view, endpoint="page", defaults={"name": "home"})
app.add_url_rule("/page/<name>", view_func=view, endpoint="page")
app.add_url_rule("/ratio/", view_func=view, endpoint="ratio", defaults={"r": 1.5})
app.add_url_rule("/ratio/<float:r>", view_func=view, endpoint="ratio")
app.add_url_rule("/flag/", view_func=view, endpoint="flag", defaults={"n": True})
app.add_url_rule("/flag/<int:n>", view_func=view, endpoint="flag")
app.add_url_rule("/aliased", view_func=view, endpoint="al", alias=True)
app.add_url_rule("/aliased-target", view_func=view, endpoint="al")
app.add_url_rule("/moved/<int:n>", view_func=view, endpoint="moved", redirect_to="/num/<n>")
app.add_url_rule("/subdomain-only", view_func=view, endpoint="sub", subdomain="api")
app.add_url_rule("/digits/<int(fixed_digits=3, signed=True):d>", view_func=view, endpoint="digits")
app.add_url_rule("/range/<float(min=0, max=1):p>", view_func=view, endpoint="range")
app.add_url_rule("/big/<int(max=18446744073709551616):b>", view_func=view, endpoint="big")
app.add_url_rule("/weird/<int(2):two>", view_func=view, endpoint="weird")
app.add_url_rule("/str/<string(2, 4):s>", view_func=view, endpoint="str24")
app.add_url_rule("/custom-methods", view_func=view, endpoint="custom", methods=["PURGE", "get"])

catch = Blueprint("catch", __name__, url_prefix="/cat/")


@catch.route("/<path:rest>")
@catch.route("/", strict_slashes=False)
def catch_all(rest=""):
    return rest


app.register_blueprint(catch)
