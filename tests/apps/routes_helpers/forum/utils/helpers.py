# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
def register_view(bp_or_app, routes, view_func, *args, **kwargs):
    for route in routes:
        bp_or_app.add_url_rule(route, view_func=view_func, *args, **kwargs)


def register_pages(bp, pages, prefix=""):
    """Two levels: a helper that calls the other one."""
    for rule, name in pages:
        register_view(bp, routes=[prefix + rule], view_func=page_view(name))


def page_view(name):
    def view(**kwargs):
        return name
    view.__name__ = name
    return view
