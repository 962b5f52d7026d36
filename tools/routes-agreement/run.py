# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.py - how often warden's verdict equals Werkzeug's on real public Flask apps.
#
# For each app of apps.list (its tree under DIR, outside this repository) this imports
# the app with Debian's Flask and stubs for the dependencies Debian does not package
# (stubs.py), and runs tests/apps/werkzeug_match.py on it: the same probes (paths built
# from every rule of Werkzeug's url_map, their variants, junk) x 8 methods, answered by
# Werkzeug and by `warden routes --match` reading the app's source. Prints one line per
# app and the total; the differences go to OUT/NAME.log.
#
# usage: run.py --warden BIN --apps-dir DIR [--lib DIR]... [--out OUT] [--only NAME...] [--from-flask]
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
MATCH = os.path.join(TOP, "tests", "apps", "werkzeug_match.py")
PY = "/usr/bin/python3"  # Debian's Flask 2.2 and Werkzeug 2.2
SUMMARY = re.compile(r"(\d+) rules, (\d+) paths x \d+ methods: (\d+) compared, (\d+) skipped.*, (\d+) differ")

PRELUDE = """
import runpy, sys
sys.path.insert(0, {here!r})
import stubs
stubs.install({app_dir!r})
sys.argv = {argv!r}
try:
    runpy.run_path({match!r}, run_name="__main__")
finally:
    print("stubbed modules: " + " ".join(sorted(m for m in stubs.STUBBED if "." not in m)), file=sys.stderr)
"""

WRAPPER = """import importlib, sys
sys.path.insert(0, {path!r})
_m = importlib.import_module({module!r})
globals().update({{k: getattr(_m, k) for k in ("app", "application", "create_app") if hasattr(_m, k)}})
"""


def read_list(path):
    apps = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, repo, commit, entry, target, *env = line.split()
                apps.append(dict(name=name, repo=repo, commit=commit, entry=entry, target=target,
                                 env=dict(e.split("=", 1) for e in env)))
    return apps


def run_app(app, args, tmp):
    app_dir = os.path.join(args.apps_dir, app["repo"].split("/")[1])
    if not os.path.isdir(app_dir):
        return None, f"{app_dir} missing (the repository's tree at {app['commit']})"
    entry = app["entry"]
    if ":" in entry:
        path, module = entry.split(":")
        entry = os.path.join(tmp, f"entry_{app['name'].replace('-', '_')}.py")
        with open(entry, "w", encoding="utf-8") as f:
            f.write(WRAPPER.format(path=os.path.join(app_dir, path), module=module))
    else:
        entry = os.path.join(app_dir, entry)
    argv = [MATCH, "--warden", args.warden, "--entry", entry, "--target", os.path.join(app_dir, app["target"]),
            "--max-diffs", "1000000"]
    if args.from_flask:
        argv += ["--warden-arg=--from", "--warden-arg=flask", f"--warden-arg=--python", f"--warden-arg={PY}"]
    code = PRELUDE.format(here=HERE, app_dir=app_dir, argv=argv, match=MATCH)
    # PYTHONHASHSEED: the same probes from run to run (sets of methods and items are iterated).
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0", PYTHONPATH=":".join([app_dir] + args.lib), **app["env"])
    proc = subprocess.run([PY, "-c", code], cwd=app_dir, env=env, capture_output=True, text=True, timeout=1800)
    with open(os.path.join(args.out, app["name"] + ".log"), "w", encoding="utf-8") as f:
        f.write(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    m = SUMMARY.search(proc.stdout)
    if not m:
        last = (proc.stderr.strip().splitlines() or ["?"])[-2:]
        return None, "no comparison: " + " | ".join(last)[:300]
    rules, paths, compared, skipped, differ = map(int, m.groups())
    return (rules, compared, differ), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--warden", required=True)
    ap.add_argument("--apps-dir", required=True)
    ap.add_argument("--list", default=os.path.join(HERE, "apps.list"))
    ap.add_argument("--out", default=None)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--from-flask", action="store_true", help="warden asks Flask (--from flask) instead")
    ap.add_argument("--lib", action="append", default=[],
                    help="a folder with a library Debian does not package (flask-restx's tree), for the import")
    args = ap.parse_args()
    args.warden = os.path.abspath(args.warden)
    args.out = args.out or os.path.join(args.apps_dir, "_agreement")
    os.makedirs(args.out, exist_ok=True)
    total_c = total_d = 0
    with tempfile.TemporaryDirectory() as tmp:
        for app in read_list(args.list):
            if args.only and app["name"] not in args.only:
                continue
            res, why = run_app(app, args, tmp)
            if res is None:
                print(f"{app['name']:18} not measured: {why}")
                continue
            rules, compared, differ = res
            total_c += compared
            total_d += differ
            print(f"{app['name']:18} {rules:4} rules {compared:7} probes {differ:6} differ  "
                  f"{100.0 * (compared - differ) / compared:7.3f} % agree")
    if total_c:
        print(f"{'all':18} {'':10} {total_c:7} probes {total_d:6} differ  "
              f"{100.0 * (total_c - total_d) / total_c:7.3f} % agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
