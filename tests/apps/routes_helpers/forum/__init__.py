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
    # CTFd's way: a helper that builds the rule and the endpoint from its argument.
    register_assets_directory(app, base_path="/plugins/polls/assets/")
    register_assets_directory(app, "plugins/Badges/")
    return app


def register_assets_directory(app, base_path, endpoint=None):
    base_path = base_path.strip("/")
    if endpoint is None:
        endpoint = base_path.replace("/", ".").lower()

    def assets_handler(path):
        return path

    rule = "/" + base_path + "/<path:path>"
    app.add_url_rule(rule=rule, endpoint=endpoint, view_func=assets_handler)


def configure_blueprints(app):
    app.register_blueprint(board, url_prefix=app.config["FORUM_URL_PREFIX"])
    app.register_blueprint(auth, url_prefix=app.config["AUTH_URL_PREFIX"])
    app.register_blueprint(user, url_prefix=app.config.get("USER_URL_PREFIX", "/users"))
    from forum.user.views import messages, admin
    app.register_blueprint(messages, url_prefix=app.config["MESSAGE_URL_PREFIX"])
    app.register_blueprint(admin, url_prefix=app.config["ADMIN_URL_PREFIX"])
