# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
from flask import Blueprint
from flask.views import MethodView

from forum.utils import helpers
from forum.utils.helpers import register_view

board = Blueprint("board", __name__)


class ViewTopic(MethodView):
    def get(self, topic_id, slug=None):
        return "topic"


class NewTopic(MethodView):
    def get(self, forum_id):
        return "form"

    def post(self, forum_id):
        return "created"


def index():
    return "index"


def markread(forum_id=None):
    return "read"


register_view(
    board,
    routes=["/topic/<int:topic_id>", "/topic/<int:topic_id>-<slug>"],
    view_func=ViewTopic.as_view("view_topic"),
)
# Keyword arguments passed on through **kwargs.
register_view(board, ["/forum/<int:forum_id>/topic/new"], NewTopic.as_view("new_topic"),
              methods=["GET", "POST"], strict_slashes=False)
# A loop over a literal tuple of tuples, in the module itself.
for rule, view in (("/", index), ("/markread", markread)):
    board.add_url_rule(rule, view_func=view)
for rule in ["/<int:forum_id>/markread", "/all/markread"]:
    board.add_url_rule(rule, "markread", markread, methods=["POST"])
helpers.register_pages(board, [("/about", "about"), ("/rules", "rules")], prefix="/pages")
