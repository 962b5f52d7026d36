# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# stubs.py - import a real Flask app whose dependencies are not installed, far enough for app.url_map.
#
# Only Debian's packages may be installed here, and real apps need dozens that are not
# (Flask-SQLAlchemy, Flask-Login, Flask-WTF...). install() makes every module that
# cannot be imported (absent, or failing as it imports) a permissive stub: any attribute
# is a stub class (it can be called, subclassed, iterated, used as a decorator, which
# hands back the function it decorates), so that create_app() runs through extension set-up and
# registers the routes Flask really registers. A missing name in a module that does
# exist ("from werkzeug import secure_filename" of old Werkzeug) becomes a stub too.
# The app's own modules are never stubbed: an error there is the app's and is shown.
import builtins
import functools
import importlib.abc
import importlib.machinery
import inspect
import os
import sys
import types

_CACHE = {}
# Dunder names apps ask of their models (SQLAlchemy's), not protocols Python probes.
_DUNDERS = {"__table__", "__tablename__", "__mapper__", "__table_args__"}


def _passthrough(args, kwargs):
    """A decorator's call: one function or class, handed back untouched. A class that derives
    from a stub (a schema, a model) is an argument: Schema factories take them."""
    if len(args) != 1 or kwargs:
        return False
    x = args[0]
    return inspect.isfunction(x) or inspect.ismethod(x) or (inspect.isclass(x) and not issubclass(x, Stub))


def _decorated(x):
    """What a stubbed decorator gives back: the function itself, wrapped as functools.wraps
    does (some apps call the undecorated one through __wrapped__), or the class."""
    if inspect.isclass(x):
        return x

    @functools.wraps(x)
    def wrapper(*args, **kwargs):
        return x(*args, **kwargs)
    return wrapper


class _StubMeta(type):
    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__") and name not in _DUNDERS:
            raise AttributeError(name)
        return stub_class(f"{cls.__name__}.{name}")

    def __call__(cls, *args, **kwargs):
        if cls.__dict__.get("_is_stub") and _passthrough(args, kwargs):
            return _decorated(args[0])
        return super().__call__(*args, **kwargs)

    def __iter__(cls):
        return iter(())

    def __getitem__(cls, key):
        return cls

    def __setitem__(cls, key, value):
        pass

    def __delitem__(cls, key):
        pass

    def __or__(cls, other):
        return cls

    __ror__ = __or__

    def __len__(cls):
        return 0

    def __bool__(cls):
        return True

    def __int__(cls):
        return 0

    __index__ = __int__

    def __float__(cls):
        return 0.0


class Stub(metaclass=_StubMeta):
    """An instance of a stub: whatever is asked of it, it answers with a stub."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name in ("__name__", "__qualname__"):
            return "stub"
        if name.startswith("__") and name.endswith("__") and name not in _DUNDERS:
            raise AttributeError(name)
        return stub_class(f"{type(self).__name__}.{name}")

    def __call__(self, *args, **kwargs):
        if _passthrough(args, kwargs):
            return _decorated(args[0])
        return Stub()

    def __mro_entries__(self, bases):
        return (stub_class(type(self).__name__ + "Base"),)

    def __iter__(self):
        return iter(())

    def __getitem__(self, key):
        return Stub()

    def __setitem__(self, key, value):
        pass

    def __delitem__(self, key):
        pass

    def __contains__(self, item):
        return False

    def __len__(self):
        return 0

    def __bool__(self):
        return True

    def __int__(self):
        return 0

    __index__ = __int__

    def __float__(self):
        return 0.0

    def __str__(self):
        return "stub"

    def __fspath__(self):
        return "/nonexistent/stub"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __add__(self, other):
        return self

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __mod__ = __or__ = __ror__ = __and__ = __add__


def stub_class(name):
    """A fresh stub class named name (one per name, so that isinstance() stays consistent)."""
    if name not in _CACHE:
        last = name.rsplit(".", 1)[-1] or "Stub"
        # errorhandler(SomeError) needs an exception class.
        bases = (Stub, Exception) if last.endswith(("Error", "Exception", "Warning")) else (Stub,)
        _CACHE[name] = _StubMeta(last, bases, {"_is_stub": True})
    return _CACHE[name]


class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = stub_class(f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):
        mod = StubModule(spec.name)
        mod.__path__ = []  # a package: its submodules are stubs too
        mod.__stub__ = True
        return mod

    def exec_module(self, module):
        pass


class _Finder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: reached only by modules no one else finds."""

    def __init__(self, own):
        self.own = own

    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in self.own or _from_stdlib():
            return None
        STUBBED.add(fullname)
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)


STUBBED = set()
_STDLIB = os.path.dirname(os.__file__)


def _from_stdlib():
    """Whether the import comes from the standard library (its optional imports: msvcrt...)."""
    frame = sys._getframe(2)
    while frame:
        f = frame.f_code.co_filename
        if not f.startswith("<frozen") and f != __file__:
            return f.startswith(_STDLIB + "/") and "-packages" not in f
        frame = frame.f_back
    return False


def _own_names(app_dir):
    names = set()
    for entry in os.listdir(app_dir):
        path = os.path.join(app_dir, entry)
        if entry.endswith(".py"):
            names.add(entry[:-3])
        elif os.path.isfile(os.path.join(path, "__init__.py")):
            names.add(entry)
    return names


def install(app_dir):
    """Stub what app_dir's code imports and cannot have; its own modules stay real."""
    own = _own_names(app_dir)
    finder = _Finder(own)
    sys.meta_path.append(finder)
    real_import = builtins.__import__

    def stubbing_import(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.split(".")[0]
        if level or top in own:
            module = real_import(name, globals, locals, fromlist, level)
        else:
            try:
                module = real_import(name, globals, locals, fromlist, level)
            except Exception:  # noqa: BLE001 - a dependency that breaks as it imports
                for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
                    del sys.modules[key]
                sys.meta_path.insert(0, finder)
                try:
                    module = real_import(name, globals, locals, fromlist, level)
                finally:
                    sys.meta_path.remove(finder)
        # from X import a, b: names X lacks become stubs (not for the app's own modules).
        if fromlist and not level and top not in own:
            for attr in fromlist:
                if attr != "*" and not hasattr(module, attr):
                    try:
                        real_import(f"{module.__name__}.{attr}")
                    except Exception:  # noqa: BLE001
                        STUBBED.add(f"{module.__name__}.{attr}")
                        setattr(module, attr, stub_class(f"{module.__name__}.{attr}"))
        return module

    builtins.__import__ = stubbing_import
