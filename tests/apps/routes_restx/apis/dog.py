# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
from flask_restx import Namespace, Resource

api = Namespace("dogs", description="Dogs related operations", path="/v2/dogs/")


class DogList(Resource):
    def get(self):
        return []

    def post(self):
        return {}, 201


class Dog(Resource):
    def get(self, id):
        return {}


api.add_resource(DogList, "", "/all")
api.add_resource(Dog, "/<int:id>", strict_slashes=False)
