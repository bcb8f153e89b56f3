#!/usr/bin/env bash
# validate.sh -- check the deployment files without a container engine or
# a cluster (these machines have neither): YAML through yamllint and a
# structural check with PyYAML, the systemd unit through systemd-analyze
# verify, the Dockerfile through a structural check (Debian packages no
# Dockerfile parser), every config through `callpulse check-config`.
# Usage: deploy/validate.sh CALLPULSE_BINARY
set -euo pipefail
DEPLOY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$DEPLOY")
bin=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

yamllint -d '{extends: default, rules: {line-length: {max: 120}, document-start: disable,
              truthy: {check-keys: false}}}' "$DEPLOY/compose.yaml" "$DEPLOY"/k8s/*.yaml

/usr/bin/python3 - "$DEPLOY" "$ROOT" "$tmp" <<'PY'
import json, os, re, sys, yaml
deploy, root, tmp = sys.argv[1:4]
bad = []

def need(cond, what):
    if not cond:
        bad.append(what)

# compose: services with an image or a build, the processor built from the Dockerfile
compose = yaml.safe_load(open(os.path.join(deploy, "compose.yaml")))
services = compose.get("services", {})
for name, s in services.items():
    need("image" in s or "build" in s, f"compose: service {name} has no image or build")
    for dep in (s.get("depends_on") or {}):
        need(dep in services, f"compose: {name} depends on unknown service {dep}")
need(services.get("processor", {}).get("build", {}).get("dockerfile") == "deploy/Dockerfile",
     "compose: processor is not built from deploy/Dockerfile")
need("--appendfsync" in services.get("redis", {}).get("command", []), "compose: redis without AOF fsync")
need("broker,controller" in str(services.get("kafka", {}).get("environment", {})),
     "compose: kafka not in KRaft mode")
# one pinned Kafka release: compose's image is the one deploy/kafka.sh runs
pinned = re.search(r"^KAFKA_VERSION=(\S+)", open(os.path.join(deploy, "kafka.sh")).read(), re.M)
need(pinned is not None, "kafka.sh: no KAFKA_VERSION")
for name in ("kafka", "topics"):
    need(pinned is not None and services.get(name, {}).get("image") == "apache/kafka:" + pinned.group(1),
         f"compose: {name} is not apache/kafka:{pinned.group(1) if pinned else '?'} (deploy/kafka.sh's release)")

# kubernetes: every document has apiVersion, kind and a name; the deployment
# probes /healthz and carries the Prometheus annotations; its config checks
kinds = {}
for path in sorted(os.listdir(os.path.join(deploy, "k8s"))):
    for doc in yaml.safe_load_all(open(os.path.join(deploy, "k8s", path))):
        need(doc.get("apiVersion") and doc.get("kind") and doc.get("metadata", {}).get("name"),
             f"k8s/{path}: a document without apiVersion, kind or metadata.name")
        kinds[doc["kind"]] = doc
dep = kinds.get("Deployment", {})
pod = dep.get("spec", {}).get("template", {})
probes = [c.get(p, {}).get("httpGet", {}).get("path") for c in pod.get("spec", {}).get("containers", [])
          for p in ("readinessProbe", "startupProbe", "livenessProbe")]
need("/healthz" in probes, "k8s: no probe on /healthz")
need(pod.get("metadata", {}).get("annotations", {}).get("prometheus.io/scrape") == "true",
     "k8s: no Prometheus scrape annotation")
need(dep.get("spec", {}).get("template", {}).get("spec", {}).get("securityContext", {}).get("runAsNonRoot"),
     "k8s: pods may run as root")
cm = kinds.get("ConfigMap", {}).get("data", {}).get("config.json")
need(cm, "k8s: no config.json in the ConfigMap")
if cm:
    open(os.path.join(tmp, "k8s-config.json"), "w").write(cm)

# Dockerfile: known instructions, FROM first, multi-stage, COPY --from a
# stage, sources that exist, a non-root USER in the final stage
known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
         "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
lines, cur = [], ""
for raw in open(os.path.join(deploy, "Dockerfile")):
    s = raw.rstrip("\n")
    if not cur and (not s.strip() or s.lstrip().startswith("#")):
        continue
    cur += s[:-1] + " " if s.endswith("\\") else s
    if not s.endswith("\\"):
        lines.append(cur.strip())
        cur = ""
need(not cur, "Dockerfile: a continuation line at the end")
stages, user = [], None
for i, l in enumerate(lines):
    word = l.split()[0].upper()
    need(word in known, f"Dockerfile: unknown instruction {word}")
    need(i > 0 or word in ("FROM", "ARG"), "Dockerfile: does not start with FROM")
    if word == "FROM":
        m = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", l, re.I)
        need(m, f"Dockerfile: bad FROM: {l}")
        stages.append(m.group(2) if m else None)
        user = None
    if word == "USER":
        user = l.split()[1]
    if word in ("COPY", "ADD"):
        args = [a for a in l.split()[1:] if not a.startswith("--")]
        frm = re.search(r"--from=(\S+)", l)
        if frm:
            need(frm.group(1) in stages[:-1], f"Dockerfile: COPY --from unknown stage {frm.group(1)}")
        else:
            for src in args[:-1]:
                need(os.path.exists(os.path.join(root, src)), f"Dockerfile: COPY source {src} missing")
    if word in ("CMD", "ENTRYPOINT") and "[" in l:
        try:
            json.loads(l.split(None, 1)[1])
        except ValueError:
            bad.append(f"Dockerfile: {word} is not a JSON array")
need(len(stages) >= 2, "Dockerfile: not multi-stage")
need(user is not None and user.split(":")[0] not in ("0", "root"), "Dockerfile: final stage runs as root")

for b in bad:
    print("deploy:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY

"$bin" check-config "$DEPLOY/config.json" >/dev/null
"$bin" check-config "$tmp/k8s-config.json" >/dev/null

sed "s|/usr/local/bin/callpulse|$bin|" "$DEPLOY/callpulse.service" >"$tmp/callpulse.service"
out=$(systemd-analyze verify "$tmp/callpulse.service" 2>&1) || { echo "$out" >&2; exit 1; }
[ -z "$out" ] || { echo "$out" >&2; exit 1; }
echo "deploy files valid: compose.yaml, k8s/*.yaml, Dockerfile, callpulse.service, configs"
