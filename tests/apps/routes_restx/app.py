# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A flask-restx API written as its documentation shows: the TodoMVC example
(Api(app) with a prefix and api.namespace()), the "Scaling your project"
layout (Namespaces in their own modules, added to an Api on a blueprint,
one of them under another path), @api.route on the default namespace, and
an Api created first and bound to a blueprint later with init_app().

flask-restx is not packaged in Debian 12: tests/unit/routes_werkzeug.sh
compares warden with the rules flask-restx registers (expected.rules,
worked out from flask-restx 1.3's api.py, namespace.py and apidoc.py)."""
from flask import Flask
from flask_restx import Api, Resource

from apis import blueprint as catalogue
from apis.late import bp as late_bp

app = Flask(__name__)
api = Api(app, version="1.0", title="TodoMVC API", description="A simple TodoMVC API",
          prefix="/todo-api", doc="/docs")

ns = api.namespace("todos", description="TODO operations")


@ns.route("/")
class TodoList(Resource):
    """Shows a list of all todos, and lets you POST to add new tasks"""

    def get(self):
        return []

    def post(self):
        return {}, 201


@ns.route("/<int:id>")
@ns.response(404, "Todo not found")
@ns.param("id", "The task identifier")
class Todo(Resource):
    def get(self, id):
        return {}

    def delete(self, id):
        return "", 204

    def put(self, id):
        return {}


@api.route("/hello", "/hi", endpoint="greeting")
class HelloWorld(Resource):
    def get(self):
        return {"hello": "world"}


@api.route("/health")
class Health(Resource):
    def get(self):
        return {"ok": True}


app.register_blueprint(catalogue)
app.register_blueprint(late_bp)

if __name__ == "__main__":
    app.run()
