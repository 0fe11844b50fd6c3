#!/usr/bin/env python3
"""Servers, simulated users and attackers of the detector scenario captures
(scripts/make-scenario-pcaps). Stdlib only; meant to run inside the private network namespace
that script creates: servers bind 127.0.0.1, clients connect to 127.0.0.1 from source
addresses of 127.0.0.0/8 (all local on the namespace's loopback).

    aw-scenarios.py list                       the scenario names, one a line
    aw-scenarios.py serve API CONTROL_DIR      the scenario server of one API (shop, fleet, wallet)
    aw-scenarios.py run NAME LOG META CONTROL_DIR
                                               send the calls of one scenario in packet-time order;
                                               LOG gets (wall time, packet time) pairs, META the
                                               scenario's facts as JSON (for the manifest)
    aw-scenarios.py plan NAME                  those facts without sending anything
    aw-scenarios.py retime IN OUT LOG          rewrite the record timestamps of a pcap from LOG
    aw-scenarios.py manifest FILE [META...]   put the scenarios' facts into the manifest FILE
                                               (without META: refresh the planned fields)
    aw-scenarios.py spec                       the declared API (OpenAPI 3.0 YAML) on stdout

Routes: scripts/lib/inventory-routes.json, the same route truth as the inventory captures, with
the routes marked "scenario" added (sign-up, profile update, admin paths, the app-only
digital-key endpoint, a deprecated and two shadow routes). Helpers (JWT signing, synthetic
values, route matching) come from aw-apis.py.

Packet time. Every call has a planned time on a virtual clock that starts at T0. The client
sends the calls one after the other in that order as fast as the servers answer, and logs the
wall-clock time just before each step next to its planned time. `retime` then maps each
packet's capture time r, taken between steps k and k+1 (wall times r_k <= r < r_k+1), to
t_k + min(r - r_k, 0.8 * (t_k+1 - t_k)): the first packet of a call lands at its planned time,
the real gaps inside a call (latency) are kept where the plan leaves room, and the order of the
packets never changes. Only the 16-byte record headers' timestamps change; the captured bytes
are copied as tcpdump wrote them.

Everything comes from fixed seeds: users, credentials, objects, schedules, attacks and the
answers' contents are the same on every run; ports, sequence numbers and sub-millisecond
latencies differ.
"""
import base64
import bisect
import hashlib
import hmac
import http.client
import http.server
import importlib.util
import json
import math
import os
import random
import struct
import sys
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("aw_apis", os.path.join(HERE, "aw-apis.py"))
AW = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(AW)

SEED = 1709542800
T0 = 1709542800.0  # 2024-03-04T09:00:00Z: packet time of every capture's start
ADDR = "127.0.0.1"
N_USERS = 240  # active users
N_DORMANT = 12  # accounts that exist but make no call in normal traffic
N_ADMINS = 3
N_SERVICES = 4  # fleet integrations: steady API-key callers
N_PRODUCTS = 3000
LIST_DEFAULT = 3
LIST_CAP = 3000
APP_VERSION = "3.4.1"
APP_AGENTS = ["FleetApp/3.4.1 (iOS 17.4; iPhone15,2)", "FleetApp/3.4.1 (Android 14; Pixel 8)"]
AGENTS = {
    "shop": ["ShopApp/4.2 (iOS 17.4)", "ShopApp/4.2 (Android 14)",
             "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0",
             "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/123.0"],
    "fleet": ["FleetConsole/2.0 (Windows NT 10.0)", "FleetConsole/2.0 (Macintosh)"],
    "wallet": ["WalletApp/1.9.3 (iOS 17.4)", "WalletApp/1.9.3 (Android 14)",
               "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) Safari/605.1.15"],
}
API_NAMES = ["shop", "fleet", "wallet"]


# ------------------------------------------------------------------------------------------------
# The world: users and the objects they own, the same in servers and clients


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwt_none(payload):
    """An unsigned JWT: alg none, empty signature."""
    head = b64u(json.dumps({"alg": "none", "typ": "JWT"}, separators=(",", ":")).encode())
    return "%s.%s." % (head, b64u(json.dumps(payload, separators=(",", ":")).encode()))


def jwt_claims(n, role):
    return {"iss": "https://auth.example.test", "sub": "user-%04d" % n,
            "aud": "apis.example.test", "iat": 1709500000, "exp": 1709600000,
            "scope": "read write", "role": role}


def ssn(rng):
    return "%03d-%02d-%04d" % (rng.randrange(101, 665), rng.randrange(1, 99),
                               rng.randrange(1, 9999))


