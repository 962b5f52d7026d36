# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Entry point, as gunicorn would be given it: wsgi:app."""
from forum import create_app

app = create_app()
