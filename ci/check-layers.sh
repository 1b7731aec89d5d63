#!/usr/bin/env bash
# The layer rule of mockserver/ (docs/DESIGN.md, "Layers"), checked over the
# #include lines, and no cycle between the modules of mockserver/ or
# client/cli/:
#
#   wiring (main.c app.c options.c) > http/ > api/ > sim/ > data/ > text/
#
# A file includes only headers of its own layer or of the layers below it
# (of api/, http/ includes only api/api.h: it dispatches through a
# callback); tests/ and embed/ may include any layer. A module is a .c file with its
# .h (x.c + x.h, and x_internal.h); module A depends on module B when a file of A includes
# B's header. Fails (exit 1) on a lower layer including a higher one, on an
# include that names no file, or on a cycle of modules.
#
# With --calls DIR (a build directory), also fails on a cycle of calls:
# module A calls module B when A's object file uses a symbol that B's
# defines (nm), so a callback (a function pointer handed down) is not a
# call, but a direct call back up is.
#
# Usage: ci/check-layers.sh [--calls build]
set -euo pipefail
cd "$(dirname "$0")/.."

calls_dir=""
if [ "${1:-}" = "--calls" ]; then
  calls_dir=${2:?--calls needs a build directory}
fi

python3 - "$calls_dir" <<'EOF'
import os
import re
import subprocess
import sys

calls_dir = sys.argv[1]
LAYERS = ["text", "data", "sim", "api", "http", "wiring"]  # bottom to top
ANY = {"tests", "embed"}                                  # may include any layer
# The HTTP layer knows the request and reply types, not the route table: it
# dispatches through a callback (http/server.h).
ONLY = {("http", "api"): {"mockserver/api/api.h"}}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
failures = []


def layer_of(path):
    """mockserver/sim/store.c -> sim; mockserver/app.c -> wiring."""
    parts = path.split("/")
    if len(parts) == 2:
        return "wiring"
    return parts[1]


def sources(root):
    for d, _, files in os.walk(root):
        for f in sorted(files):
            if f.endswith((".c", ".h", ".c.in")):
                yield os.path.join(d, f)


def module(path):
    """x.c, x.h and the private header x_internal.h are module x."""
    base = os.path.basename(path)
    for ext in ("_internal.h", ".c.in", ".c", ".h"):
        if base.endswith(ext):
            return os.path.join(os.path.dirname(path), base[: -len(ext)])
    return path


def resolve(including, name, search):
    """The file an #include "name" reaches: next to the includer, else in
    the include directories, as the compiler looks."""
    for d in [os.path.dirname(including)] + search:
        candidate = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(candidate):
            return candidate
    return None


def find_cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def include_graph(root, search, check_layers):
    graph = {}
    for path in sources(root):
        if "/tests/" in path and not check_layers:
            continue
        text = open(path, encoding="utf-8").read()
        src_mod = module(path)
        graph.setdefault(src_mod, set())
        for name in INCLUDE.findall(text):
            target = resolve(path, name, search)
            if target is None:
                if root == "mockserver" or not name.endswith(".h"):
                    failures.append('%s: #include "%s" names no file of the tree' % (path, name))
                continue
            if check_layers and target.startswith("mockserver/"):
                src_layer, dst_layer = layer_of(path), layer_of(target)
                if src_layer not in ANY:
                    if dst_layer in ANY:
                        failures.append('%s: includes %s, which is not a header of any layer' % (path, target))
                    elif LAYERS.index(dst_layer) > LAYERS.index(src_layer):
                        failures.append('%s (layer %s) includes %s (layer %s, higher)'
                                        % (path, src_layer, target, dst_layer))
                    elif target not in ONLY.get((src_layer, dst_layer), {target}):
                        failures.append('%s (layer %s) includes %s: of %s/ it may include only %s'
                                        % (path, src_layer, target, dst_layer,
                                           ", ".join(sorted(ONLY[(src_layer, dst_layer)]))))
            if "/tests/" in path:
                continue
            dst_mod = module(target)
            if dst_mod != src_mod and os.path.dirname(dst_mod).startswith(root):
                graph[src_mod].add(dst_mod)
    return graph


roots = {
    "mockserver": ["mockserver", "mockserver/tests/support"],
    "client/cli": ["client/cli", "client/include"],
}
for root, search in roots.items():
    graph = include_graph(root, search, root == "mockserver")
    for cycle in find_cycles(graph):
        failures.append("include cycle between the modules %s" % " <-> ".join(cycle))

if calls_dir:
    # Objects of the server library and the CLI, by module.
    for root, target_dirs in (("mockserver", ["mockserver/CMakeFiles/descovo_mock_core.dir"]),
                              ("client/cli", ["client/cli/CMakeFiles/descovo-cli.dir"])):
        objects = {}
        for target_dir in target_dirs:
            base = os.path.join(calls_dir, target_dir)
            for d, _, files in os.walk(base):
                for f in files:
                    if f.endswith(".c.o"):
                        rel = os.path.relpath(os.path.join(d, f), base)[: -len(".c.o")]
                        objects[os.path.join(root, rel)] = os.path.join(d, f)
        if not objects:
            failures.append("--calls %s: no object files of %s (build it first)" % (calls_dir, root))
            continue
        defined, used = {}, {}
        for mod, obj in objects.items():
            out = subprocess.run(["nm", obj], check=True, capture_output=True, text=True).stdout
            used[mod] = set()
            for line in out.splitlines():
                fields = line.split()
                if len(fields) == 2 and fields[0] == "U":
                    used[mod].add(fields[1])
                elif len(fields) == 3 and fields[1] in "TDBRCGS":
                    defined[fields[2]] = mod
        graph = {m: {defined[s] for s in used[m] if s in defined and defined[s] != m} for m in objects}
        for cycle in find_cycles(graph):
            failures.append("call cycle between the modules %s" % " <-> ".join(cycle))

for f in failures:
    print("check-layers: " + f, file=sys.stderr)
if failures:
    sys.exit(1)
print("check-layers: mockserver/ keeps its layers; no include%s cycle in mockserver/ or client/cli/"
      % (" or call" if calls_dir else ""))
EOF