def addr_of(block, i):
    """A loopback address of its own for client i of a block (127.block.x.y)."""
    return "127.%d.%d.%d" % (block, i // 250, i % 250 + 1)


class World:
    def __init__(self):
        rng = random.Random("%d/world" % SEED)
        self.users = []
        seen = set()
        total = N_USERS + N_DORMANT + N_ADMINS + N_SERVICES
        kinds = (["jwt"] * 108 + ["cookie"] * 36 + ["basic"] * 24 + ["apikey"] * 48 +
                 ["apikey_query"] * 12 + ["none"] * 12)
        assert len(kinds) == N_USERS
        rng.shuffle(kinds)
        kinds += ["jwt"] * (N_DORMANT + N_ADMINS) + ["apikey"] * N_SERVICES
        next_account = 10001
        for i in range(total):
            while True:
                f, l = rng.choice(AW.FIRST), rng.choice(AW.LAST)
                name = rng.choice(["%s.%s", "%s_%s", "%s%s"]) % (f, l)
                if name in seen:
                    name += str(rng.randrange(10, 99))
                if name not in seen:
                    seen.add(name)
                    break
            n = i + 1
            cls = ("user" if i < N_USERS else "dormant" if i < N_USERS + N_DORMANT
                   else "admin" if i < N_USERS + N_DORMANT + N_ADMINS else "service")
            kind = kinds[i]
            u = {"n": n, "username": name, "name": "%s %s" % (f.title(), l.title()),
                 "email": "%s@example.test" % name.replace("_", "."), "phone": AW.phone(rng),
                 "password": "pw-" + AW.b64url(rng, 14), "auth": kind, "cls": cls,
                 "role": "admin" if cls == "admin" else "user",
                 "apikey": "ak_live_" + AW.b64url(rng, 32), "session": AW.b64url(rng, 32),
                 "gzip": rng.random() < 0.5, "ssn": ssn(rng),
                 "addr": addr_of(1, i), "addr2": addr_of(2, i) if rng.random() < 0.3 else None,
                 # activity: a few users call far more than most, steadily
                 "activity": rng.lognormvariate(0, 0.6)}
            if kind in ("apikey", "apikey_query", "basic"):
                apis = ["fleet"] if rng.random() < 0.6 else ["fleet", "wallet"]
            elif kind == "none":
                apis = ["shop"]
            else:
                apis = sorted({rng.choice(API_NAMES), rng.choice(["shop", "wallet"])})
            if cls == "admin":
                apis = ["shop"]
            if cls == "service":
                apis = ["fleet"]
            u["apis"] = apis
            u["app"] = "fleet" in apis and kind in ("jwt", "cookie") or (
                "fleet" in apis and kind == "apikey" and cls == "user" and rng.random() < 0.3)
            u["agent"] = {a: (rng.choice(APP_AGENTS) if a == "fleet" and u["app"]
                              else "fleet-sync/1.4 (+ops)" if cls == "service"
                              else rng.choice(AGENTS[a])) for a in API_NAMES}
            u["device"] = AW.b64url(rng, 16)
            k = rng.randrange(1, 4)
            u["accounts"] = list(range(next_account, next_account + k))
            next_account += k
            u["vehicles"] = [AW.vin(rng) for _ in range(rng.randrange(1, 4) if cls != "service"
                                                          else 12)]
            u["orders"] = ["%024x" % rng.getrandbits(96) for _ in range(rng.randrange(2, 7))]
            u["carts"] = [str(uuid.UUID(int=rng.getrandbits(128), version=4))
                          for _ in range(rng.randrange(1, 3))]
            u["cards"] = [AW.b64url(rng, 27) for _ in range(rng.randrange(1, 3))]
            u["payments"] = ["%020x" % rng.getrandbits(80) for _ in range(rng.randrange(2, 6))]
            u["jwt"] = AW.jwt_sign(jwt_claims(n, u["role"]))
            self.users.append(u)
        self.last_account = next_account - 1
        self.by = {"sub": {}, "username": {}, "apikey": {}, "session": {}}
        self.owner = {}
        for u in self.users:
            self.by["sub"]["user-%04d" % u["n"]] = u
            self.by["username"][u["username"]] = u
            self.by["apikey"][u["apikey"]] = u
            self.by["session"][u["session"]] = u
            for key in ("accounts", "vehicles", "orders", "carts", "cards", "payments"):
                for v in u[key]:
                    self.owner[(key, str(v))] = u
        self.truth = AW.load()
        self.values = AW.Values(self.truth, self.users)
        self.routes = AW.routes(self.truth, scenario=True)

    def user(self, cls, i=0, **want):
        """The i-th user of a class matching want (key: value or callable)."""
        out = [u for u in self.users if u["cls"] == cls and all(
            (v(u[k]) if callable(v) else u[k] == v) for k, v in want.items())]
        return out[i]


# Route parameters whose values a user owns, by parameter name: the world key.
OWNED = {"accountId": "accounts", "vin": "vehicles", "orderId": "orders", "cartId": "carts",
         "cardToken": "cards", "paymentId": "payments"}


# ------------------------------------------------------------------------------------------------
# Servers


def item(kind, world, i):
    """Record i of a list: the same record every time it is listed."""
    rng = random.Random("%s/%d" % (kind, i))
    it = {"id": i, "name": rng.choice(AW.WORDS).title()}
    if kind == "vehicles":
        it.update(vin=AW.vin(rng))
    elif kind in ("accounts", "beneficiaries"):
        it.update(iban=AW.iban(rng))
    elif kind == "transactions":
        it.update(amount=rng.randrange(-50000, 50000) / 100, currency="EUR")
    elif kind == "reviews":
        it.update(stars=rng.randrange(1, 6))
    elif kind == "trips":
        it.update(km=rng.randrange(1, 900))
    elif kind == "users":
        u = world.users[i % len(world.users)]
        it.update(username=u["username"], email=u["email"])
    else:
        it.update(price=rng.randrange(199, 19999) / 100)
    return it


def body_for(kind, args, rng, user, world, query):
    """The JSON answer of one call: small, and of one shape (one set of sensitive types) per
    route."""
    if kind in ("list", "vehicles", "accounts", "beneficiaries", "transactions", "trips",
                "reviews", "users"):
        try:
            n = int(query.get("limit", [LIST_DEFAULT])[0])
        except ValueError:
            n = LIST_DEFAULT
        n = max(0, min(n, LIST_CAP))
        page = int(query.get("page", ["1"])[0]) if query.get("page", ["1"])[0].isdigit() else 1
        first = (page - 1) * n + 1
        return {"items": [item(kind, world, first + i) for i in range(n)],
                "page": page, "limit": n}
    # Objects read the same on every call: their values follow from their ids.
    if args:
        rng = random.Random("%s/%s" % (kind, "/".join(args)))
    if kind == "user":
        return {"username": user["username"], "name": user["name"], "email": user["email"]}
    if kind == "product":
        return {"id": int(args[0]) if args else rng.randrange(1, N_PRODUCTS),
                "name": rng.choice(AW.WORDS).title(), "price": rng.randrange(199, 19999) / 100}
    if kind == "vehicle":
        return {"vin": args[0], "odometer_km": rng.randrange(100, 250000),
                "locked": rng.random() < 0.5}
    if kind == "location":
        return {"lat": round(48 + rng.random(), 5), "lon": round(11 + rng.random(), 5)}
    if kind == "key":
        return {"vin": args[0], "key_id": AW.b64url(rng, 12), "valid_s": 300}
    if kind in ("card", "payment", "order", "invoice"):
        return {"id": args[0] if args else rng.randrange(1, 99999),
                "card": {"number": AW.card_number(rng)},
                "amount": rng.randrange(100, 99999) / 100}
    if kind == "account":
        return {"id": int(args[0]), "iban": AW.iban(rng), "balance": rng.randrange(0, 10**7) / 100}
    if kind == "session":
        return {"user": user["username"], "access_token": user["jwt"], "expires_in": 3600}
    if kind == "token":
        return {"access_token": user["jwt"], "expires_in": 3600}
    if kind == "driver":
        return {"id": int(args[0]), "name": rng.choice(world.users)["name"]}
    return {"ok": True, "ref": rng.randrange(1, 10**6)}


def authenticate(world, headers, query):
    """(user, how): None without a credential, False for a bad one. Bug kept on purpose: a JWT
    whose header says alg none is taken without a signature."""
    auth = headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        try:
            head, body, sig = auth[7:].split(".")
            alg = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["alg"]
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            if alg != "none":
                want = hmac.new(AW.JWT_SECRET, ("%s.%s" % (head, body)).encode(),
                                   hashlib.sha256).digest()
                if not hmac.compare_digest(b64u(want), sig):
                    return False
            return world.by["sub"].get(claims["sub"], False)
        except (ValueError, KeyError, TypeError):
            return False
    if auth.startswith("Basic "):
        try:
            name, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
        except ValueError:
            return False
        u = world.by["username"].get(name)
        return u if u and u["password"] == pw else False
    if headers.get("X-API-Key"):
        return world.by["apikey"].get(headers["X-API-Key"], False)
    if "api_key" in query:
        return world.by["apikey"].get(query["api_key"][0], False)
    cookie = headers.get("Cookie", "")
    if cookie.startswith("sessionid="):
        return world.by["session"].get(cookie[10:], False)
    return None


def serve(api_name, control):
    world = World()
    api = next(a for a in world.truth["apis"] if a["name"] == api_name)
    table = AW.route_table([r for r in world.routes if r.api is api])
    fault = os.path.join(control, "fault-" + api_name)

    class Handler(AW.JsonHandler):
        server_version = api_name + "-api/1.0"
        gzip_ok = api["gzip"]
        gzip_min = 512

        def handle_one(self):
            url = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(url.query)
            n = int(self.headers.get("Content-Length") or 0)
            sent = self.rfile.read(n) if n else b""
            route, args = AW.route_match(table, api["host"], self.command,
                                         urllib.parse.unquote(url.path))
            if route is None:
                return self.reply(404, {"error": "not_found"})
            spec = route.spec
            user = authenticate(world, self.headers, query)
            rng = random.Random("%s %s %s" % (self.command, self.path, user and user["n"]))
            # Backend outage switched on by the client through the control directory (never
            # through the network): every route of the API fails.
            if os.path.exists(fault):
                return self.reply(503, {"error": "backend_unavailable"})
            # Bug kept on purpose: trips answer without a credential.
            needs = spec["auth"] and not route.source.endswith("/trips")
            if (needs and not user) or user is False:
                return self.reply(401, {"error": "unauthorized"},
                                  [("WWW-Authenticate", 'Bearer realm="%s"' % api["host"])])
            send = spec.get("send")
            doc = None
            if send:
                try:
                    doc = json.loads(sent)
                except ValueError:
                    return self.reply(400, {"error": "malformed_json"})
            if send == "login":
                u = world.by["username"].get(doc.get("username")) if isinstance(doc, dict) else None
                if not u or u["password"] != doc.get("password"):
                    return self.reply(401, {"error": "invalid_credentials"})
                user = u
            if send == "signup":
                new = dict(world.users[0], username=str(doc.get("username", "new")),
                           name=str(doc.get("username", "new")).title(),
                           email=str(doc.get("email", "")))
                return self.reply(201, body_for("user", args, rng, new, world, query))
            # Object ownership. The account detail and vehicle location routes keep the classic
            # bug: any authenticated user reads any of them (200); other routes answer 403.
            for (name, typ), val in zip(route.params, args):
                key = OWNED.get(name)
                if key is None:
                    if name == "productId" and not 1 <= int(val) <= N_PRODUCTS:
                        return self.reply(404, {"error": "product_not_found"})
                    continue
                owner = world.owner.get((key, val))
                if owner is None:
                    return self.reply(404, {"error": "%s_not_found" % name})
                if user and owner is not user and user["role"] != "admin":
                    if route.source in ("/api/accounts/{accountId:int}",
                                        "/api/v0/orders/{orderId:oid}",
                                        "/v2/vehicles/{vin:vin}/location"):
                        continue
                    return self.reply(403, {"error": "forbidden"})
            if spec.get("role") == "admin" and user["role"] != "admin":
                # Only the admin listing checks the role; product writes do not (bug).
                if route.source == "/admin/users":
                    return self.reply(403, {"error": "forbidden"})
            if route.source.startswith("/api/v2/statements/"):
                if not 1 <= int(args[1]) <= 12:
                    return self.reply(500, {"error": "internal_error"})
            code = spec.get("status", 200)
            kind = spec.get("body", "")
            if route.source == "/admin/users" or route.source.endswith("/export/customers"):
                kind = "users"
            out = None if code == 204 else body_for(kind, args, rng, user or world.users[0],
                                                     world, query)
            if kind == "user" and send == "profile" and isinstance(doc, dict):
                out.update({k: v for k, v in doc.items() if isinstance(v, (str, bool, int))})
            if kind == "user" and "expand" in query and out is not None:
                # Bug kept on purpose: ?expand=billing leaks the tax id and the card.
                out.update(ssn=user["ssn"], card={"number": AW.card_number(rng)})
            extra = []
            if kind == "session":
                extra.append(("Set-Cookie", "sessionid=%s; Path=/; HttpOnly" % user["session"]))
            return self.reply(code, out, extra)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_one

    srv = http.server.ThreadingHTTPServer((ADDR, api["port"]), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


# ------------------------------------------------------------------------------------------------
# Calls and the plan


class Plan:
    """Steps in packet time: calls on keep-alive connections, connection closes, and switches
    of the server-side fault. Each step: (t, seq, kind, data)."""

    def __init__(self):
        self.steps = []
        self.seq = 0

    def add(self, t, kind, data):
        self.seq += 1
        self.steps.append((t, self.seq, kind, data))

    def call(self, t, conn, api, method, path, headers, body=None, attack=False):
        self.add(t, "call", {"conn": conn, "api": api, "method": method, "path": path,
                             "headers": headers, "body": body, "attack": attack})


def auth_headers(u, api, rng, app=False):
    h = AW.credential_headers(u, u["agent"][api])
    if api == "fleet" and u["app"]:
        h["X-App-Version"] = APP_VERSION
        # The app's device attestation token, renewed by the app rarely: one per device.
        h["X-App-Attestation"] = b64u(hashlib.sha256(u["device"].encode()).digest())
    return h


def product_id(rng):
    """Products viewed with a skew: a few hundred are hot."""
    return 1 + int(N_PRODUCTS * rng.random() ** 3)


def fill(world, route, u, rng):
    out = route.source
    for name, typ in route.params:
        key = OWNED.get(name)
        if key:
            v = rng.choice(u[key])
        elif name == "productId":
            v = product_id(rng)
        elif typ == "username":
            own = route.source.endswith("wishlist") or rng.random() < 0.7
            v = u["username"] if own else rng.choice(world.users[:N_USERS])["username"]
        else:
            v = world.values.pick(rng, typ)
        out = out.replace("{%s:%s}" % (name, typ), str(v), 1)
    return out


def request_body(kind, rng, u, world):
    if kind == "login":
        return {"username": u["username"], "password": u["password"]}
    if kind == "profile":
        return {"display_name": u["name"], "phone": u["phone"]}
    if kind == "signup":
        return {"username": "new%05d" % rng.randrange(100000), "password": "pw-" +
                AW.b64url(rng, 10), "email": "new%05d@example.test" % rng.randrange(100000)}
    if kind == "product":
        return {"price": rng.randrange(199, 19999) / 100, "stock": rng.randrange(0, 500)}
    if kind == "payment":
        return {"to": AW.iban(rng), "amount": rng.choice([12.5, 99.99, 250, 42.42, 8.1, 77])}
    return AW.request_body(kind, rng, u, world.values)


def route_sets(world):
    """Per (api, user class/kind): the routes normal traffic calls, with weights. Rare routes
    get a floor so every normal route is seen often while baselines learn."""
    out = {}
    for r in world.routes:
        s = r.spec
        if s.get("deprecated") or s.get("shadow") or s.get("send") in ("login", "signup"):
            continue
        out.setdefault(r.api["name"], []).append((r, max(s["weight"], 8)))
    return out


def user_routes(sets, u, api):
    rs = []
    for r, w in sets[api]:
        s = r.spec
        if s.get("role") == "admin" and u["role"] != "admin":
            continue
        if s.get("app") and not u["app"]:
            continue
        if u["auth"] == "none" and s["auth"]:
            continue
        if u["cls"] == "admin" and not s.get("role") and s["auth"]:
            w = w // 4 + 1
        if s.get("role") == "admin":
            w *= 6  # admins mostly administer
        rs.append((r, w))
    return rs


class Normal:
    """Normal traffic: sessions of simulated users started at a per-minute rate that drifts."""

    def __init__(self, world, plan, seed):
        self.world = world
        self.plan = plan
        self.rng = random.Random("%d/%s" % (SEED, seed))
        self.sets = route_sets(world)
        self.routes = {}
        self.active = [u for u in world.users if u["cls"] in ("user", "admin")]
        self.weights = [u["activity"] * (0.3 if u["cls"] == "admin" else 1)
                        for u in self.active]
        self.cum = []
        c = 0
        for w in self.weights:
            c += w
            self.cum.append(c)
        self.conn_n = 0
        self.login = {a: next(r for r in world.routes if r.api["name"] == a and
                              r.spec.get("send") == "login") for a in ("shop", "wallet")}
        self.signup = next(r for r in world.routes if r.spec.get("send") == "signup")

    def pick_user(self):
        return self.active[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]

    def conn(self, u, addr, api):
        self.conn_n += 1
        return ("n%d" % self.conn_n, addr, api)

    def call(self, t, conn, u, api, route, rng):
        path = fill(self.world, route, u, rng)
        q = []
        if u["auth"] == "apikey_query":
            q.append("api_key=" + u["apikey"])
        if route.method == "GET" and route.spec.get("body") in (
                "list", "vehicles", "accounts", "beneficiaries", "transactions", "trips",
                "reviews") and rng.random() < 0.5:
            q.append("page=%d&limit=%d" % (rng.randrange(1, 4), rng.choice([10, 20, 20, 25])))
        if q:
            path += "?" + "&".join(q)
        h = auth_headers(u, api, rng)
        h["Host"] = route.api["host"]
        body = None
        if route.spec.get("send"):
            body = json.dumps(request_body(route.spec["send"], rng, u, self.world),
                              separators=(",", ":"))
            h["Content-Type"] = "application/json"
        self.plan.call(t, conn, api, route.method, path, h, body)

    def session(self, t, u, t_end):
        rng = random.Random(self.rng.getrandbits(64))
        api = rng.choice(u["apis"])
        key = (u["n"], api)
        if key not in self.routes:
            rs = user_routes(self.sets, u, api)
            self.routes[key] = ([r for r, _ in rs], [w for _, w in rs])
        rs, ws = self.routes[key]
        addr = u["addr2"] if u["addr2"] and rng.random() < 0.3 else u["addr"]
        conn = self.conn(u, addr, api)
        n = min(50, 1 + int(rng.expovariate(1 / 11.0)))
        if api in self.login and u["auth"] in ("jwt", "cookie") and rng.random() < 0.25:
            lr = self.login[api]
            if rng.random() < 0.05:  # a typo first
                bad = dict(u, password=u["password"][:-1] + "x")
                self.call_body(t, conn, u, api, lr, rng, bad)
                t += rng.uniform(2, 6)
            self.call(t, conn, u, api, lr, rng)
            t += rng.lognormvariate(math.log(2), 0.5)
        for _ in range(n):
            if t >= t_end:
                break
            self.call(t, conn, u, api, rng.choices(rs, ws)[0], rng)
            t += min(90.0, max(0.3, rng.lognormvariate(math.log(4), 0.9)))
        self.plan.add(min(t, t_end) - 0.001, "close", conn)

    def call_body(self, t, conn, u, api, route, rng, who):
        h = auth_headers(u, api, rng)
        h["Host"] = route.api["host"]
        h["Content-Type"] = "application/json"
        self.plan.call(t, conn, api, route.method, route.source, h,
                       json.dumps(request_body("login", rng, who, self.world),
                                  separators=(",", ":")))

    def services(self, t_start, t_end):
        """Fleet integrations: every 20 s (jittered) a vehicle list or one of their vehicles."""
        rs = {r.template: r for r in self.world.routes if r.api["name"] == "fleet"}
        for s in [u for u in self.world.users if u["cls"] == "service"]:
            rng = random.Random("%d/service/%d" % (SEED, s["n"]))
            t = t_start + rng.uniform(0, 20)
            conn, k = None, 0
            while t < t_end:
                if conn is None or k >= 30:
                    if conn:
                        self.plan.add(t - 0.5, "close", conn)
                    conn, k = self.conn(s, s["addr"], "fleet"), 0
                r = rs[rng.choice(["/v2/vehicles", "/v2/vehicles/{vin}/location",
                                   "/v2/vehicles/{vin}/location", "/v2/vehicles/{vin}"])]
                self.call(t, conn, s, "fleet", r, rng)
                k += 1
                t += rng.uniform(12, 28)
            if conn:
                self.plan.add(t_end - 0.001, "close", conn)

    def signups(self, t_start, t_end, per_min):
        """New customers: anonymous sign-ups, each from an address of its own."""
        rng = random.Random("%d/signup/%d" % (SEED, int(t_start)))
        t, i = t_start, 0
        while True:
            t += rng.expovariate(per_min / 60.0)
            if t >= t_end:
                return
            i += 1
            u = {"auth": "none", "agent": {"shop": rng.choice(AGENTS["shop"])}, "gzip": False,
                 "app": False, "username": "", "password": ""}
            conn = self.conn(u, addr_of(3, (int(t) * 7 + i) % 60000), "shop")
            self.call(t, conn, u, "shop", self.signup, rng)
            self.plan.add(t + 0.5, "close", conn)

    def run(self, t_start, t_end, per_min):
        """Sessions from t_start to t_end at about per_min calls a minute on average, the
        rate drifting from minute to minute (0.6x to 1.5x)."""
        m = 1.0
        minute = 0
        mean_calls = 11.5
        drift = random.Random(self.rng.random())
        while t_start + 60 * minute < t_end:
            m += 0.3 * (1 - m) + drift.gauss(0, 0.12)
            m = max(0.6, min(1.5, m))
            lam = per_min * m / mean_calls
            k = self.poisson(lam)
            for _ in range(k):
                t = t_start + 60 * minute + self.rng.random() * 60
                if t < t_end:
                    self.session(t, self.pick_user(), t_end)
            minute += 1
        self.services(t_start, t_end)
        self.signups(t_start, t_end, 0.4)

    def poisson(self, lam):
        # Knuth for small lam, normal approximation above.
        if lam > 40:
            return max(0, int(round(self.rng.gauss(lam, math.sqrt(lam)))))
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= L:
                return k
            k += 1


# ------------------------------------------------------------------------------------------------
# Attacks. Each returns the facts the manifest keeps about the attacker.


def route_by(world, api, method, template):
    return next(r for r in world.routes if r.api["name"] == api and r.method == method and
                r.template == template)


class Attack:
    def __init__(self, world, plan, normal, rng):
        self.world, self.plan, self.normal, self.rng = world, plan, normal, rng
        self.n = 0

    def conn(self, name, addr, api):
        return ("a-%s" % name, addr, api)

    def call(self, t, conn, api, method, path, headers, body=None):
        self.plan.call(t, conn, api, method, path, headers, body, attack=True)
        self.n += 1

    def headers(self, u, api, host, **extra):
        h = auth_headers(u, api, self.rng) if u else {"User-Agent": "python-requests/2.31.0",
                                                       "Accept": "*/*"}
        h["Host"] = host
        h.update(extra)
        return {k: v for k, v in h.items() if v is not None}

    def jitter(self, mean):
        return max(0.05, self.rng.lognormvariate(math.log(mean), 0.5))


def victim_user(world, api, auth=("jwt",), i=0):
    us = [u for u in world.users if u["cls"] == "user" and api in u["apis"] and
          u["auth"] in auth]
    us.sort(key=lambda u: -u["activity"])
    return us[len(us) // 2 + i]  # a user of middling activity


def principal_kind(u):
    return {"jwt": "jwt", "cookie": "cookie", "basic": "basic", "apikey": "apikey",
            "apikey_query": "apikey", "none": "ip"}[u["auth"]] if u else "ip"


def a_bola_sequential(a, t):
    """A wallet user walks account ids upwards from its own: GET /api/accounts/{id} answers 200
    for every existing account (the bug)."""
    u = victim_user(a.world, "wallet")
    conn = a.conn("bola", u["addr"], "wallet")
    start = u["accounts"][0]
    for i in range(300):
        a.call(t, conn, "wallet", "GET", "/api/accounts/%d" % (start + i),
               a.headers(u, "wallet", "wallet.example.test"))
        t += a.jitter(1.2)
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoint": "GET /api/accounts/{accountId}", "objects": 300}


def a_bola_random(a, t):
    """A wallet user asks for the transactions of random account ids: 403 for other users'
    accounts, 404 for ids that do not exist."""
    u = victim_user(a.world, "wallet", i=1)
    conn = a.conn("bola", u["addr"], "wallet")
    for i in range(250):
        acc = a.rng.randrange(10001, 10001 + 2 * (a.world.last_account - 10000))
        a.call(t, conn, "wallet", "GET", "/api/accounts/%d/transactions" % acc,
               a.headers(u, "wallet", "wallet.example.test"))
        t += a.jitter(1.0)
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoint": "GET /api/accounts/{accountId}/transactions", "objects": 250}


def a_bola_shared(a, t):
    """Three fleet app accounts of one stalker read the live location of the same six cars,
    other users', a few times each: the location route answers any signed-in caller (the
    bug). Few IDs, slowly: no enumeration; each car is now read by several principals where
    every car normally has one reader, its owner."""
    app = [u for u in a.world.users if u["cls"] == "user" and u["app"] and
           u["auth"] == "jwt" and "fleet" in u["apis"]]
    app.sort(key=lambda u: -u["activity"])
    owners, attackers = app[:6], app[len(app) // 2:len(app) // 2 + 3]
    cars = [o["vehicles"][0] for o in owners]
    addrs = ["127.68.1.%d" % (i + 1) for i in range(len(attackers))]
    conns = [a.conn("shared%d" % i, addrs[i], "fleet") for i in range(len(attackers))]
    ts = [t + 7.0 * i for i in range(len(attackers))]
    for rnd in range(2):
        for i, u in enumerate(attackers):
            for vin in cars:
                a.call(ts[i], conns[i], "fleet", "GET", "/v2/vehicles/%s/location" % vin,
                       a.headers(u, "fleet", "fleet.example.test"))
                ts[i] += a.jitter(25)
    for i in range(len(attackers)):
        a.plan.add(ts[i], "close", conns[i])
    return {"principal_kind": "jwt", "client": "%s-%s" % (addrs[0], addrs[-1]),
            "user": ",".join(u["username"] for u in attackers),
            "endpoint": "GET /v2/vehicles/{vin}/location", "objects": len(cars),
            "expect_rules": ["bola_shared_object"]}


def login_body(user, pw):
    return json.dumps({"username": user, "password": pw}, separators=(",", ":"))


def fake_names(rng, n, world):
    real = [u["username"] for u in world.users]
    out = []
    for i in range(n):
        if rng.random() < 0.3:
            out.append(rng.choice(real))
        else:
            out.append("%s%s%d" % (rng.choice(AW.FIRST), rng.choice(["", ".", "_"]) +
                                    rng.choice(AW.LAST), rng.randrange(1, 999)))
    return out


def a_stuffing(a, t):
    """Credential stuffing on the shop login from one address: 400 user names from a leaked
    list, all wrong, then one that works."""
    addr = "127.66.0.2"
    conn = a.conn("stuff", addr, "shop")
    h = {"Host": "shop.example.test", "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
         "Content-Type": "application/json", "Accept": "application/json"}
    for name in fake_names(a.rng, 400, a.world):
        a.call(t, conn, "shop", "POST", "/api/v1/sessions/login", dict(h),
               login_body(name, "Summer2023!" if a.rng.random() < 0.5 else AW.b64url(a.rng, 10)))
        t += a.jitter(0.5)
    u = victim_user(a.world, "shop", i=2)
    a.call(t, conn, "shop", "POST", "/api/v1/sessions/login", dict(h),
           login_body(u["username"], u["password"]))
    a.plan.add(t + 0.2, "close", conn)
    return {"principal_kind": "ip", "client": addr, "endpoint": "POST /api/v1/sessions/login",
            "failures": 400, "success_user": u["username"]}


def a_bruteforce(a, t):
    """Password guessing on one account of the wallet from one address, then the right one."""
    addr = "127.66.0.3"
    u = victim_user(a.world, "wallet", i=3)
    conn = a.conn("brute", addr, "wallet")
    h = {"Host": "wallet.example.test", "User-Agent": "python-requests/2.31.0",
         "Content-Type": "application/json", "Accept": "*/*"}
    for i in range(250):
        a.call(t, conn, "wallet", "POST", "/api/auth/token", dict(h),
               login_body(u["username"], "%s%d" % (a.rng.choice(AW.WORDS), i)))
        t += a.jitter(0.6)
    a.call(t, conn, "wallet", "POST", "/api/auth/token", dict(h),
           login_body(u["username"], u["password"]))
    a.plan.add(t + 0.2, "close", conn)
    return {"principal_kind": "ip", "client": addr, "endpoint": "POST /api/auth/token",
            "failures": 250, "success_user": u["username"]}


def a_stuffing_rotating(a, t):
    """Credential stuffing spread over 200 addresses (127.67.0.x-127.67.1.x), two or three
    attempts each, all failing: only the global failure rate shows it."""
    n = 0
    names = fake_names(a.rng, 600, a.world)
    for i in range(200):
        addr = addr_of(67, i)
        conn = a.conn("rot%d" % i, addr, "shop")
        h = {"Host": "shop.example.test", "Content-Type": "application/json",
             "Accept": "application/json",
             "User-Agent": a.rng.choice(AGENTS["shop"])}
        tt = t + i * 1.5 + a.rng.uniform(0, 1.5)
        for _ in range(a.rng.choice([2, 3])):
            a.call(tt, conn, "shop", "POST", "/api/v1/sessions/login", dict(h),
                   login_body(names[n % len(names)], AW.b64url(a.rng, 10)))
            n += 1
            tt += a.jitter(2.0)
        a.plan.add(tt, "close", conn)
    return {"principal_kind": "ip", "client": "127.67.0.0/16", "clients": 200,
            "endpoint": "POST /api/v1/sessions/login", "failures": n}


def a_credential_sharing(a, t):
    """A fleet integration's API key (hard-coded in a mobile app build) used from 40 addresses
    it never came from, a few calls each, on the integration's own vehicles."""
    s = a.world.user("service", 0)
    rs = ["/v2/vehicles/%s/location", "/v2/vehicles/%s", "/v2/vehicles/%s/location"]
    for i in range(40):
        addr = addr_of(68, i)
        conn = a.conn("share%d" % i, addr, "fleet")
        tt = t + i * 15 + a.rng.uniform(0, 10)
        for _ in range(3):
            path = a.rng.choice(rs) % a.rng.choice(s["vehicles"])
            a.call(tt, conn, "fleet", "GET", path,
                   a.headers(s, "fleet", "fleet.example.test",
                             **{"User-Agent": "okhttp/4.12.0"}))
            tt += a.jitter(5)
        a.plan.add(tt, "close", conn)
    return {"principal_kind": "apikey", "client": "127.68.0.1-127.68.0.40", "clients": 40,
            "user": s["username"], "usual_client": s["addr"]}


def a_jwt_unsigned(a, t):
    """Forged tokens: alg none, no signature, sub of a dormant account; the wallet takes them
    (200)."""
    v = a.world.user("dormant", 0)
    tok = jwt_none(jwt_claims(v["n"], "user"))
    addr = "127.66.0.5"
    conn = a.conn("none", addr, "wallet")
    h = {"Host": "wallet.example.test", "User-Agent": "WalletApp/1.9.3 (Android 14)",
         "Accept": "application/json", "Authorization": "Bearer " + tok}
    paths = ["/api/accounts", "/api/beneficiaries"] + ["/api/accounts/%d" % x
                                                       for x in v["accounts"]] + \
            ["/api/accounts/%d/transactions" % x for x in v["accounts"]]
    for i in range(30):
        a.call(t, conn, "wallet", "GET", paths[i % len(paths)], dict(h))
        t += a.jitter(8)
    a.plan.add(t, "close", conn)
    return {"principal_kind": "jwt", "client": addr, "user": v["username"],
            "jwt_alg": "none"}


def a_data_exposure(a, t):
    """A wallet user pulls its transactions with ?limit=100000: 3000 records (the cap) where
    normal answers carry 3 to 25."""
    u = victim_user(a.world, "wallet", i=4)
    conn = a.conn("limit", u["addr"], "wallet")
    for i in range(4):
        a.call(t, conn, "wallet", "GET", "/api/accounts/%d/transactions?limit=100000&page=%d"
               % (u["accounts"][0], i + 1), a.headers(u, "wallet", "wallet.example.test"))
        t += a.jitter(20)
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoint": "GET /api/accounts/{accountId}/transactions", "records": LIST_CAP}


def a_sensitive_new(a, t):
    """A shop user asks for profiles with ?expand=billing: the answers now carry an SSN and a
    card number, types this endpoint never returned."""
    u = victim_user(a.world, "shop", i=5)
    conn = a.conn("expand", u["addr"], "shop")
    names = [u["username"]] + [x["username"] for x in a.world.users[:4]]
    for i in range(12):
        a.call(t, conn, "shop", "GET", "/api/v1/users/%s?expand=billing" % names[i % 5],
               a.headers(u, "shop", "shop.example.test"))
        t += a.jitter(10)
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoint": "GET /api/v1/users/{username}", "new_types": ["ssn", "card"]}


def a_mass_assignment(a, t):
    """Privileged keys in writes, accepted: a shop user's profile update with role admin and
    is_admin true (200), then a sign-up with is_admin true (201) from a fresh address."""
    u = victim_user(a.world, "shop", i=6)
    conn = a.conn("mass", u["addr"], "shop")
    h = a.headers(u, "shop", "shop.example.test", **{"Content-Type": "application/json"})
    for extra in ({"role": "admin"}, {"is_admin": True}, {"role": "admin", "is_admin": True}):
        doc = dict({"display_name": u["name"], "phone": u["phone"]}, **extra)
        a.call(t, conn, "shop", "PUT", "/api/v1/users/me", dict(h),
               json.dumps(doc, separators=(",", ":")))
        t += a.jitter(15)
    a.plan.add(t, "close", conn)
    addr = "127.66.0.7"
    conn = a.conn("mass-signup", addr, "shop")
    a.call(t + 30, conn, "shop", "POST", "/api/v1/signup",
           {"Host": "shop.example.test", "User-Agent": AGENTS["shop"][2],
            "Accept": "application/json", "Content-Type": "application/json"},
           json.dumps({"username": "new77777", "password": "pw-x7Gq2", "email":
                       "new77777@example.test", "is_admin": True}, separators=(",", ":")))
    a.plan.add(t + 31, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoint": "PUT /api/v1/users/me", "also": "POST /api/v1/signup from 127.66.0.7",
            "keys": ["role", "is_admin"]}


def a_rate_spike(a, t):
    """A fleet user's client loops on its own vehicle's location: about 8 calls a second for 3
    minutes from its usual address, against a few calls a minute."""
    u = victim_user(a.world, "fleet", auth=("apikey",), i=0)
    conn = a.conn("spike", u["addr"], "fleet")
    end = t + 180
    while t < end:
        a.call(t, conn, "fleet", "GET", "/v2/vehicles/%s/location" % u["vehicles"][0],
               a.headers(u, "fleet", "fleet.example.test"))
        t += a.rng.expovariate(8.0) + 0.01
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoint": "GET /v2/vehicles/{vin}/location"}


def a_function_authz(a, t):
    """A shop user (role user) calls what only administrators call: the admin user list (403)
    and product writes and deletes (200/204: the missing role check)."""
    u = victim_user(a.world, "shop", i=7)
    conn = a.conn("fauthz", u["addr"], "shop")
    h = a.headers(u, "shop", "shop.example.test")
    steps = ([("GET", "/admin/users", None)] * 3 +
             [("PUT", "/api/v1/products/%d" % p, {"price": 0.01, "stock": 999})
              for p in (17, 42, 311)] +
             [("DELETE", "/api/v1/products/%d" % p, None) for p in (17, 42, 311, 980)] +
             [("GET", "/admin/users?limit=50", None)])
    for m, p, doc in steps:
        hh = dict(h)
        if doc is not None:
            hh["Content-Type"] = "application/json"
        a.call(t, conn, "shop", m, p, hh,
               None if doc is None else json.dumps(doc, separators=(",", ":")))
        t += a.jitter(12)
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoints": ["GET /admin/users", "PUT /api/v1/products/{productId}",
                          "DELETE /api/v1/products/{productId}"]}


def a_scraping(a, t, gap, count, addr, name):
    """An anonymous client walks the product catalogue: ids in order, one every `gap`
    seconds exactly (to the microsecond), with a catalogue page every 50 ids."""
    conn = a.conn(name, addr, "shop")
    h = {"Host": "shop.example.test", "User-Agent": "python-requests/2.31.0", "Accept": "*/*"}
    k = 0
    for i in range(1, count + 1):
        if k >= 500:
            a.plan.add(t - gap / 2, "close", conn)
            conn, k = (conn[0] + "+", addr, "shop"), 0
        if i % 50 == 0:
            a.call(t, conn, "shop", "GET", "/api/v1/products?page=%d&limit=50" % (i // 50),
                   dict(h))
        else:
            a.call(t, conn, "shop", "GET", "/api/v1/products/%d" % i, dict(h))
        k += 1
        t += gap
    a.plan.add(t, "close", conn)
    return {"principal_kind": "ip", "client": addr, "endpoint": "GET /api/v1/products/{productId}",
            "interval_s": gap, "ids": count - count // 50}


def a_impersonation(a, t, variant):
    """Calls to the app-only digital-key endpoint by a fleet app user's credential, but not
    from the app: curl with no app headers, or the app's user agent and version without the
    attestation token."""
    u = next(x for x in a.world.users if x["cls"] == "user" and x["app"] and
             x["auth"] == "jwt" and "fleet" in x["apis"] and x["n"] > 40 + 10 * (variant == "ua"))
    conn = a.conn("imp", u["addr"], "fleet")
    for i in range(15):
        h = a.headers(u, "fleet", "fleet.example.test")
        if variant == "ua":
            h["User-Agent"] = "curl/8.5.0"
            h["Accept"] = "*/*"
            h.pop("X-App-Version", None)
            h.pop("X-App-Attestation", None)
        else:
            h.pop("X-App-Attestation", None)
        a.call(t, conn, "fleet", "GET", "/v2/vehicles/%s/digital-key" % u["vehicles"][0], h)
        t += a.jitter(15)
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "endpoint": "GET /v2/vehicles/{vin}/digital-key",
            "user_agent": "curl/8.5.0" if variant == "ua" else APP_AGENTS[0] + " (as the app)",
            "missing_headers": (["X-App-Attestation", "X-App-Version"] if variant == "ua"
                                else ["X-App-Attestation"])}


def a_unauthenticated(a, t):
    """No credential on the trips route, which every normal call authenticates; the fleet
    server answers 200 anyway (the bug)."""
    addr = "127.66.0.9"
    s = a.world.user("service", 1)
    conn = a.conn("unauth", addr, "fleet")
    for i in range(30):
        a.call(t, conn, "fleet", "GET", "/v2/vehicles/%s/trips" % s["vehicles"][i % 3],
               {"Host": "fleet.example.test", "User-Agent": "FleetConsole/2.0 (Windows NT 10.0)",
                "Accept": "application/json"})
        t += a.jitter(8)
    a.plan.add(t, "close", conn)
    return {"principal_kind": "ip", "client": addr, "endpoint": "GET /v2/vehicles/{vin}/trips"}


def a_error_spike(a, t):
    """The wallet's backend fails for 5 minutes: every wallet call of the normal users
    answers 503 (no attacker; the server's fault switch, set through the control directory)."""
    a.plan.add(t, "fault", ("wallet", True))
    a.plan.add(t + 300, "fault", ("wallet", False))
    return {"principal_kind": None, "client": None, "endpoint": "every wallet.example.test "
            "route", "status": 503, "window_from_fault": True}


def a_shadow(a, t):
    """An authenticated shop user calls two undeclared routes the servers still answer
    (shadow) and the deprecated /api/v0/orders/{orderId} (zombie)."""
    u = victim_user(a.world, "shop", i=8)
    conn = a.conn("shadow", u["addr"], "shop")
    h = a.headers(u, "shop", "shop.example.test")
    for i in range(6):
        a.call(t, conn, "shop", "GET", "/api/v1/internal/export/customers?page=%d" % (i + 1),
               dict(h))
        t += a.jitter(10)
        a.call(t, conn, "shop", "GET", "/api/v0/orders/%s" % u["orders"][i % len(u["orders"])],
               dict(h))
        t += a.jitter(10)
    a.plan.add(t, "close", conn)
    w = victim_user(a.world, "wallet", i=8)
    conn = a.conn("shadow-w", w["addr"], "wallet")
    for i in range(4):
        a.call(t, conn, "wallet", "GET", "/api/internal/debug/accounts",
               a.headers(w, "wallet", "wallet.example.test"))
        t += a.jitter(10)
    a.plan.add(t, "close", conn)
    return {"principal_kind": principal_kind(u), "client": u["addr"], "user": u["username"],
            "also": "%s from %s" % (w["username"], w["addr"]),
            "shadow": ["GET /api/v1/internal/export/customers", "GET /api/internal/debug/accounts"],
            "zombie": ["GET /api/v0/orders/{orderId}"]}


# name: (attack, detectors, OWASP, detectors that may also fire, minutes, per-minute rate,
#        attack start minute)
SCENARIOS = {
    "benign": (None, [], None, [], 75, 665, None),
    "bola-sequential": (a_bola_sequential, ["bola"], "API1:2023", ["rate_spike", "scraping"],
                        32, 120, 20),
    "bola-random": (a_bola_random, ["bola"], "API1:2023", ["rate_spike"], 32, 120, 20),
    "bola-shared": (a_bola_shared, ["bola"], "API1:2023", [], 32, 120, 20),
    "auth-stuffing": (a_stuffing, ["auth_stuffing"], "API2:2023", ["rate_spike"], 32, 120, 20),
    "auth-bruteforce": (a_bruteforce, ["auth_stuffing"], "API2:2023", ["rate_spike"], 32, 120,
                        20),
    "auth-stuffing-rotating": (a_stuffing_rotating, ["auth_stuffing"], "API2:2023",
                               ["rate_spike"], 32, 120, 20),
    "credential-sharing": (a_credential_sharing, ["credential_sharing"], "API2:2023", [], 32,
                           120, 20),
    "jwt-unsigned": (a_jwt_unsigned, ["jwt_unsigned"], "API2:2023", [], 32, 120, 20),
    "data-exposure": (a_data_exposure, ["data_exposure"], "API3:2023", [], 32, 120, 20),
    "sensitive-new": (a_sensitive_new, ["data_exposure"], "API3:2023", [], 32, 120, 20),
    "mass-assignment": (a_mass_assignment, ["mass_assignment"], "API3:2023", [], 32, 120, 20),
    "rate-spike": (a_rate_spike, ["rate_spike"], "API4:2023", [], 32, 120, 20),
    "function-authz": (a_function_authz, ["function_authz"], "API5:2023", [], 32, 120, 20),
    "scraping-fast": (lambda a, t: a_scraping(a, t, 0.4, 1500, "127.66.0.20", "scrape"),
                      ["scraping"], "API6:2023", ["rate_spike"], 32, 120, 20),
    "scraping-slow": (lambda a, t: a_scraping(a, t, 6.0, 350, "127.66.0.21", "slow"),
                      ["scraping"], "API6:2023", [], 60, 100, 20),
    "impersonation-ua": (lambda a, t: a_impersonation(a, t, "ua"), ["impersonation"],
                         "API6:2023", [], 32, 120, 20),
    "impersonation-noattest": (lambda a, t: a_impersonation(a, t, "noattest"),
                               ["impersonation"], "API6:2023", [], 32, 120, 20),
    "unauthenticated": (a_unauthenticated, ["unauthenticated"], "API2:2023", [], 32, 120, 20),
    "error-spike": (a_error_spike, ["error_spike"], "API8:2023", [], 32, 120, 20),
    "shadow-endpoint": (a_shadow, ["shadow_endpoint"], "API9:2023", [], 32, 120, 20),
}
LEARNING_S = 900  # the learning period the tests should use: the first 15 minutes
# The rules (api.detector) that count as each detector family of the manifest: a family is
# what an attack is, a rule is one way apiwatch sees it.
DETECTOR_RULES = {
    "bola": ["bola_enumeration", "bola_sequential_walk", "bola_denied_burst",
             "bola_shared_object"],
    "auth_stuffing": ["auth_stuffing", "auth_stuffing_distributed", "auth_bruteforce",
                      "auth_success_after_failures"],
    "credential_sharing": ["credential_sharing"],
    "jwt_unsigned": ["jwt_unsigned"],
    "data_exposure": ["data_exposure", "data_exposure_records", "sensitive_new"],
    "mass_assignment": ["mass_assignment"],
    "rate_spike": ["rate_spike_endpoint", "rate_spike_principal", "rate_spike_client"],
    "function_authz": ["function_authz"],
    "scraping": ["scraping"],
    "impersonation": ["impersonation_headers", "impersonation_agent"],
    "unauthenticated": ["unauthenticated"],
    "error_spike": ["error_spike"],
    "shadow_endpoint": ["shadow_endpoint"],
}


def build(name):
    attack, detectors, owasp, may, minutes, rate, at = SCENARIOS[name]
    world = World()
    plan = Plan()
    normal = Normal(world, plan, "normal/" + name)
    meta = {"scenario": name, "detectors": detectors, "owasp_api": owasp, "may_also_fire": may,
            "learning_period_s": LEARNING_S, "start": T0, "end": T0 + 60 * minutes}
    if attack:
        a = Attack(world, plan, normal, random.Random("%d/attack/%s" % (SEED, name)))
        meta["attacker"] = attack(a, T0 + 60 * at)
    normal.run(T0, T0 + 60 * minutes, rate)
    plan.steps.sort()
    calls = [s for s in plan.steps if s[2] == "call"]
    bad = [s for s in calls if s[0] >= T0 + 60 * minutes or s[0] < T0]
    assert not bad, "calls outside the capture span"
    meta["calls"] = len(calls)
    hit = [s for s in calls if s[3]["attack"]]
    if attack:
        if meta["attacker"].get("window_from_fault"):
            f = [s[0] for s in plan.steps if s[2] == "fault"]
            hit = [s for s in calls if f[0] <= s[0] < f[1] and s[3]["api"] == "wallet"]
            del meta["attacker"]["window_from_fault"]
        meta["attack_calls"] = len(hit)
        meta["attack_window"] = [hit[0][0], hit[-1][0]]
    meta["normal_clients"] = len({s[3]["conn"][1] for s in calls if not s[3]["attack"]})
    return plan, meta


def run(name, log_path, meta_path, control):
    plan, meta = build(name)
    conns = {}
    ports = {a["name"]: a["port"] for a in AW.load()["apis"]}
    log = []
    statuses = {}
    attack_status = {}
    for t, _, kind, d in plan.steps:
        log.append((time.time(), t))
        if kind == "close":
            c = conns.pop(d, None)
            if c:
                c.close()
            continue
        if kind == "fault":
            f = os.path.join(control, "fault-" + d[0])
            if d[1]:
                open(f, "w").close()
            elif os.path.exists(f):
                os.unlink(f)
            continue
        key = d["conn"]
        c = conns.get(key)
        if c is None:
            c = conns[key] = http.client.HTTPConnection(ADDR, ports[d["api"]], timeout=10,
                                                        source_address=(key[1], 0))
        c.request(d["method"], d["path"], body=d["body"], headers=d["headers"])
        r = c.getresponse()
        r.read()
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if d["attack"]:
            attack_status[r.status] = attack_status.get(r.status, 0) + 1
        if r.getheader("Connection", "").lower() == "close":
            c.close()
            del conns[key]
    for c in conns.values():
        c.close()
    log.append((time.time(), plan.steps[-1][0] + 1.0))
    with open(log_path, "wb") as f:
        for r, t in log:
            f.write(struct.pack("<dd", r, t))
    meta["statuses"] = {str(k): v for k, v in sorted(statuses.items())}
    if attack_status:
        meta["attack_statuses"] = {str(k): v for k, v in sorted(attack_status.items())}
    with open(meta_path, "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


# ------------------------------------------------------------------------------------------------
# Timestamps


def retime(src, dst, log_path):
    with open(log_path, "rb") as f:
        raw = f.read()
    pairs = [struct.unpack_from("<dd", raw, i) for i in range(0, len(raw), 16)]
    rs = [p[0] for p in pairs]
    with open(src, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic == 0xa1b2c3d4:
        end, scale = "<", 1e6
    elif magic == 0xa1b23c4d:
        end, scale = "<", 1e9
    else:
        raise SystemExit("retime: %s is not a little-endian pcap" % src)
    out = bytearray(data[:24])
    off = 24
    last = 0
    n = 0
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack_from(end + "IIII", data, off)
        r = sec + frac / scale
        k = bisect.bisect_right(rs, r) - 1
        if k < 0:
            t = pairs[0][1] - 0.001
        elif k + 1 < len(pairs):
            t = pairs[k][1] + min(r - rs[k], 0.8 * (pairs[k + 1][1] - pairs[k][1]))
        else:
            t = pairs[k][1] + min(r - rs[k], 0.5)
        ts = max(last, int(round(t * scale)))  # never backwards, even by rounding
        last = ts
        out += struct.pack(end + "IIII", ts // int(scale), ts % int(scale), incl, orig)
        out += data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
    with open(dst, "wb") as f:
        f.write(out)
    return n


# ------------------------------------------------------------------------------------------------
# The declared API


def spec_yaml():
    world = World()
    lines = ["# The declared API of the scenario captures (shop, fleet and wallet in one",
             "# document), written by scripts/lib/aw-scenarios.py spec from",
             "# scripts/lib/inventory-routes.json: every route normal clients call, plus the",
             "# deprecated GET /api/v0/orders/{orderId}; the shadow routes are left out.",
             "openapi: 3.0.3", "info:", "  title: apiwatch scenario APIs (shop, fleet, wallet)",
             "  version: 1.0.0", "servers:", "  - url: /", "paths:"]
    paths = {}
    for r in world.routes:
        if r.spec.get("shadow"):
            continue
        paths.setdefault(r.template, []).append(r)
    for tpl, rs in paths.items():
        lines.append("  %s:" % tpl)
        for r in rs:
            op = r.method.lower()
            oid = op + "".join(s.title() for s in
                               tpl.replace("{", "").replace("}", "").replace("-", "/")
                               .split("/") if s) + "_" + r.api["name"]
            lines += ["    %s:" % op, "      operationId: %s" % oid,
                      "      tags: [%s]" % r.api["name"]]
            if r.spec.get("deprecated"):
                lines.append("      deprecated: true")
            params = []
            for name, typ in r.params:
                t = "integer" if world.truth["types"][typ]["gen"] == "int" else "string"
                params.append("        - {name: %s, in: path, required: true, schema: {type: %s}}"
                              % (name, t))
            if r.method == "GET":
                params.append("        - {name: page, in: query, schema: {type: integer}}")
                params.append("        - {name: limit, in: query, schema: {type: integer}}")
            if r.api["name"] in ("fleet", "wallet"):
                params.append("        - {name: api_key, in: query, schema: {type: string}}")
            if params:
                lines += ["      parameters:"] + params
            if r.spec.get("send"):
                lines += ["      requestBody:", "        content:", "          application/json:",
                          "            schema: {type: object}"]
            code = r.spec.get("status", 200)
            lines += ["      responses:", "        '%d':" % code,
                      "          description: %s" % ("no content" if code == 204 else "ok")]
    return "\n".join(lines) + "\n"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % round(
        (t % 1) * 1e6)


MANIFEST_ABOUT = (
    "Detector scenario captures, made by scripts/make-scenario-pcaps (see test/pcaps/README.md)."
    " Per capture: the detectors that must fire (api.detector) with the OWASP tag they must "
    "carry, detectors that may fire too because the attack also is what they look for, the "
    "attacker (principal kind and client address; for an outage, none), the attack window in "
    "packet time (first and last attack request; the EVE timestamps of those calls fall inside "
    "it, within http_window_slack_s), the learning period the tests should configure, the "
    "number of HTTP calls (http events) and of attack calls, and the statuses the servers "
    "answered; attack_match finds the attack's calls among the http events (client addresses, "
    "host, methods, a regex of the request path without its query, a status) and "
    "attack_match_calls is how many planned calls match it inside the attack window (attack "
    "calls, and normal calls that happen to match); detector_rules lists the rules "
    "(api.detector) that count as each detector family. The benign capture must raise no "
    "alert at all. Counts are exact as sent; a test "
    "should allow count_tolerance (fraction) for calls a sensor legitimately cannot see.")


def attack_match(name):
    """How a test finds the attack's calls among the http events: client addresses (none: any),
    host, a path regex (the attack's routes) and a status (none: any), and how many planned
    calls, attack or normal, match it inside the attack window."""
    plan, meta = build(name)
    table = AW.route_table(AW.routes(AW.load(), scenario=True))
    hit = [s for s in plan.steps if s[2] == "call" and s[3]["attack"]]
    status = None
    if not hit:  # an outage: the calls of its window to the failing API
        w = meta["attack_window"]
        hit = [s for s in plan.steps if s[2] == "call" and w[0] <= s[0] <= w[1] and
               s[3]["api"] == "wallet"]
        status = 503
    srcs = sorted({s[3]["conn"][1] for s in hit})
    host = {s[3]["headers"]["Host"] for s in hit}
    pats = []
    for s in hit:
        d = s[3]
        r, _ = AW.route_match(table, d["headers"]["Host"], d["method"],
                              urllib.parse.unquote(d["path"].split("?")[0]))
        if r.regex.pattern not in pats:
            pats.append(r.regex.pattern)
    m = {"src_ip": None if status else srcs, "hostname": sorted(host)[0] if len(host) == 1
         else None, "methods": sorted({s[3]["method"] for s in hit}),
         "path_regex": "^(?:%s)" % "|".join(p.rstrip("$") for p in pats) + "$",
         "status": status}
    w = meta["attack_window"]
    rx = __import__("re").compile(m["path_regex"])
    n = sum(1 for s in plan.steps if s[2] == "call" and w[0] <= s[0] <= w[1] and
            (m["src_ip"] is None or s[3]["conn"][1] in m["src_ip"]) and
            (m["hostname"] is None or s[3]["headers"]["Host"] == m["hostname"]) and
            s[3]["method"] in m["methods"] and
            rx.match(urllib.parse.unquote(s[3]["path"].split("?")[0])))
    return m, n


def manifest(path, metas):
    try:
        with open(path) as f:
            doc = json.load(f)
    except FileNotFoundError:
        doc = {"captures": []}
    old = {c["scenario"]: c for c in doc["captures"]}
    for m in metas:
        with open(m) as f:
            meta = json.load(f)
        name = meta["scenario"]
        attack = SCENARIOS[name][0]
        e = {"file": name + ".pcap.gz", "scenario": name,
             "description": " ".join((attack.__doc__ if attack and attack.__doc__ else
                                      "Normal traffic only: must raise no alert.").split()),
             "detectors": meta["detectors"], "owasp_api": meta["owasp_api"],
             "may_also_fire": meta["may_also_fire"],
             "learning_period_s": meta["learning_period_s"],
             "capture_start": iso(meta["start"]), "capture_end": iso(meta["end"]),
             "capture_start_epoch": meta["start"], "capture_end_epoch": meta["end"],
             "http_calls": meta["calls"], "statuses": meta["statuses"],
             "normal_clients": meta["normal_clients"], "packets": meta["packets"],
             "pcap_bytes": meta["pcap_bytes"], "gz_bytes": meta["gz_bytes"]}
        if "attacker" in meta:
            w = meta["attack_window"]
            e.update(attacker=meta["attacker"], attack_calls=meta["attack_calls"],
                     attack_statuses=meta.get("attack_statuses", {}),
                     attack_window=[iso(w[0]), iso(w[1])],
                     attack_window_epoch=[round(w[0], 6), round(w[1], 6)])
        if name == "shadow-endpoint":
            e["spec"] = "test/specs/scenario-apis.yaml"
        old[name] = e
    for name, e in old.items():
        if "attack_window_epoch" in e:
            e["attack_match"], e["attack_match_calls"] = attack_match(name)
    doc = {"about": MANIFEST_ABOUT, "count_tolerance": 0.002, "http_window_slack_s": 1.0,
           "detector_rules": DETECTOR_RULES,
           "captures": [old[n] for n in SCENARIOS if n in old]}
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


def main(argv):
    if argv == ["list"]:
        print("\n".join(SCENARIOS))
    elif len(argv) == 3 and argv[0] == "serve":
        serve(argv[1], argv[2])
    elif len(argv) == 5 and argv[0] == "run":
        run(argv[1], argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[0] == "retime":
        print(retime(argv[1], argv[2], argv[3]))
    elif len(argv) >= 2 and argv[0] == "manifest":
        manifest(argv[1], argv[2:])
    elif argv == ["spec"]:
        sys.stdout.write(spec_yaml())
    elif len(argv) == 2 and argv[0] == "plan":
        plan, meta = build(argv[1])
        print(json.dumps(meta, indent=1, sort_keys=True))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
