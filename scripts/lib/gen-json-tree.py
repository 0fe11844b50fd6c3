#!/usr/bin/env python3
"""Write a deterministic tree of JSON documents for the capture and benchmark servers.

    gen-json-tree.py test  DIR   small tree served while recording test/pcaps/
    gen-json-tree.py bench DIR   REST-style tree (~20 routes, IDs in paths) plus DIR/paths.txt,
                                 the list of request paths the load generator walks through

Only files are written; nothing is sent anywhere. Output is identical on every run (fixed seeds,
fixed mtimes), so ETag / Last-Modified values stay stable too.
"""
import json
import os
import random
import sys
import uuid

MTIME = 1700000000  # 2023-11-14T22:13:20Z, fixed so ETag/Last-Modified are reproducible

FIRST = ["ada", "alan", "grace", "linus", "margaret", "dennis", "ken", "barbara", "edsger",
         "donald", "frances", "john", "radia", "vint", "bob", "sophie", "tim", "hedy"]
LAST = ["lovelace", "turing", "hopper", "torvalds", "hamilton", "ritchie", "thompson", "liskov",
        "dijkstra", "knuth", "allen", "backus", "perlman", "cerf", "kahn", "wilson", "lee"]
CITIES = ["Berlin", "Lisbon", "Osaka", "Toronto", "Nairobi", "Lima", "Oslo", "Austin"]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo"]


def write(root, rel, obj):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = json.dumps(obj, indent=1, sort_keys=False).encode() + b"\n"
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)
    os.utime(path, (MTIME, MTIME))
    return len(data)


def user(rng, uid):
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "id": uid,
        "username": f"{first}.{last}{uid}",
        "email": f"{first}.{last}{uid}@example.com",
        "name": f"{first.title()} {last.title()}",
        "city": rng.choice(CITIES),
        "roles": rng.sample(["reader", "writer", "admin", "billing", "support"], 2),
        "active": rng.random() < 0.9,
        "created_at": f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
                      f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z",
    }


def product(rng, pid):
    return {
        "id": pid,
        "sku": f"SKU-{pid:06d}",
        "title": " ".join(rng.choice(WORDS) for _ in range(3)),
        "price_cents": rng.randint(99, 99999),
        "currency": "EUR",
        "stock": rng.randint(0, 500),
        "tags": rng.sample(WORDS, 3),
    }


def order(rng, oid):
    return {
        "id": oid,
        "user_id": rng.randint(1, 300),
        "status": rng.choice(["pending", "paid", "shipped", "delivered", "cancelled"]),
        "lines": [{"sku": f"SKU-{rng.randint(1, 200):06d}", "qty": rng.randint(1, 5),
                   "price_cents": rng.randint(99, 9999)} for _ in range(rng.randint(1, 4))],
        "total_cents": rng.randint(500, 500000),
    }


def det_uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def padded(rng, obj, size):
    """Return obj grown with a 'history' array until its JSON is about `size` bytes."""
    obj = dict(obj)
    hist = []
    obj["history"] = hist
    while len(json.dumps(obj, indent=1)) < size:
        hist.append({"at": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     "event": rng.choice(WORDS), "note": " ".join(rng.sample(WORDS, 4))})
    return obj


def gen_test(root):
    rng = random.Random(1)
    write(root, "api/health.json", {"status": "ok", "version": "1.4.2", "uptime_s": 86400})
    write(root, "api/users.json", {"users": [user(rng, i) for i in range(1, 21)], "next": None})
    for i in range(1, 4):
        write(root, f"api/users/{i}.json", user(rng, i))
    write(root, "api/products.json", {"products": [product(rng, i) for i in range(1, 61)]})
    orders = []
    i = 1
    while len(json.dumps({"orders": orders}, indent=1)) < 80000:
        orders.append(order(rng, i))
        i += 1
    write(root, "api/orders.json", {"orders": orders})
    body = {"name": "Ada Lovelace", "email": "ada@example.com", "roles": ["writer"]}
    with open(os.path.join(root, "new-user.json"), "w") as f:
        json.dump(body, f)
        f.write("\n")
    # A ~6 KB upload body: NDJSON events, sent chunked or with Expect: 100-continue.
    with open(os.path.join(root, "events.ndjson"), "w") as f:
        for n in range(60):
            f.write(json.dumps({"seq": n, "type": rng.choice(WORDS), "user_id": rng.randint(1, 99),
                                "ts": 1700000000 + n}) + "\n")


ROUTES = [
    # (route template, id kind, how many ids, min size, max size)
    ("api/v1/users/{id}", "int", 300, 200, 2000),
    ("api/v1/users/{id}/orders", "int", 120, 1000, 12000),
    ("api/v1/users/{id}/preferences", "int", 80, 200, 800),
    ("api/v1/orders/{id}", "uuid", 250, 400, 4000),
    ("api/v1/orders/{id}/items", "uuid", 100, 800, 8000),
    ("api/v1/products/{id}", "int", 200, 300, 3000),
    ("api/v1/products/{id}/reviews", "int", 100, 1000, 20000),
    ("api/v1/carts/{id}", "uuid", 120, 200, 2500),
    ("api/v1/invoices/{id}", "int", 150, 600, 6000),
    ("api/v1/payments/{id}", "uuid", 150, 200, 1200),
    ("api/v1/accounts/{id}/settings", "int", 60, 200, 1500),
    ("api/v1/tenants/{id}/projects", "int", 40, 1000, 15000),
    ("api/v1/notifications/{id}", "int", 100, 200, 700),
    ("api/v1/sessions/{id}", "uuid", 80, 200, 600),
    ("api/v1/files/{id}/meta", "int", 100, 300, 1500),
    ("api/v2/items/{id}", "int", 200, 300, 5000),
    ("api/v1/users", None, 1, 20000, 20000),
    ("api/v1/products", None, 1, 18000, 18000),
    ("api/v1/categories", None, 1, 3000, 3000),
    ("api/v1/health", None, 1, 200, 200),
]


def gen_bench(root):
    rng = random.Random(2)
    paths = []
    for tmpl, kind, count, lo, hi in ROUTES:
        for _ in range(count):
            if kind is None:
                rel = tmpl
            elif kind == "int":
                rel = tmpl.replace("{id}", str(rng.randint(1, 99999)))
            else:
                rel = tmpl.replace("{id}", det_uuid(rng))
            base = user(rng, rng.randint(1, 99999)) if "user" in tmpl else order(rng, 0)
            base["resource"] = "/" + rel
            write(root, rel + ".json", padded(rng, base, rng.randint(lo, hi)))
            paths.append("/" + rel)
    with open(os.path.join(root, "paths.txt"), "w") as f:
        f.write("\n".join(paths) + "\n")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("test", "bench"):
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    (gen_test if sys.argv[1] == "test" else gen_bench)(sys.argv[2])


if __name__ == "__main__":
    main()
