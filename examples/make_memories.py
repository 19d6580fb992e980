#!/usr/bin/env python3
"""Writes examples/memories.jsonl: five months of a coding assistant's memory of "Ledger", a
small subscription-billing product (an API, a worker, a web dashboard, its infrastructure).

Deterministic (seeded), so the file in the repository is exactly what this script prints:

    python3 examples/make_memories.py > examples/memories.jsonl

It exercises every rule of rules/: chains of DEPENDS_ON and REQUIRES between services,
problems solved, fixed and caused, aliases of one technology spelt several ways (merged) and
one name shared by two types (not merged), memories that share neighbours and tags (affinity),
clusters of memories on one topic in one project (consolidated), dormant topics, hub tags and
a hub entity, and contradictions.
"""
import json
import random
from datetime import datetime, timedelta, timezone

rng = random.Random(20261120)
START = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)
END = datetime(2026, 11, 20, 18, 0, tzinfo=timezone.utc)
out = []


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def emit(obj):
    out.append(json.dumps(obj, ensure_ascii=False))


# Entities: technologies (some written several ways), services, people.
technologies = ["PostgreSQL", "Redis", "Kafka", "Stripe API", "Docker", "Kubernetes",
                "Terraform", "React", "TypeScript", "Rust", "Python", "Nginx", "Grafana",
                "Prometheus", "Sentry", "GitHub Actions", "OpenSSL", "JWT", "Node.js",
                "gRPC", "Celery", "S3"]
aliases = {"PostgreSQL": ["postgresql", "postgre sql"], "GitHub Actions": ["github-actions"],
           "Node.js": ["NodeJS", "node-js"], "Kubernetes": ["kubernetes"]}
services = ["ledger-api", "invoice-worker", "auth-service", "web-dashboard",
            "webhook-gateway", "payment-processor", "notification-service", "reporting-job"]
people = ["Alice Chen", "Bob Martins", "Priya Raman", "Diego Alvarez"]

t0 = START - timedelta(days=10)
for tech in technologies:
    emit({"kind": "entity", "id": tech, "type": "technology", "time": iso(t0)})
    for a in aliases.get(tech, []):
        emit({"kind": "entity", "id": a, "type": "technology", "time": iso(t0)})
# One name, two things: Redis the technology is not "redis" the managed cache instance.
emit({"kind": "entity", "id": "redis", "type": "datastore", "time": iso(t0),
      "observations": ["The managed Redis instance in eu-west-1"]})
for s in services:
    emit({"kind": "entity", "id": s, "type": "service", "time": iso(t0)})
roles = ["Tech lead of Ledger", "Owns payments and webhooks", "Runs infrastructure and CI",
         "Builds the web dashboard"]
for p, role in zip(people, roles):
    emit({"kind": "entity", "id": p, "type": "person", "observations": [role], "time": iso(t0)})

relations = []


def rel(a, t, b, when, conf=None):
    r = {"kind": "relation", "from": a, "type": t, "to": b, "time": iso(when)}
    if conf is not None:
        r["confidence"] = conf
    relations.append(r)


# The architecture: service dependencies (chains for the transitive rules) and requirements.
for a, b in [("web-dashboard", "ledger-api"), ("ledger-api", "auth-service"),
             ("ledger-api", "payment-processor"), ("payment-processor", "webhook-gateway"),
             ("webhook-gateway", "invoice-worker"), ("invoice-worker", "notification-service"),
             ("reporting-job", "ledger-api"), ("auth-service", "PostgreSQL"),
             ("ledger-api", "postgresql"), ("invoice-worker", "Redis"),
             ("webhook-gateway", "Kafka"), ("payment-processor", "Stripe API"),
             ("notification-service", "Kafka"), ("auth-service", "JWT"), ("JWT", "OpenSSL")]:
    rel(a, "DEPENDS_ON", b, t0, 1.0)
for a, b in [("ledger-api", "Docker"), ("Docker", "Kubernetes"), ("Kubernetes", "Terraform"),
             ("web-dashboard", "Node.js"), ("Node.js", "TypeScript"), ("invoice-worker", "Celery"),
             ("Celery", "Python"), ("reporting-job", "S3")]:
    rel(a, "REQUIRES", b, t0, 0.9)
