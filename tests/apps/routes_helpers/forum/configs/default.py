# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
from forum.configs.base import BaseConfig


class DefaultConfig(BaseConfig):
    # Overrides the base class.
    USER_URL_PREFIX = "/user"
    SECRET_KEY = "not-a-secret"
