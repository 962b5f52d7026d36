# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
class BaseConfig(object):
    DEBUG = False
    FORUM_URL_PREFIX = ""
    AUTH_URL_PREFIX = "/auth"
    USER_URL_PREFIX = "/people"