for svc, techs in {"ledger-api": ["Rust", "gRPC", "postgre sql"], "web-dashboard": ["React", "NodeJS"],
                   "invoice-worker": ["Python", "redis"], "auth-service": ["Rust", "JWT"],
                   "reporting-job": ["Python", "PostgreSQL"]}.items():
    for t in techs:
        rel(svc, "USES", t, t0)

# Topics: what the team worked on, when, in which part of the product, with the tags used.
topics = [
    ("webhooks", "ledger-api", (0, 40), ["webhooks", "stripe", "retries", "idempotency", "queue", "events", "signatures"],
     ["webhook-gateway", "Stripe API", "Kafka"]),
    ("invoicing", "ledger-api", (20, 70), ["invoices", "pdf", "tax", "rounding", "currency", "templates", "emails"],
     ["invoice-worker", "Celery", "S3"]),
    ("auth", "ledger-api", (100, 142), ["auth", "jwt", "tokens", "sessions", "expiry", "refresh", "oauth"],
     ["auth-service", "JWT", "OpenSSL"]),
    ("dashboard", "dashboard", (30, 120), ["dashboard", "react", "charts", "performance", "accessibility", "forms", "typescript"],
     ["web-dashboard", "React", "TypeScript"]),
    ("migration", "infra", (45, 80), ["migration", "schema", "downtime", "backfill", "indexes", "locks", "rollback"],
     ["PostgreSQL", "postgresql", "ledger-api"]),
    ("ci", "infra", (0, 60), ["ci", "builds", "caching", "flaky-tests", "docker-images", "pipelines", "artifacts"],
     ["GitHub Actions", "github-actions", "Docker"]),
    ("observability", "infra", (60, 142), ["monitoring", "alerts", "dashboards", "tracing", "logs", "slo", "oncall"],
     ["Grafana", "Prometheus", "Sentry"]),
    ("kubernetes", "infra", (85, 130), ["kubernetes", "helm", "autoscaling", "resources", "probes", "ingress", "secrets"],
     ["Kubernetes", "kubernetes", "Nginx"]),
    ("payments", "ledger-api", (70, 142), ["payments", "refunds", "disputes", "stripe", "currency", "ledger", "reconciliation"],
     ["payment-processor", "Stripe API", "PostgreSQL"]),
    ("reporting", "ledger-api", (10, 45), ["reports", "exports", "csv", "scheduling", "s3", "timezones", "aggregation"],
     ["reporting-job", "S3", "Python"]),
]
# Each topic's long tail of tags, used now and then.
tails = {t[0]: [f"{t[0]}-{w}" for w in ["config", "edge-case", "limits", "naming", "docs",
                                          "cleanup", "security", "latency", "review", "rollout"]]
         for t in topics}
kinds = ["problem", "solution", "fix", "decision", "learning", "pattern", "task", "bug"]
title_words = {
    "problem": ["{a} fails when {b}", "{a} is slow under {b}", "Intermittent {a} errors during {b}"],
    "bug": ["{a} drops {b}", "Off-by-one in {a} {b}", "{a} crashes on empty {b}"],
    "solution": ["Use {b} for {a}", "Batch {a} through {b}", "Move {a} behind {b}"],
    "fix": ["Patch {a} to handle {b}", "Retry {a} on {b}", "Guard {a} against {b}"],
    "decision": ["Adopt {b} for {a}", "Keep {a} on {b} for now", "Drop {b} from {a}"],
    "learning": ["{a} needs {b} to be idempotent", "{b} limits shape {a}", "How {a} interacts with {b}"],
    "pattern": ["{a}: validate before {b}", "{a} via outbox and {b}", "Feature-flag {a} before {b}"],
    "task": ["Document {a} {b}", "Add tests for {a} {b}", "Clean up {a} {b}"],
}

