# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
from flask import Blueprint

from forum.utils.helpers import page_view, register_view

user = Blueprint("user", __name__)
messages = Blueprint("messages", __name__)
admin = Blueprint("admin", __name__)

PROFILE_ROUTES = ["/<username>", "/<username>/topics", "/<username>/posts"]


def profile(username):
    return username


def settings(section):
    return section


def inbox(message_id=None):
    return "inbox"


register_view(user, routes=PROFILE_ROUTES, view_func=profile)
register_view(user, routes=["/settings/<any(general, password, email):section>"],
              view_func=settings, methods=["GET", "POST"])
register_view(messages, routes=["/", "/inbox", "/<int:message_id>/view"], view_func=inbox)
for name in ["users", "groups", "reports"]:
    register_view(admin, routes=["/" + name, "/" + name + "/<int:item_id>"], view_func=page_view("admin_" + name),
                  endpoint=name)
