# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The API's blueprint, as flask-restx's "Scaling your project" shows it."""
from flask import Blueprint
from flask_restx import Api

from .cat import api as ns1
from .dog import api as ns2

blueprint = Blueprint("catalogue", __name__, url_prefix="/api/1")
api = Api(blueprint, title="My Title", version="1.0", description="A description", doc="/doc/")

api.add_namespace(ns1)
api.add_namespace(ns2, path="/hounds")
