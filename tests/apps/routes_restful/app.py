# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A Flask-RESTful API as its tutorial and real projects write one: an Api on
the app, resources with several URLs and endpoints, an Api with a prefix on a
blueprint, and an Api created first and bound later with init_app()."""
from flask import Blueprint, Flask
from flask_restful import Api, Resource
import flask_restful

app = Flask(__name__)
api = Api(app)


class TaskListAPI(Resource):
    def get(self):
        return []

    def post(self):
        return {}, 201


class TaskAPI(Resource):
    def get(self, id):
        return {}

    def put(self, id):
        return {}

    def delete(self, id):
        return "", 204


class Health(flask_restful.Resource):
    methods = ["GET"]

    def get(self):
        return {"ok": True}


api.add_resource(TaskListAPI, "/todo/api/v1.0/tasks", endpoint="tasks")
api.add_resource(TaskAPI, "/todo/api/v1.0/tasks/<int:id>", endpoint="task")
api.add_resource(Health, "/health", "/healthz")

v2 = Blueprint("v2", __name__, url_prefix="/api")
api_v2 = Api(v2, prefix="/v2")
api_v2.add_resource(TaskAPI, "/tasks/<int:id>", endpoint="task")
api_v2.add_resource(TaskListAPI, "/tasks", strict_slashes=False)
app.register_blueprint(v2)

late = Api()
late.add_resource(Health, "/status/", endpoint="status")
late.init_app(app)

if __name__ == "__main__":
    app.run()