memories = []
n = 0
for name, project, (d0, d1), tags, ents in topics:
    count = 30 + rng.randrange(6)
    for i in range(count):
        n += 1
        mid = f"m{n:03}"
        kind = kinds[(i + rng.randrange(3)) % len(kinds)]
        when = START + timedelta(days=rng.uniform(d0, d1), minutes=rng.randrange(600))
        when = min(when, END)
        a, b = rng.sample(tags, 2)
        title = rng.choice(title_words[kind]).format(a=a.replace("-", " "), b=b.replace("-", " "))
        # Two or three of the topic's own tags, and a few of its long tail.
        mtags = rng.sample(tags[:3], 2 + rng.randrange(2))
        mtags += rng.sample(tags[3:] + tails[name], 2 + rng.randrange(3))
        mtags = sorted(set(mtags))
        # Broad tags every team member uses: hubs, which relate nothing.
        mtags.append("ledger")
        if rng.random() < 0.4:
            mtags.append("backend" if project != "dashboard" else "frontend")
        content = (f"While working on {name} in {project}: {title.lower()}. "
                   f"Touches {', '.join(mtags[:3])}; see {rng.choice(ents)}.")
        m = {"kind": "memory", "id": mid, "type": kind, "title": title, "content": content,
             "tags": mtags, "project": project, "importance": round(rng.uniform(0.2, 1.0), 2),
             "time": iso(when)}
        memories.append((m, name, ents, when))

# Occasional notes with no topic tags: they take part in nothing but recall.
for i in range(12):
    n += 1
    when = START + timedelta(days=rng.uniform(0, 142))
    memories.append(({"kind": "memory", "id": f"m{n:03}", "type": "meeting-note",
                      "title": f"Weekly sync {i + 1}", "content": "Priorities, owners and risks for the week.",
                      "tags": ["sync"], "project": "ledger-api", "importance": 0.3, "time": iso(when)},
                     None, people, when))

for m, _, _, _ in memories:
    emit(m)

by_topic = {}
for m, topic, ents, when in memories:
    by_topic.setdefault(topic, []).append((m, ents, when))
    # What a memory is about: entities of its topic, the people involved, and a hub.
    for e in rng.sample(ents, 2):
        rel(m["id"], "USES" if m["type"] in ("solution", "fix", "pattern") else "ABOUT", e, when)
    rel(m["id"], "MENTIONS", rng.choice(people), when, round(rng.uniform(0.6, 1.0), 2))
    if topic is not None:
        rel(m["id"], "PART_OF", "Ledger", when)

for topic, items in by_topic.items():
    if topic is None:
        continue
    items.sort(key=lambda x: x[2])
    problems = [x for x in items if x[0]["type"] in ("problem", "bug")]
    for m, _, when in items:
        later = [p for p in problems if p[2] <= when and p[0]["id"] != m["id"]]
        if not later:
            continue
        p = rng.choice(later)[0]["id"]
        t = m["type"]
        if t == "solution":
            rel(m["id"], "SOLVES", p, when, round(rng.uniform(0.7, 1.0), 2))
        elif t == "fix":
            rel(m["id"], "FIXES" if rng.random() < 0.7 else "ADDRESSES", p, when, round(rng.uniform(0.6, 1.0), 2))
        elif t == "decision":
            rel(m["id"], "ADDRESSES", p, when, 0.8)
        elif t == "learning":
            rel(m["id"], "CONFIRMS", p, when, 0.9)
        elif t in ("problem", "bug") and rng.random() < 0.5:
            # A regression: an earlier change caused this problem.
            changes = [x for x in items if x[0]["type"] in ("fix", "solution", "decision") and x[2] < when]
            if changes:
                rel(rng.choice(changes)[0]["id"], "CAUSES", m["id"], when, round(rng.uniform(0.5, 0.9), 2))
        elif t == "task":
            rel(m["id"], "DEPENDS_ON", p, when)
        else:
            rel(m["id"], "RELATED_TO", p, when, 0.7)

# Contradictions: a learning that confirms a problem and, later, contradicts it; a fix that
# caused the very problem it fixes.
learnings = [m for m, t, _, _ in memories if m["type"] == "learning"]
problems = [m for m, t, _, _ in memories if m["type"] in ("problem", "bug")]
for l, p in zip(rng.sample(learnings, 3), rng.sample(problems, 3)):
    rel(l["id"], "CONFIRMS", p["id"], END - timedelta(days=30), 0.9)
    rel(l["id"], "CONTRADICTS", p["id"], END - timedelta(days=5), 0.6)
fixes = [m for m, t, _, _ in memories if m["type"] == "fix"]
for f, p in zip(rng.sample(fixes, 2), rng.sample(problems, 2)):
    rel(f["id"], "FIXES", p["id"], END - timedelta(days=20), 0.9)
    rel(f["id"], "CAUSES", p["id"], END - timedelta(days=10), 0.5)

seen = set()
for r in relations:
    key = (r["from"], r["type"], r["to"])
    if key not in seen:
        seen.add(key)
        emit(r)

print("\n".join(out))
