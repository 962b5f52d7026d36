# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# api - a Blueprint with a nested Blueprint from another module.
from flask import Blueprint

from .orders import orders_bp

api_bp = Blueprint("api", __name__, url_prefix="/api")


@api_bp.route("/status")
def status():
    return "status"


@api_bp.route("/items/<uuid:item>", methods=["GET", "PATCH"])
def item(item):
    return str(item)


api_bp.register_blueprint(orders_bp, url_prefix="/orders")
