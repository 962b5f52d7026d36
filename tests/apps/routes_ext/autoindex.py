# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A file browser: Flask-AutoIndex (Debian's python3-flask-autoindex) routes
'/' and '/<path:path>' itself, with its static files and Silk's icons."""
import os

from flask import Flask
import flask_autoindex

app = Flask(__name__, static_folder=None)
flask_autoindex.AutoIndex(app, browse_root=os.path.dirname(os.path.abspath(__file__)))
