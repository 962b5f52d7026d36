# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
from flask import Blueprint
from flask.views import MethodView

from forum.utils.helpers import register_view

auth = Blueprint("auth", __name__)


class Login(MethodView):
    def get(self):
        return "login form"

    def post(self):
        return "logged in"


class Register(MethodView):
    def get(self):
        return "register form"

    def post(self):
        return "registered"


class Logout(MethodView):
    def post(self):
        return "bye"


register_view(auth, routes=["/login"], view_func=Login.as_view("login"))
register_view(auth, routes=["/register", "/signup"], view_func=Register.as_view("register"))
register_view(auth, routes=("/logout",), view_func=Logout.as_view("logout"))
