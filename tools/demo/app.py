# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""warden's demo app: a small shop API in Flask, run unchanged under warden."""
import os

from flask import Blueprint, Flask, jsonify, request

app = Flask(__name__)
api = Blueprint("api", __name__, url_prefix="/api/v1")

PRODUCTS = {1: "teapot", 2: "kettle", 3: "mug"}


@app.route("/")
def index():
    return "<h1>Demo shop</h1><p>See /api/v1/products</p>\n"


@app.route("/health")
def health():
    return "ok\n"


@api.get("/products")
def products():
    return jsonify(PRODUCTS)


@api.get("/products/<int:product_id>")
def product(product_id):
    if product_id not in PRODUCTS:
        return jsonify(error="no such product"), 404
    return jsonify(id=product_id, name=PRODUCTS[product_id])


@api.post("/login")
def login():
    if request.form.get("password") != "demo":
        return jsonify(error="bad password"), 401
    return jsonify(token="demo-token")


app.register_blueprint(api)

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "::"), port=int(os.environ.get("PORT", "8080")))
