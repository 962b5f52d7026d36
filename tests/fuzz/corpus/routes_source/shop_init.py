# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# shop - a packaged Flask test app: an app factory, blueprints in separate files.
from flask import Flask

from .config import API_PREFIX


def health():
    return "ok"


def create_app():
    app = Flask(__name__, static_url_path="/s")

    # Blueprints live in their own modules; "views.bp" is module-qualified.
    from . import admin, views
    from .api import api_bp

    app.register_blueprint(views.bp)
    # register_blueprint's url_prefix overrides the Blueprint's own.
    app.register_blueprint(admin.bp, url_prefix="/admin")
    # The same blueprint again under another name and prefix.
    app.register_blueprint(admin.bp, url_prefix="/backoffice/", name="backoffice")
    app.register_blueprint(api_bp, url_prefix=API_PREFIX)
    app.add_url_rule("/health", "health", health, methods=["GET", "HEAD"])
    register_extra(app)
    return app


def register_extra(app):
    app.add_url_rule("/extra/<int:n>", endpoint="extra", view_func=health)
