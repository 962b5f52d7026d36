# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# admin.py - a Blueprint with its own prefix (overridden at registration) and static files.
from flask import Blueprint

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/ignored-prefix",
    static_folder="admin_static",
    static_url_path="/assets",
)


@bp.route("/")
def dashboard():
    return "dashboard"


@bp.route("/users/<int:uid>", methods=["GET", "PUT", "DELETE"])
def user(uid):
    return str(uid)


@bp.route("")
def bare():
    return "bare"


@bp.post("/login")
def login():
    return "login"
