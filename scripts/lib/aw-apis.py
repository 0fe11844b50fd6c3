#!/usr/bin/env python3
"""REST API servers and simulated users for the inventory captures (scripts/make-inventory-pcaps),
and the route truth they share with test/inventory.py. Stdlib only. Meant to run inside the
network namespace that script creates; servers bind 127.0.0.1, clients talk to 127.0.0.1 only.

    aw-apis.py serve API                 ThreadingHTTPServer for one API of the routes file
    aw-apis.py users                     the simulated users' calls to every API
    aw-apis.py scan API N                N random paths against one API, a few real calls mixed in
    aw-apis.py credentials               the raw credentials the users send, one a line

Route truth: scripts/lib/inventory-routes.json (one entry per route: method, template with
typed parameters {name:type}, weight). The servers answer exactly those routes (404 otherwise),
the users call each route at least min_calls times, and the test maps every call's path back
to its route with route_match().

Everything is drawn from fixed seeds: the same users, credentials, values and call schedule on
every run (only the interleaving of the client threads differs). All personal data is synthetic:
names from short lists, e-mail addresses under example.test, phone numbers in the +1-555-01xx
fiction range, card numbers with a valid Luhn digit on test BINs, IBANs with valid check digits,
VINs with a valid check digit.
"""
import base64
import gzip
import hashlib
import hmac
import http.client
import http.server
import json
import os
import random
import re
import sys
import threading
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROUTES_FILE = os.path.join(HERE, "inventory-routes.json")
SEED = 1700000000
JWT_SECRET = b"inventory-capture-signing-key"  # HS256 key shared by the servers and users
ADDR = "127.0.0.1"

FIRST = ["anna", "ben", "carla", "dmitri", "elena", "farid", "grace", "hiro", "ines", "jonas",
         "kemal", "lena", "marco", "nadia", "oskar", "priya", "quinn", "rosa", "samir", "tove",
         "umar", "vera", "wim", "xenia", "yusuf", "zoe"]
LAST = ["berg", "costa", "dahl", "ek", "fuchs", "gray", "holm", "ito", "jansen", "kovac",
        "lind", "moreau", "novak", "ortiz", "petrov", "quist", "rossi", "sato", "tran", "vidal"]
WORDS = ["garden", "kitchen", "outdoor", "toys", "books", "music", "sports", "office", "pets",
         "beauty", "health", "tools", "lighting", "bedding", "camping", "cycling", "running",
         "fishing", "baby", "shoes", "watches", "jewelry", "luggage", "crafts", "paint", "audio",
         "cameras", "phones", "laptops", "gaming", "grocery", "coffee", "wine", "tea", "snacks",
         "cleaning", "storage", "rugs", "curtains", "mirrors", "plants", "seeds", "north",
         "south", "harbor", "airport", "downtown", "valley", "river", "summit", "depot",
         "central", "east", "west", "lake", "bay", "hills", "metro", "coast", "alpine"]
ADJ = ["quick", "simple", "best", "ultimate", "modern", "classic", "cozy", "green", "smart",
       "tiny", "bold", "quiet", "bright", "honest", "lazy", "fresh", "hidden", "daily"]
NOUN = ["guide", "recipes", "tips", "review", "ideas", "habits", "checklist", "trends", "story",
        "setup", "basics", "tricks", "lessons", "mistakes", "upgrade", "weekend", "routine"]
PARAM_RE = re.compile(r"\{(\w+):(\w+)\}")
TYPE_RE = {
    "int": r"[0-9]+",
    "uuid": r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    "hex": r"[0-9a-f]+",
    "b64url": r"[A-Za-z0-9_-]+",
    "vin": r"[A-HJ-NPR-Z0-9]{17}",
    "sku": r"[A-Z]{2}-[0-9]{6}-[A-Z]{2}",
    "iban": r"[A-Z]{2}[0-9]{2}[0-9]{18}",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "username": r"[a-z][a-z0-9._]*",
    "words": r"[a-z][a-z-]*",
    "slug": r"[a-z0-9][a-z0-9-]*",
}


# ------------------------------------------------------------------------------------------------
# Route truth


def load(path=ROUTES_FILE):
    with open(path) as f:
        return json.load(f)


