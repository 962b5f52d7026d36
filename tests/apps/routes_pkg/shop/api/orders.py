# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# orders.py - a Blueprint nested in the api Blueprint.
from flask import Blueprint

orders_bp = Blueprint("orders", __name__, url_prefix="/never-used")


@orders_bp.route("/")
def list_orders():
    return "orders"


@orders_bp.route("/<int:oid>", methods=["GET", "DELETE"])
def order(oid):
    return str(oid)


@orders_bp.route("/<int:oid>/items/<path:rest>")
def order_item(oid, rest):
    return rest
