# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A forum written the way larger Flask projects are (FlaskBB's layout): an
app factory, configuration classes loaded by path, blueprint prefixes read
from the configuration, and views registered through a project helper over
literal lists."""
from flask import Flask

from forum.auth.views import auth
from forum.board.views import board
from forum.user.views import user


def create_app(config=None):
    app = Flask("forum")
    app.config.from_object("forum.configs.default.DefaultConfig")
    app.config.from_mapping(MESSAGE_URL_PREFIX="/message")
    app.config["ADMIN_URL_PREFIX"] = "/admin"
    configure_blueprints(app)
    return app


def configure_blueprints(app):
    app.register_blueprint(board, url_prefix=app.config["FORUM_URL_PREFIX"])
    app.register_blueprint(auth, url_prefix=app.config["AUTH_URL_PREFIX"])
    app.register_blueprint(user, url_prefix=app.config.get("USER_URL_PREFIX", "/users"))
    from forum.user.views import messages, admin
    app.register_blueprint(messages, url_prefix=app.config["MESSAGE_URL_PREFIX"])
    app.register_blueprint(admin, url_prefix=app.config["ADMIN_URL_PREFIX"])
