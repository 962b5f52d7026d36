# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""An Api made first and bound later, and a resource named like another one."""
from flask import Blueprint
from flask_restx import Api, Namespace, Resource

api = Api(doc=False)
admin = Namespace("admin")


@admin.route("/users/<string(length=3):code>")
class UserAPI(Resource):
    def get(self, code):
        return {}


@admin.route("/users")
class UserApi(Resource):
    def post(self):
        return {}


api.add_namespace(admin)
bp = Blueprint("late", __name__, url_prefix="/late")
api.init_app(bp)
