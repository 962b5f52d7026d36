#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""k8s_pod.py - lay out a container of a manifest under a folder, as the kubelet would.

Usage: tests/k8s_pod.py DIR KIND/NAME CONTAINER ROOT [--env VAR=VALUE]...
           [--host PATH=DIR]... [--secret NAME/KEY=VALUE]... [--path PATH=DIR]...

No container engine here: the test runs the container's command on this host,
its files under ROOT. For the container CONTAINER of the workload KIND/NAME in
DIR/*.yaml:
  - ConfigMap, Secret and projected volumes are written under ROOT/MOUNTPATH
    from the ConfigMaps in DIR and the --secret values, items and modes as
    given; emptyDir and hostPath volumes are folders ROOT/MOUNTPATH, or a
    symbolic link to DIR for a hostPath named by --host;
  - every absolute path under a mount point (and under a --path PATH) in the
    arguments and in the files written from ConfigMaps is moved under ROOT;
  - $(VAR) in command and args is expanded from env, fieldRef values given by
    --env (status.podIP as POD_IP=...), as the kubelet does.
Prints the command line, one argument per line (command, then args).
"""
import glob
import os
import re
import sys

import yaml


def parse_pairs(args, flag):
    out = {}
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            k, _, v = args[i + 1].partition("=")
            out[k] = v
    return out


def expand(s, env):
    """The kubelet's $(VAR) expansion: $$ is a literal $, an unknown $(VAR) stays."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", sub, s)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__.strip())
    mdir, what, cname, root = argv[:4]
    rest = argv[4:]
    envs = parse_pairs(rest, "--env")
    hosts = parse_pairs(rest, "--host")
    secrets = parse_pairs(rest, "--secret")
    extra = parse_pairs(rest, "--path")
    kind, _, name = what.partition("/")
    docs = []
    for f in sorted(glob.glob(os.path.join(mdir, "*.yaml"))):
        with open(f) as fh:
            docs += [d for d in yaml.safe_load_all(fh) if isinstance(d, dict)]
    wl = next(d for d in docs if d.get("kind") == kind and d["metadata"]["name"] == name)
    pod = wl["spec"]["template"]["spec"]
    c = next(x for x in pod.get("containers", []) + pod.get("initContainers", []) if x["name"] == cname)
    cms = {d["metadata"]["name"]: d.get("data") or {} for d in docs if d.get("kind") == "ConfigMap"}
    sec = {}
    for k, v in secrets.items():
        sname, _, key = k.partition("/")
        sec.setdefault(sname, {})[key] = v
    vols = {v["name"]: v for v in pod.get("volumes") or []}

    # Paths to move under ROOT: mount points (longest first), and --path ones elsewhere.
    moves = {m["mountPath"]: root + m["mountPath"] for m in c.get("volumeMounts") or []}
    moves.update(extra)
    order = sorted(moves, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w./-])(%s)(?=/|\s|$|[^\w./-])" % "|".join(re.escape(p) for p in order))

    def move(text):
        return pattern.sub(lambda m: moves[m.group(1)], text)

    def write(path, content, mode, text=True):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(move(content) if text else content)
        os.chmod(path, mode)

    def project(src_data, items, base, mode, is_text):
        keys = items or [{"key": k, "path": k} for k in src_data]
        for it in keys:
            if it["key"] not in src_data:
                sys.exit(f"k8s_pod: key {it['key']} missing")
            write(os.path.join(base, it["path"]), src_data[it["key"]],
                  it.get("mode", mode), is_text)

    env = {}
    for e in c.get("env") or []:
        if "value" in e:
            env[e["name"]] = expand(str(e["value"]), env)
        elif (e.get("valueFrom") or {}).get("fieldRef"):
            fp = e["valueFrom"]["fieldRef"]["fieldPath"]
            if e["name"] not in envs:
                sys.exit(f"k8s_pod: give --env {e['name']}=... (the kubelet's {fp})")
            env[e["name"]] = envs[e["name"]]

    for m in c.get("volumeMounts") or []:
        v = vols[m["name"]]
        base = root + m["mountPath"]
        if "hostPath" in v and v["hostPath"]["path"] in hosts:
            os.makedirs(os.path.dirname(base), exist_ok=True)
            if not os.path.islink(base):
                os.symlink(hosts[v["hostPath"]["path"]], base)
        elif "hostPath" in v or "emptyDir" in v:
            os.makedirs(base, exist_ok=True)
        elif "configMap" in v:
            cm = v["configMap"]
            project(cms[cm["name"]], cm.get("items"), base, cm.get("defaultMode", 0o644), True)
        elif "secret" in v:
            s = v["secret"]
            project(sec[s["secretName"]], s.get("items"), base, s.get("defaultMode", 0o644), False)
        elif "projected" in v:
            mode = v["projected"].get("defaultMode", 0o644)
            for s in v["projected"]["sources"]:
                if "configMap" in s:
                    project(cms[s["configMap"]["name"]], s["configMap"].get("items"), base, mode, True)
                elif "secret" in s:
                    project(sec[s["secret"]["name"]], s["secret"].get("items"), base, mode, False)
        else:
            sys.exit(f"k8s_pod: volume {m['name']}: this kind is not laid out")

    for a in (c.get("command") or []) + (c.get("args") or []):
        print(move(expand(str(a), env)))


if __name__ == "__main__":
    main(sys.argv[1:])
