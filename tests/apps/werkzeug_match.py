# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# werkzeug_match.py - compare `warden routes` with Werkzeug's own url_map on a Flask test app.
#
# Run with Debian's /usr/bin/python3 (Flask 2.2, Werkzeug 2.2). It imports the
# app, lists its rules, builds many request paths from them (valid and
# invalid converter values, slash and percent-encoding variants, junk),
# asks Werkzeug what it would do with each for several methods, asks warden
# the same (warden routes --match --json, paths on stdin), and prints the
# differences. Exit status 0 when everything agrees.
#
# usage: werkzeug_match.py --warden BIN --entry APP.py [--target PATH] [--seed N]
#   --entry: the module that holds the Flask app (or create_app())
#   --target: what warden reads (default: the entry file)
import argparse
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import uuid

import flask
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.routing.converters import (AnyConverter, FloatConverter, IntegerConverter, PathConverter,
                                         UnicodeConverter, UUIDConverter)
from werkzeug.urls import url_parse, url_unquote

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE"]


def load_app(entry):
    """Import entry as a script would run (its folder on sys.path) and find the Flask app."""
    entry = os.path.abspath(entry)
    folder = os.path.dirname(entry)
    sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(entry))[0]
    spec = importlib.util.spec_from_file_location(name, entry)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    for attr in ("app", "application"):
        if isinstance(getattr(mod, attr, None), flask.Flask):
            return getattr(mod, attr)
    for value in vars(mod).values():
        if isinstance(value, flask.Flask):
            return value
    if callable(getattr(mod, "create_app", None)):
        return mod.create_app()
    raise SystemExit(f"{entry}: no Flask app found")


def expected_map(path):
    """A Map as Flask would build it from a list of rules: ENDPOINT RULE METHODS [strict_slashes=False].

    For extensions Debian does not package: the test writes down what they register."""
    rules = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            endpoint, rule, methods, *opts = line.split()
            kw = {"strict_slashes": False} if "strict_slashes=False" in opts else {}
            # Flask's add_url_rule adds OPTIONS; Werkzeug's Rule adds HEAD to GET.
            rules.append(Rule(rule, endpoint=endpoint, methods=set(methods.split(",")) | {"OPTIONS"}, **kw))
    return Map(rules)


def path_info(raw):
    """PATH_INFO as Werkzeug's dev server (on Python 3.11's http.server) builds it."""
    if raw.startswith("//"):
        raw = "/" + raw.lstrip("/")
    url = url_parse(raw)
    if not url.scheme and url.netloc:
        p = f"/{url.netloc}{url.path}"
    else:
        p = url.path
    return url_unquote(p)


def werkzeug_verdict(adapter, raw, method):
    if raw == "*":
        return ("match" if method == "OPTIONS" else "unknown"), None
    try:
        rule, _ = adapter.match(path_info(raw), method, return_rule=True)
        return "match", rule.rule
    except RequestRedirect:
        return "redirect", None
    except MethodNotAllowed:
        return "method", None
    except NotFound:
        return "unknown", None
    except Exception as e:  # noqa: BLE001 - Flask would answer 500: not a routing verdict
        return "error:" + type(e).__name__, None


