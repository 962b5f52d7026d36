# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# wsgi.py - entry point of the packaged test app (gunicorn wsgi:app).
from shop import create_app

app = create_app()
