# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# config.py - constants the packaged test app's routes are built from.
API_PREFIX = "/api/v2"