class Route:
    def __init__(self, api, spec, types):
        self.api = api
        self.method = spec["method"]
        self.spec = spec
        self.source = spec["route"]
        self.template = PARAM_RE.sub(lambda m: "{%s}" % m.group(1), self.source)
        self.params = [(m.group(1), m.group(2)) for m in PARAM_RE.finditer(self.source)]
        segs = self.source.strip("/").split("/")
        # Literal segments win over parameters where both match (/users/me, /users/{username}).
        self.rank = tuple(1 if PARAM_RE.fullmatch(s) else 0 for s in segs)
        rx = PARAM_RE.sub(lambda m: "(%s)" % TYPE_RE[types[m.group(2)]["gen"]],
                          re.escape(self.source).replace(r"\{", "{").replace(r"\}", "}"))
        self.regex = re.compile(rx + "$")

    def __repr__(self):
        return "%s %s %s" % (self.api["host"], self.method, self.template)


def routes(truth=None, scenario=False):
    """Every route of the file, in file order; routes marked "scenario" (served only by the
    scenario servers of aw-scenarios.py) only when scenario is true."""
    truth = truth or load()
    return [Route(api, r, truth["types"]) for api in truth["apis"] for r in api["routes"]
            if scenario or not r.get("scenario")]


def route_table(rs):
    """(host, method) -> routes, literal-first, for route_match()."""
    table = {}
    for r in rs:
        table.setdefault((r.api["host"], r.method), []).append(r)
    for v in table.values():
        v.sort(key=lambda r: r.rank)
    return table


def route_match(table, host, method, path):
    """The route a call to path belongs to, or None."""
    for r in table.get((host, method), ()):
        m = r.regex.match(path)
        if m:
            return r, m.groups()
    return None, None


def normalise(template):
    """A template up to parameter names: every {...} becomes {}."""
    return re.sub(r"\{[^}]*\}", "{}", template)


# ------------------------------------------------------------------------------------------------
# Synthetic values