def q(s):
    """Percent-encode what cannot travel raw in a request target (and %, space)."""
    out = []
    for ch in s:
        if ch == "%" or ch in " \t\r\n\"<>\\^`{|}#?" or ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append("".join(f"%{b:02X}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


def values_for(conv, rnd):
    """Candidate values for a converter: valid ones first, then invalid and odd ones."""
    if isinstance(conv, UnicodeConverter):
        m = re.search(r"\{(\d+)(?:,(\d*))?\}", conv.regex)
        lo = int(m.group(1))
        hi = lo if m.group(2) is None and "," not in m.group(0) else (int(m.group(2)) if m.group(2) else None)
        vals = ["x" * max(lo, 1) if hi is None or hi >= max(lo, 1) else "x" * lo, "abc", "a", "hello-world",
                "x" * lo, "x" * (lo + 1), "é", "h%C3%A9llo", "%E2%82%AC", "a%20b", "a%2Fb", "a;b", "a.b",
                "UP", "%00", "x" * 300, "%zz", "%C3", "٣", "a+b"]
        if lo > 0:
            vals.append("x" * (lo - 1))
        if hi is not None:
            vals += ["y" * hi, "y" * (hi + 1)]
        return vals
    if isinstance(conv, IntegerConverter):
        vals = ["7", "0", "42", "007", "-5", "+5", "1.5", "abc", "9" * 25, "%D9%A3", "١٢", "12a", " 1"]
        if conv.fixed_digits:
            vals += ["1".zfill(conv.fixed_digits), "2".zfill(conv.fixed_digits + 1), "3" * conv.fixed_digits]
        for b in (conv.min, conv.max):
            if b is not None:
                vals += [str(b - 1), str(b), str(b + 1), str(-b), f"-{abs(b) + 1}"]
        return vals
    if isinstance(conv, FloatConverter):
        vals = ["1.5", "0.0", "-2.5", "1", "1.", ".5", "1e5", "3.14159", "%D9%A1.%D9%A5", "10.0", "x.y"]
        for b in (conv.min, conv.max):
            if b is not None:
                vals += [f"{b - 0.5:.1f}", f"{float(b):.1f}", f"{b + 0.5:.1f}", f"{-b - 1.0:.1f}"]
        return vals
    if isinstance(conv, PathConverter):
        return ["a", "a/b/c", "a//b", "x.txt", "", "a/", "/a", "%2e%2e/x", "dir/file.css", "a%2Fb",
                "a%0Ab", "é/ü", "edit", "a/edit"]
    if isinstance(conv, UUIDConverter):
        u = str(uuid.UUID(int=rnd.getrandbits(128)))
        return [u, u.upper(), u.replace("-", ""), u[:-1], u + "0", "not-a-uuid", u[:8] + "_" + u[9:]]
    if isinstance(conv, AnyConverter):
        items = sorted(conv.items)
        return items + ["other", items[0].upper() if items else "X", items[0] + "x" if items else "y", ""]
    return ["abc", "1", ""]


def instantiate(rule, rnd):
    """Paths built from a rule's trace: each variable with each candidate, others valid."""
    trace = [(dyn, data) for dyn, data in rule._trace]
    i = trace.index((False, "|"))
    trace = trace[i + 1:]
    names = [d for dyn, d in trace if dyn]
    cands = {n: values_for(rule._converters[n], rnd) for n in names}

    def build(choice):
        return "".join(q(str(choice[d])) if dyn and "%" not in str(choice[d]) and "/" not in str(choice[d])
                       else (str(choice[d]) if dyn else q(d)) for dyn, d in trace)

    base = {n: cands[n][0] for n in names}
    out = [build(base)]
    for n in names:
        for v in cands[n][1:]:
            c = dict(base)
            c[n] = v
            out.append(build(c))
    for _ in range(3 if names else 0):
        out.append(build({n: rnd.choice(cands[n]) for n in names}))
    return out


def variants(p, rnd):
    """Slash, query, encoding and form variants of one path."""
    out = [p, p + "/", p.rstrip("/") or "/", p + "?q=1&x=/y", p + "#frag", "http://localhost" + p,
           "//" + p.lstrip("/"), p.replace("/", "//", 2), p.upper(), p + "/extra"]
    if "/" in p[1:]:
        i = p.index("/", 1)
        out.append(p[:i] + "%2F" + p[i + 1:])
        out.append(p[:i] + "/./" + p[i + 1:])
    letters = [i for i, ch in enumerate(p) if ch.isalpha() and ch.isascii()]
    if letters:
        i = rnd.choice(letters)
        out.append(p[:i] + f"%{ord(p[i]):02x}" + p[i + 1:])
    return out


JUNK_CHARS = list("abcXYZ019/-._~%?#;=&+!$'()*,:@") + ["%2F", "%25", "%zz", "%C3%A9", "%FF", "é", "%00", "%0A",
                                                       "..", "//", "static", "api", "<", ">"]


def junk(rnd, n):
    out = ["/", "", "/favicon.ico", "/robots.txt", "/wp-login.php", "/.env", "/admin/config.php",
           "/static", "/static/", "/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/cgi-bin/test.cgi",
           "/index.php?id=1", "http://evil.example/", "http://localhost", "*", "/*", "/%", "/%2", "/%%41",
           "/\u00e9", "/%C3%28", "/%F0%9F%98%80", "/%ED%A0%80", "/%E0%80%AF", "/%F4%90%80%80", "/a%00b",
           "foo", "foo:bar/x", "/a:b", "HTTP://LOCALHOST/", "//", "///", "/./", "/.."]
    for _ in range(n):
        out.append("/" + "".join(rnd.choice(JUNK_CHARS) for _ in range(rnd.randint(0, 12))))
    return out


def run_warden(warden, target, method, paths, extra=()):
    proc = subprocess.run([warden, "routes", "--match", "--json", "--method", method, *extra, target],
                          input="\n".join(paths) + "\n", capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"warden failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--warden", required=True)
    ap.add_argument("--entry", required=True)
    ap.add_argument("--target")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-diffs", type=int, default=15)
    ap.add_argument("--expect-skipped", action="append", default=[],
                    help="a rule warden must skip with a warning (built dynamically)")
    ap.add_argument("--warden-arg", action="append", default=[],
                    help="an option for warden routes (--from flask ...)")
    ap.add_argument("--expected", help="build the url_map from this list instead of importing the app")
    ap.add_argument("--expect-clean", action="store_true",
                    help="warden must learn every rule without a warning")
    args = ap.parse_args()
    target = args.target or args.entry
    rnd = random.Random(args.seed)
    url_map = full_map = expected_map(args.expected) if args.expected else load_app(args.entry).url_map
    failures = 0
    if args.expect_skipped:
        # Werkzeug's view of the app without the rules warden cannot read.
        m = url_map
        url_map = Map([r.empty() for r in m.iter_rules() if r.rule not in args.expect_skipped],
                      strict_slashes=m.strict_slashes, merge_slashes=m.merge_slashes,
                      redirect_defaults=m.redirect_defaults)
    adapter = url_map.bind("localhost")

    # 1. The rule list: the same rules, methods and order as url_map.iter_rules().
    expected = [(r.rule, ",".join(sorted(r.methods))) for r in url_map.iter_rules()]
    proc = subprocess.run([args.warden, "routes", "--json", *args.warden_arg, target], capture_output=True, text=True,
                          check=False)
    if proc.returncode:
        raise SystemExit(f"warden routes failed: {proc.stderr}")
    got = [(o["rule"], ",".join(o["methods"])) for o in map(json.loads, proc.stdout.splitlines())]
    if sorted(got) != sorted(expected):
        failures += 1
        print("rule list differs (- werkzeug, + warden):")
        for item in sorted(set(expected) - set(got)):
            print(f"  - {item[0]} {item[1]}")
        for item in sorted(set(got) - set(expected)):
            print(f"  + {item[0]} {item[1]}")
    elif got != expected:
        failures += 1
        print("rule order differs from url_map.iter_rules():")
        for a, b in zip(expected, got):
            print(f"  {'  ' if a == b else '!='} {a[0]:40} {b[0]}")
    if args.expect_clean and proc.stderr.strip():
        failures += 1
        print(f"warden warned about an app it should read whole: {proc.stderr.strip()}")
    for rule in args.expect_skipped:
        if "not a string literal" not in proc.stderr:
            failures += 1
            print(f"no warning about the skipped rule {rule}: {proc.stderr.strip()}")

    # 2. Verdicts for many paths and methods.
    paths = []
    for rule in full_map.iter_rules():
        for p in instantiate(rule, rnd):
            paths += variants(p, rnd)
    paths += junk(rnd, 400)
    seen = set()
    paths = [p for p in paths if "\n" not in p and not (p in seen or seen.add(p))]
    checked = skipped = 0
    diffs = []
    for method in METHODS:
        answers = run_warden(args.warden, target, method, paths, args.warden_arg)
        if len(answers) != len(paths):
            raise SystemExit(f"warden answered {len(answers)} lines for {len(paths)} paths")
        for p, a in zip(paths, answers):
            verdict, rule = werkzeug_verdict(adapter, p, method)
            if verdict.startswith("error:"):
                skipped += 1
                continue
            checked += 1
            if a["path"] != p:
                diffs.append(f"{method} {p!r}: warden echoed {a['path']!r}")
            elif a["verdict"] != verdict or (verdict == "match" and rule is not None and a["rule"] != rule):
                diffs.append(f"{method} {p!r}: werkzeug {verdict} {rule}, warden {a['verdict']} {a['rule']}")
    print(f"{len(expected)} rules, {len(paths)} paths x {len(METHODS)} methods: {checked} compared, "
          f"{skipped} skipped (Werkzeug raised a non-routing error), {len(diffs)} differ")
    for d in diffs[:args.max_diffs]:
        print("  " + d)
    failures += len(diffs)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
