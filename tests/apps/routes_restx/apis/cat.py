# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
from flask_restx import Namespace, Resource

api = Namespace("cats", description="Cats related operations")

CATS = [{"id": "felix", "name": "Felix"}]


@api.route("/")
class CatList(Resource):
    @api.doc("list_cats")
    def get(self):
        """List all cats"""
        return CATS


@api.route("/<id>")
@api.param("id", "The cat identifier")
@api.response(404, "Cat not found")
class Cat(Resource):
    @api.doc("get_cat")
    def get(self, id):
        return CATS[0]

    def patch(self, id):
        return CATS[0]