def luhn_complete(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def card_number(rng):
    return luhn_complete(rng.choice(["411111", "555555", "378282", "601111"]) +
                         "".join(rng.choice("0123456789") for _ in range(9)))


def iban(rng):
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    num = int("".join(str(int(c, 36)) for c in bban + "DE00"))
    return "DE%02d%s" % (98 - num % 97, bban)


VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_VAL = dict(zip("ABCDEFGH", range(1, 9)), **dict(zip("JKLMN", range(1, 6))), P=7, R=9,
               **dict(zip("STUVWXYZ", range(2, 10))), **{str(i): i for i in range(10)})
VIN_W = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def vin(rng):
    v = [rng.choice(VIN_CHARS) for _ in range(17)]
    v[0:3] = rng.choice(["WBA", "1HG", "JTD", "VF1", "YV1", "5YJ"])
    v[9] = rng.choice("LMNPR")  # model year
    v[11:17] = ("%06d" % rng.randrange(1000000))  # serial number: digits, as on most VINs
    s = sum(VIN_VAL[c] * w for c, w in zip(v, VIN_W)) % 11
    v[8] = "X" if s == 10 else str(s)
    return "".join(v)


def phone(rng):
    return "+1-555-01%02d" % rng.randrange(100)


def b64url(rng, n):
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(rng.choice(alpha) for _ in range(n))


class Values:
    """Pools of parameter values per type, drawn with a skew: a few values are hot."""

    def __init__(self, truth, users):
        self.types = truth["types"]
        self.users = users
        self.pools = {}
        for name, t in sorted(self.types.items()):
            rng = random.Random("%d/%s" % (SEED, name))
            self.pools[name] = self.make_pool(rng, t)

    def make_pool(self, rng, t):
        gen, n = t["gen"], t.get("pool", 0)
        if gen == "int":
            span = t["hi"] - t["lo"] + 1
            return (list(range(t["lo"], t["hi"] + 1)) if span <= 64
                    else rng.sample(range(t["lo"], t["hi"] + 1), n))
        make = {
            "uuid": lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "hex": lambda: "%0*x" % (t["len"], rng.getrandbits(4 * t["len"])),
            "b64url": lambda: b64url(rng, t["len"]),
            "vin": lambda: vin(rng),
            "sku": lambda: "%s-%06d-%s" % (rng.choice(["TS", "HD", "KT", "GR", "BK"]),
                                           rng.randrange(100000, 999999),
                                           rng.choice(["BL", "RD", "GN", "XL", "SM"])),
            "iban": lambda: iban(rng),
            "date": lambda: "2024-%02d-%02d" % (rng.randrange(1, 13), rng.randrange(1, 29)),
            "slug": lambda: "-".join([rng.choice(ADJ)] + rng.sample(WORDS, rng.randrange(1, 3)) +
                                     [rng.choice(NOUN)]),
        }
        if gen == "username":
            return [u["username"] for u in self.users]
        if gen == "words":
            return rng.sample(WORDS, n)
        if gen == "date":
            n = 60
        pool = []
        while len(pool) < n:
            v = make[gen]()
            if v not in pool:
                pool.append(v)
        return pool

    def pick(self, rng, typ):
        pool = self.pools[typ]
        return pool[int(len(pool) * rng.random() ** 2)]


def make_users():
    """72 users: identity, password, and the one credential each sends."""
    rng = random.Random("%d/users" % SEED)
    kinds = (["jwt"] * 26 + ["cookie"] * 12 + ["basic"] * 10 + ["apikey"] * 10 +
             ["apikey_query"] * 6 + ["none"] * 8)
    rng.shuffle(kinds)
    users, seen = [], set()
    agents = ["ShopApp/4.2 (iOS 17.4)", "ShopApp/4.1 (Android 14)", "FleetConsole/2.0",
              "Mozilla/5.0 (X11; Linux x86_64) Firefox/124.0", "python-requests/2.31.0",
              "okhttp/4.12.0", "WalletSDK/1.9.3"]
    for i, kind in enumerate(kinds):
        while True:
            f, l = rng.choice(FIRST), rng.choice(LAST)
            name = rng.choice(["%s.%s", "%s_%s", "%s%s"]) % (f, l)
            if name not in seen:
                seen.add(name)
                break
        u = {
            "n": i + 1, "username": name, "name": "%s %s" % (f.title(), l.title()),
            "email": "%s@example.test" % name.replace("_", "."), "phone": phone(rng),
            "password": "pw-" + b64url(rng, 14), "auth": kind,
            "apikey": "ak_live_" + b64url(rng, 32), "session": b64url(rng, 32),
            "agent": rng.choice(agents), "gzip": rng.random() < 0.5,
            "apis": sorted({i % 3, rng.randrange(3)}), "accounts": rng.sample(range(1, 99999), 3),
        }
        u["jwt"] = jwt_sign({"iss": "https://auth.example.test", "sub": "user-%04d" % u["n"],
                             "aud": "apis.example.test", "iat": 1700000000,
                             "exp": 1700086400, "scope": "read write"})
        users.append(u)
    return users


def jwt_sign(payload):
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = enc(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = enc(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(JWT_SECRET, ("%s.%s" % (head, body)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (head, body, enc(sig))


def credentials(users):
    """The raw secrets on the wire, for the test to look for in the output."""
    out = []
    for u in users:
        k = u["auth"]
        if k == "jwt":
            out.append(u["jwt"])
        elif k == "basic":
            out += [u["password"], base64.b64encode(("%s:%s" % (u["username"], u["password"]))
                                                    .encode()).decode()]
        elif k in ("apikey", "apikey_query"):
            out.append(u["apikey"])
        elif k == "cookie":
            out.append(u["session"])
    return out


# ------------------------------------------------------------------------------------------------
# Servers


def person(u):
    return {"username": u["username"], "name": u["name"], "email": u["email"], "phone": u["phone"]}


def response_body(kind, args, rng, user, users):
    """A small JSON document of the given kind, with synthetic personal data."""
    other = users[rng.randrange(len(users))]
    if kind in ("list", "vehicles", "accounts", "beneficiaries", "transactions", "trips",
                "reviews"):
        items = []
        for i in range(3):
            it = {"id": rng.randrange(1, 99999), "name": rng.choice(WORDS).title()}
            if kind == "vehicles":
                it.update(vin=vin(rng), plate="%s-%d" % (rng.choice(LAST).upper()[:2],
                                                          rng.randrange(100, 999)))
            elif kind in ("accounts", "beneficiaries"):
                it.update(iban=iban(rng), holder=rng.choice(users)["name"])
            elif kind == "transactions":
                it.update(amount=rng.randrange(-50000, 50000) / 100, currency="EUR")
            elif kind == "reviews":
                it.update(author=rng.choice(users)["username"], stars=rng.randrange(1, 6))
            else:
                it.update(price=rng.randrange(199, 19999) / 100)
            items.append(it)
        return {"items": items, "total": rng.randrange(3, 500), "page": 1}
    if kind == "user":
        return dict(person(other), address={"city": rng.choice(WORDS).title(),
                                            "zip": "%05d" % rng.randrange(99999)})
    if kind == "vehicle":
        return {"vin": args[0] if args else vin(rng), "owner": person(other),
                "odometer_km": rng.randrange(100, 250000), "locked": rng.random() < 0.5}
    if kind == "location":
        return {"lat": 48 + rng.random(), "lon": 11 + rng.random(), "speed": rng.randrange(130)}
    if kind in ("card", "payment", "order", "invoice"):
        return {"id": rng.randrange(1, 99999), "card": {"number": card_number(rng),
                                                        "expiry": "%02d/29" % rng.randrange(1, 13)},
                "billing": person(other), "amount": rng.randrange(100, 99999) / 100}
    if kind == "account":
        return {"id": args[0] if args else 1, "iban": iban(rng), "holder": person(other),
                "balance": rng.randrange(0, 10000000) / 100}
    if kind in ("session", "token"):
        tok = user["session"] if kind == "session" else user["jwt"]
        return {"user": user["username"], "expires_in": 3600,
                ("session" if kind == "session" else "access_token"): tok}
    if kind == "driver":
        return dict(person(other), license="B-%07d" % rng.randrange(9999999))
    return {"ok": True, "kind": kind, "ref": str(uuid.UUID(int=rng.getrandbits(128), version=4))}


def authenticate(headers, query, users_by):
    """The user a request's credential names; None without one; False for a bad one."""
    auth = headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        tok = auth[7:]
        try:
            head, body, sig = tok.split(".")
            want = hmac.new(JWT_SECRET, ("%s.%s" % (head, body)).encode(), hashlib.sha256)
            if not hmac.compare_digest(base64.urlsafe_b64encode(want.digest()).rstrip(b"=")
                                       .decode(), sig):
                return False
            sub = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["sub"]
            return users_by["sub"].get(sub, False)
        except (ValueError, KeyError):
            return False
    if auth.startswith("Basic "):
        try:
            name, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
        u = users_by["username"].get(name)
        return u if u and u["password"] == pw else False
    if headers.get("X-API-Key"):
        return users_by["apikey"].get(headers["X-API-Key"], False)
    if "api_key" in query:
        return users_by["apikey"].get(query["api_key"][0], False)
    cookie = headers.get("Cookie", "")
    if cookie.startswith("sessionid="):
        return users_by["session"].get(cookie[10:], False)
    return None


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """A JSON API's request handler: HTTP/1.1 keep-alive, no logging, and reply() writing a
    JSON document (gzip for clients that accept it, from gzip_min bytes) with its head in one
    write. Subclasses set server_version, gzip_ok and gzip_min."""
    protocol_version = "HTTP/1.1"
    sys_version = ""
    gzip_ok = False
    gzip_min = 256

    def log_message(self, *args):
        pass

    def reply(self, code, doc=None, extra=()):
        body = b"" if doc is None else json.dumps(doc, separators=(",", ":")).encode()
        self.send_response_only(code)
        if doc is not None:
            self.send_header("Content-Type", "application/json")
        if (self.gzip_ok and len(body) > self.gzip_min and
                "gzip" in self.headers.get("Accept-Encoding", "")):
            body = gzip.compress(body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        for k, v in extra:
            self.send_header(k, v)
        if code != 204:
            self.send_header("Content-Length", str(len(body)))
        # Head and body in one write: one segment per small response, as most servers do.
        self._headers_buffer.append(b"\r\n" + (body if code != 204 else b""))
        self.flush_headers()


def serve(api_name):
    truth = load()
    api = next(a for a in truth["apis"] if a["name"] == api_name)
    table = route_table([r for r in routes(truth) if r.api is api])
    users = make_users()
    users_by = {"sub": {"user-%04d" % u["n"]: u for u in users},
                "username": {u["username"]: u for u in users},
                "apikey": {u["apikey"]: u for u in users},
                "session": {u["session"]: u for u in users}}

    class Handler(JsonHandler):
        server_version = api_name + "-api/1.0"
        gzip_ok = api["gzip"]
        gzip_min = 256

        def handle_one(self):
            url = urllib.parse.urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            sent = self.rfile.read(n) if n else b""
            path = urllib.parse.unquote(url.path)
            route, args = route_match(table, api["host"], self.command, path)
            if route is None:
                return self.reply(404, {"error": "not_found"})
            spec = route.spec
            user = authenticate(self.headers, urllib.parse.parse_qs(url.query), users_by)
            rng = random.Random("%s %s %s" % (self.command, self.path, user and user["n"]))
            if spec["auth"] and not user:
                return self.reply(401, {"error": "unauthorized"},
                                  [("WWW-Authenticate", 'Bearer realm="%s"' % api["host"])])
            if spec.get("send") == "login":
                try:
                    doc = json.loads(sent)
                    user = users_by["username"][doc["username"]]
                    if user["password"] != doc["password"]:
                        raise KeyError
                except (ValueError, KeyError):
                    return self.reply(401, {"error": "invalid_credentials"})
            elif spec.get("send"):
                try:
                    doc = json.loads(sent)
                except ValueError:
                    return self.reply(400, {"error": "malformed_json"})
                if isinstance(doc, dict) and doc.get("amount", 1) <= 0:
                    return self.reply(400, {"error": "invalid_amount"})
            for (name, typ), val in zip(route.params, args):
                if truth["types"][typ]["gen"] == "int" and int(val) >= 95000:
                    return self.reply(404, {"error": "%s_not_found" % name})
            if user and rng.random() < 0.03:
                return self.reply(403, {"error": "forbidden"})
            code = spec.get("status", 200)
            extra = []
            if spec.get("body") == "session":
                extra.append(("Set-Cookie", "sessionid=%s; Path=/; HttpOnly" % user["session"]))
            doc = response_body(spec.get("body", ""), args, rng, user or users[0], users)
            return self.reply(code, None if code == 204 else doc, extra)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_one

    srv = http.server.ThreadingHTTPServer((ADDR, api["port"]), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


# ------------------------------------------------------------------------------------------------
# Users


def request_body(kind, rng, user, values):
    if kind == "login":
        return {"username": user["username"], "password": user["password"]}
    if kind == "review":
        return {"stars": rng.randrange(1, 6), "text": "%s %s" % (rng.choice(ADJ), rng.choice(NOUN)),
                "email": user["email"]}
    if kind == "cart":
        return {"items": [{"sku": values.pick(rng, "sku"), "qty": rng.randrange(1, 4)}]}
    if kind == "item":
        return {"qty": rng.randrange(1, 5)}
    if kind == "order":
        return {"cart": values.pick(rng, "uuid"), "card": {"number": card_number(rng),
                                                          "cvc": "%03d" % rng.randrange(1000)},
                "ship_to": person(user)}
    if kind == "payment":
        return {"from": iban(rng), "to": iban(rng), "reference": "invoice %d" % rng.randrange(9999),
                "amount": rng.choice([-5, 12.5, 99.99, 250, 1200, 42.42, 8.1, 77, 310.2, 19])}
    if kind == "geofence":
        return {"center": {"lat": 48.1, "lon": 11.5}, "radius_m": rng.randrange(100, 5000)}
    return {}


def schedule(truth, api, rng):
    """The calls to one API: every route min_calls times, the rest shared by weight."""
    rs = [r for r in routes(truth) if r.api["name"] == api["name"]]
    base = truth["min_calls"]
    spare = api["calls"] - base * len(rs)
    wsum = sum(r.spec["weight"] for r in rs)
    calls = []
    for r in rs:
        calls += [r] * (base + spare * r.spec["weight"] // wsum)
    rng.shuffle(calls)
    return calls


def fill(route, rng, values):
    out = route.source
    for name, typ in route.params:
        out = out.replace("{%s:%s}" % (name, typ), str(values.pick(rng, typ)), 1)
    return out


def credential_headers(user, agent):
    """A client's usual headers: its agent, JSON, gzip when it takes it, and its credential
    (bearer JWT, Basic, API key header or session cookie; none for query keys and anonymous
    users)."""
    h = {"User-Agent": agent, "Accept": "application/json"}
    if user["gzip"]:
        h["Accept-Encoding"] = "gzip"
    k = user["auth"]
    if k == "jwt":
        h["Authorization"] = "Bearer " + user["jwt"]
    elif k == "basic":
        h["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (user["username"], user["password"])).encode()).decode()
    elif k == "apikey":
        h["X-API-Key"] = user["apikey"]
    elif k == "cookie":
        h["Cookie"] = "sessionid=" + user["session"]
    return h


def headers_for(user, rng):
    h = credential_headers(user, user["agent"])
    if rng.random() < 0.2:
        h["X-Request-Id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return h


def call(conn, api, user, route, rng, values):
    """One request of user to route on a keep-alive connection; reads the whole answer."""
    path = fill(route, rng, values)
    if user["auth"] == "apikey_query":
        path += "?api_key=" + urllib.parse.quote(user["apikey"], safe="")
    elif route.method == "GET" and route.template.endswith("s") and rng.random() < 0.3:
        path += "?page=%d&limit=20" % rng.randrange(1, 6)
    h = headers_for(user, rng)
    h["Host"] = api["host"]
    body = None
    if route.spec.get("send"):
        body = json.dumps(request_body(route.spec["send"], rng, user, values)).encode()
        h["Content-Type"] = "application/json"
    conn.request(route.method, path, body=body, headers=h)
    conn.getresponse().read()


def run_session(api, user, calls, values, seed):
    """One keep-alive connection of one user: its calls in order."""
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(ADDR, api["port"], timeout=10)
    try:
        for route in calls:
            call(conn, api, user, route, rng, values)
    finally:
        conn.close()


def sessions(truth, users):
    """Every API's calls cut into keep-alive sessions of 6 to 29 calls, each of one user of
    that API: (api, user, routes, seed), in the order they are started."""
    rng = random.Random("%d/schedule" % SEED)
    out = []
    for idx, api in enumerate(truth["apis"]):
        calls = schedule(truth, api, rng)
        mine = [u for u in users if idx in u["apis"]]
        while calls:
            n = rng.randrange(6, 30)
            out.append((api, rng.choice(mine), calls[:n], rng.getrandbits(32)))
            calls = calls[n:]
    rng.shuffle(out)
    return out


def run_users():
    truth = load()
    users = make_users()
    values = Values(truth, users)
    jobs = sessions(truth, users)
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                job = jobs.pop(0)
            run_session(*job[:3], values, job[3])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def scan_paths(n, rng):
    """Random paths as a content-discovery scanner sends them."""
    alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
    stock = WORDS + ADJ + NOUN + ["admin", "backup", "config", ".git", ".env", "wp-admin",
                                  "phpinfo.php", "server-status", "debug", "console", "old"]
    for _ in range(n):
        segs = []
        for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
            r = rng.random()
            if r < 0.45:
                segs.append(rng.choice(stock))
            elif r < 0.9:
                segs.append("".join(rng.choice(alpha) for _ in range(rng.randrange(2, 13))))
            else:
                segs.append(rng.choice(stock) + rng.choice([".bak", ".old", ".zip", "~", ".json"]))
        yield "/" + "/".join(segs)


def run_scan(api_name, n):
    truth = load()
    api = next(a for a in truth["apis"] if a["name"] == api_name)
    users = make_users()
    values = Values(truth, users)
    rng = random.Random("%d/scan" % SEED)
    real = schedule(truth, api, random.Random("%d/scan-real" % SEED))
    user = next(u for u in users if u["auth"] == "jwt")
    # Real users first, then the scanner with one real call in every 40 on a connection of its
    # own.
    run_session(api, user, real[:400], values, 1)
    legit = http.client.HTTPConnection(ADDR, api["port"], timeout=10)
    conn = http.client.HTTPConnection(ADDR, api["port"], timeout=10)
    k = 400
    for i, path in enumerate(scan_paths(n, rng)):
        if i % 40 == 39 and k < len(real):
            call(legit, api, user, real[k], rng, values)
            k += 1
        conn.request("GET", path, headers={"Host": api["host"], "User-Agent": "dirscan/0.9"})
        conn.getresponse().read()
        if i % 500 == 499:
            conn.close()
            conn = http.client.HTTPConnection(ADDR, api["port"], timeout=10)
    conn.close()
    legit.close()


def main(argv):
    if len(argv) >= 2 and argv[0] == "serve":
        serve(argv[1])
    elif argv == ["users"]:
        run_users()
    elif len(argv) == 3 and argv[0] == "scan":
        run_scan(argv[1], int(argv[2]))
    elif argv == ["credentials"]:
        print("\n".join(credentials(make_users())))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
