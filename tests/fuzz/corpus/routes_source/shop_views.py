# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# views.py - the shop's public pages, a Blueprint without url_prefix.
from flask import Blueprint

bp = Blueprint("views", __name__)


@bp.route("/")
def home():
    return "home"


@bp.route("/products/")
def products():
    return "products"


@bp.route("/products/<int:pid>")
@bp.route("/p/<int:pid>", methods=("GET",))
def product(pid):
    return str(pid)


@bp.get("/search")
def search():
    return "search"


@bp.route("/cart", methods=["GET", "POST", "DELETE"])
def cart():
    return "cart"
