# Sourced by the planner benchmarks: the workloads they plan, written into
# $tmp. Paper grids on other clusters, bigger grids of the same models, and
# mixed workloads of many models.
#   node NAME REPLICAS COUNT           a cluster node (A100-40GB devices) as YAML
#   with_nodes SRC NAME NODES [LRS]    SRC with these nodes, this name (and this lr list) > stdout
#   mixed NAME NODES SEEDS             workloads/bench/mixed.yaml.in filled in > stdout
#   one8 two8 eight4 four8 eight8      the clusters (node YAML): 1x8, 2x8, 8+4, 4x8, 8x8 A100-40GB
node() {
  printf '    - name: %s\n      replicas: %s\n      devices: {kind: cuda, count: %s, model: A100-40GB}\n' "$1" "$2" "$3"
}
with_nodes() {
  python3 - "$1" "$2" "$3" "${4:-}" <<'PY'
import re, sys
src, name, nodes, lrs = sys.argv[1:5]
text = open(src).read()
text = re.sub(r'(?ms)^cluster:\n  nodes:\n.*?(?=^\S)', 'cluster:\n  nodes:\n' + nodes + '\n', text, count=1)
text = re.sub(r'(?m)^name: .*$', 'name: ' + name, text, count=1)
if lrs:
    text, n = re.subn(r'(?m)^(    lr: )\[.*\]$', r'\g<1>[' + lrs + ']', text, count=1)
    assert n == 1, "no lr axis in " + src
print(text, end='')
PY
}
mixed() {
  sed -e "s|@NAME@|$1|" -e "s|@SEEDS@|$3|" workloads/bench/mixed.yaml.in |
    python3 -c 'import sys; t=sys.stdin.read(); print(t.replace("@NODES@", sys.argv[1]), end="")' "$2"
}

one8=$(node p4d 1 8)
two8=$(node p4d 2 8)
eight4="$(node p4d 1 8)
$(node p3 1 4)"
four8=$(node p4d 4 8)
eight8=$(node p4d 8 8)
