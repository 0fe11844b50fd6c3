#!/usr/bin/env python3
"""The API inventory on captures: --inventory, --openapi and the api_endpoint events.

  inventory_files.py --apiwatch BIN --pcaps test/pcaps

Checks:
  - every golden capture of test/pcaps (not the inventory-* ones: test/inventory.py) replayed at once: the inventory file and the OpenAPI export are
    byte-identical across two runs, the expected endpoints are there with their facts, sorted
    by host, template and method, and one api_endpoint event announces each endpoint;
  - a capture made here of authenticated traffic (Bearer JWT, Basic, API keys in a header and
    in the query, a session cookie, personal data in responses, many user ids that collapse into
    a parameter) gives the auth facts, risk reasons and security schemes it should, and no
    credential value appears in any output;
  - both OpenAPI documents are valid OpenAPI 3.0 (openapi_check below: the OpenAPI
    Initiative's JSON Schema of OAS 3.0, then the rules the schema cannot express);
  - inventory.event-budget and inventory.max-endpoints cap and count, inventory.interval
    writes the file as packet time goes by; an unwritable path is
    one clear error line and exit status 1.
Prints 'N passed, N failed'; exit 1 on any failure.
"""
import argparse, base64, glob, json, os, re, struct, subprocess, sys, tempfile

FAILS = []
PASSES = []


def check(name, cond, detail=''):
    (PASSES if cond else FAILS).append(name)
    print('%s %s %s' % ('ok  ' if cond else 'FAIL', name, '' if cond else detail))


def run(apiwatch, args, tmp, tag):
    eve = os.path.join(tmp, tag + '.eve.json')
    inv = os.path.join(tmp, tag + '.inventory.json')
    oa = os.path.join(tmp, tag + '.openapi.json')
    p = subprocess.run([apiwatch, '-q', '--eve', eve, '--inventory', inv, '--openapi', oa] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise RuntimeError('apiwatch %s exited %d: %s' % (args, p.returncode, p.stderr.decode()))
    return ([json.loads(l) for l in open(eve)], open(inv, 'rb').read(), open(oa, 'rb').read())


# ------------------------------------------------------------------------------------------------
# OpenAPI 3.0 rules

METHODS = {'get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'}
SCHEMA_KEYS = {'type', 'format', 'properties', 'items', 'required', 'additionalProperties',
               'nullable', 'enum', 'description', 'oneOf', 'anyOf', 'allOf', 'not', 'minimum',
               'maximum', 'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'title',
               'default', 'example', 'readOnly', 'writeOnly', 'deprecated', 'uniqueItems'}
TYPES = {'string', 'number', 'integer', 'boolean', 'array', 'object'}


def schema_check(s, where, errs):
    if not isinstance(s, dict):
        errs.append('%s: schema is not an object' % where)
        return
    for k in s:
        if k not in SCHEMA_KEYS and not k.startswith('x-'):
            errs.append('%s: %r is not an OpenAPI 3.0 schema keyword' % (where, k))
    t = s.get('type')
    if t is not None and t not in TYPES:
        errs.append('%s: type %r (3.0 allows one of %s, no lists, no null)' % (where, t, TYPES))
    if t == 'array' and 'items' not in s:
        errs.append('%s: array without items' % where)
    if 'nullable' in s and not isinstance(s['nullable'], bool):
        errs.append('%s: nullable is not a boolean' % where)
    props = s.get('properties', {})
    if not isinstance(props, dict):
        errs.append('%s: properties is not an object' % where)
        props = {}
    for k, v in props.items():
        schema_check(v, where + '.' + k, errs)
    if 'items' in s:
        schema_check(s['items'], where + '[]', errs)
    req = s.get('required')
    if req is not None:
        if not isinstance(req, list) or not req or len(set(req)) != len(req) or \
                not all(isinstance(r, str) for r in req):
            errs.append('%s: required must be a non-empty list of distinct names' % where)
    ap = s.get('additionalProperties')
    if isinstance(ap, dict):
        schema_check(ap, where + '{}', errs)
    for k in ('oneOf', 'anyOf', 'allOf'):
        for i, sub in enumerate(s.get(k, [])):
            schema_check(sub, '%s.%s[%d]' % (where, k, i), errs)


def content_check(content, where, errs):
    if not isinstance(content, dict):
        errs.append('%s: content is not an object' % where)
        return
    for mt, obj in content.items():
        if not re.match(r'^[^/\s]+/[^/\s]+$', mt) and mt != '*/*':
            errs.append('%s: %r is not a media type' % (where, mt))
        if 'schema' in obj:
            schema_check(obj['schema'], '%s[%s]' % (where, mt), errs)


OAS30_SCHEMA = '/usr/share/openapi-specification/schemas/v3.0/schema.json'


def openapi_check(doc):
    """Returns a list of the ways doc breaks OpenAPI 3.0.x: the OpenAPI Initiative's own JSON
    Schema of OAS 3.0 (Debian's openapi-specification, installed by scripts/install-deps
    --test), then the rules that schema cannot express."""
    errs = []
    if os.path.exists(OAS30_SCHEMA):
        import jsonschema
        v = jsonschema.Draft4Validator(json.load(open(OAS30_SCHEMA)))
        errs += ['%s: %s' % ('/'.join(map(str, e.path)), e.message[:200])
                 for e in v.iter_errors(doc)]
    else:
        print('note: %s absent: the OAS 3.0 JSON Schema check is skipped' % OAS30_SCHEMA)
    if not re.match(r'^3\.0\.\d+$', str(doc.get('openapi'))):
        errs.append('openapi is not 3.0.x')
    info = doc.get('info', {})
    if not isinstance(info.get('title'), str) or not isinstance(info.get('version'), str):
        errs.append('info needs title and version strings')
    for k in doc:
        if k not in ('openapi', 'info', 'servers', 'paths', 'components', 'security', 'tags',
                     'externalDocs') and not k.startswith('x-'):
            errs.append('unknown top-level field %r' % k)
    for s in doc.get('servers', []):
        if not isinstance(s.get('url'), str):
            errs.append('server without url')
    schemes = doc.get('components', {}).get('securitySchemes', {})
    for name, sc in schemes.items():
        if not re.match(r'^[a-zA-Z0-9.\-_]+$', name):
            errs.append('component name %r' % name)
        t = sc.get('type')
        if t == 'apiKey':
            if sc.get('in') not in ('query', 'header', 'cookie') or not sc.get('name'):
                errs.append('apiKey scheme %s needs name and in' % name)
        elif t == 'http':
            if not sc.get('scheme'):
                errs.append('http scheme %s needs scheme' % name)
        elif t not in ('oauth2', 'openIdConnect'):
            errs.append('scheme %s has type %r' % (name, t))
    paths = doc.get('paths')
    if not isinstance(paths, dict):
        return errs + ['paths missing']
    op_ids = set()
    shapes = {}
    for path, item in paths.items():
        if not path.startswith('/'):
            errs.append('path %r does not start with /' % path)
        names = re.findall(r'\{([^}]*)\}', path)
        shape = re.sub(r'\{[^}]*\}', '{}', path)
        if shape in shapes:
            errs.append('paths %r and %r differ only in parameter names' % (shapes[shape], path))
        shapes[shape] = path
        if len(set(names)) != len(names):
            errs.append('%s: a path parameter name repeats' % path)
        for m, op in item.items():
            where = '%s %s' % (m.upper(), path)
            if m not in METHODS and not m.startswith('x-') and m not in ('parameters', 'summary',
                                                                          'description',
                                                                          'servers'):
                errs.append('%s: %r is not an operation' % (path, m))
                continue
            if m not in METHODS:
                continue
            if 'operationId' in op:
                if op['operationId'] in op_ids:
                    errs.append('%s: operationId repeats' % where)
                op_ids.add(op['operationId'])
            seen = set()
            path_params = set()
            for p in op.get('parameters', []):
                if p.get('in') not in ('query', 'header', 'path', 'cookie') or \
                        not isinstance(p.get('name'), str):
                    errs.append('%s: parameter needs name and in' % where)
                    continue
                key = (p['name'], p['in'])
                if key in seen:
                    errs.append('%s: parameter %s repeats' % (where, key))
                seen.add(key)
                if p['in'] == 'path':
                    path_params.add(p['name'])
                    if p.get('required') is not True:
                        errs.append('%s: path parameter %s not required' % (where, p['name']))
                if ('schema' in p) == ('content' in p):
                    errs.append('%s: parameter %s needs schema or content' % (where, p['name']))
                if 'schema' in p:
                    schema_check(p['schema'], where + ' ' + p['name'], errs)
            if path_params != set(names):
                errs.append('%s: path parameters %s, template names %s' %
                            (where, sorted(path_params), names))
            if 'requestBody' in op:
                if 'content' not in op['requestBody']:
                    errs.append('%s: requestBody without content' % where)
                else:
                    content_check(op['requestBody']['content'], where + ' body', errs)
            resps = op.get('responses')
            if not isinstance(resps, dict) or not resps:
                errs.append('%s: no responses' % where)
                continue
            for code, r in resps.items():
                if code != 'default' and not re.match(r'^[1-5]([0-9]{2}|XX)$', code):
                    errs.append('%s: response key %r' % (where, code))
                if not isinstance(r.get('description'), str):
                    errs.append('%s %s: response without description' % (where, code))
                if 'content' in r:
                    content_check(r['content'], '%s %s' % (where, code), errs)
            for req in op.get('security', []):
                for name, scopes in req.items():
                    if name not in schemes or not isinstance(scopes, list):
                        errs.append('%s: security names unknown scheme %r' % (where, name))
    return errs


# ------------------------------------------------------------------------------------------------
# A capture of authenticated traffic

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


class PcapWriter:
    def __init__(self):
        self.out = [struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
        self.t = 1767225600.0

    def packet(self, src, dst, sport, dport, seq, ack, flags, payload=b''):
        ip_src, ip_dst = bytes(map(int, src.split('.'))), bytes(map(int, dst.split('.')))
        tcp = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        pseudo = ip_src + ip_dst + struct.pack('!BBH', 0, 6, len(tcp) + len(payload))
        c = csum(pseudo + tcp + payload)
        tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64,
                         6, 0, ip_src, ip_dst)
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        frame = b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00' + ip + tcp + payload
        self.t += 0.001
        sec = int(self.t)
        self.out.append(struct.pack('<IIII', sec, int((self.t - sec) * 1e6), len(frame),
                                    len(frame)) + frame)

    def exchange(self, client, server, sport, request, response):
        c, s = 1000, 5000
        self.packet(client, server, sport, 80, c, 0, 0x02)
        self.packet(server, client, 80, sport, s, c + 1, 0x12)
        self.packet(client, server, sport, 80, c + 1, s + 1, 0x10)
        self.packet(client, server, sport, 80, c + 1, s + 1, 0x18, request)
        self.packet(server, client, 80, sport, s + 1, c + 1 + len(request), 0x18, response)
        self.packet(client, server, sport, 80, c + 1 + len(request), s + 1 + len(response), 0x11)
        self.packet(server, client, 80, sport, s + 1 + len(response), c + 2 + len(request), 0x11)
        self.packet(client, server, sport, 80, c + 2 + len(request), s + 2 + len(response), 0x10)

    def save(self, path):
        open(path, 'wb').write(b''.join(self.out))


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


USER_CALLS = 300
SECRETS = ['s3cr3t-api-key-9f8e7d', 'query-key-77aa66bb', 'sess-0123456789abcdef',
           'opensesame']


def auth_capture(path):
    w = PcapWriter()
    jwt = '%s.%s.%s' % (b64url(b'{"alg":"HS256","typ":"JWT"}'),
                        b64url(b'{"sub":"user-1","iss":"idp","scope":"read"}'), b64url(b'sig' * 8))
    basic = base64.b64encode(('alice:' + SECRETS[3]).encode()).decode()
    port = 40000

    def call(method, target, headers, status, body=b'', ctype='application/json',
             client='10.0.0.5'):
        nonlocal port
        port += 1
        req = '%s %s HTTP/1.1\r\nHost: api.example.com\r\n%s\r\n' % (
            method, target, ''.join('%s: %s\r\n' % h for h in headers))
        resp = 'HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n' % (
            status, ctype, len(body))
        w.exchange(client, '10.0.0.80', port, req.encode(), resp.encode() + body)

    for i in range(40):
        call('GET', '/v2/accounts/%d' % (1000 + i * 7), [('Authorization', 'Bearer ' + jwt)],
             200, json.dumps({'id': 1000 + i, 'owner': {'email': 'u%d@example.org' % i},
                              'balance': 12.5}).encode())
    # Ten user names called often, then new names, each once: the share of first-seen values
    # at that position grows until it collapses into a parameter (path_template.c's novelty
    # test), well before the soft cap would have made the parameter: a template made by the
    # collapse, which takes over the literal ones.
    names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india',
             'juliet']
    once = ['kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra',
            'tango', 'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu', 'able', 'baker',
            'dog', 'easy']
    for name in [names[i % 10] for i in range(280)] + once:
        call('GET', '/v2/users/%s/profile' % name, [('X-API-Key', SECRETS[0])], 200,
             b'{"name":"x"}')
    call('POST', '/v2/login', [('Authorization', 'Basic ' + basic),
                               ('Content-Type', 'application/json')], 401, b'{"error":"no"}')
    call('GET', '/v2/export?api_key=%s&limit=10' % SECRETS[1], [], 200, b'[]',
         client='203.0.113.7')
    call('GET', '/v2/session', [('Cookie', 'theme=dark; sessionid=' + SECRETS[2])], 200,
         b'{"ok":true}')
    call('GET', '/v2/public/status', [], 200, b'up', ctype='text/plain')
    w.save(path)


# ------------------------------------------------------------------------------------------------

def endpoints_by_key(inv):
    return {(e['host'], e['method'], e['template']): e for e in inv['endpoints']}


def check_layout(tag, inv):
    keys = ['host', 'method', 'template', 'hits', 'first_seen', 'last_seen', 'status', 'request',
            'response', 'latency_ms', 'response_bytes', 'callers', 'auth', 'risk']
    bad = [e['template'] for e in inv['endpoints'] if any(k not in e for k in keys)]
    check(tag + ': every endpoint has the documented fields', not bad, bad)
    order = [(e['host'], e['template'], e['method']) for e in inv['endpoints']]
    check(tag + ': sorted by host, template, method', order == sorted(order))
    ok = all(set(e['request']) >= {'content_types', 'query', 'schema', 'sensitive'} and
             set(e['response']) >= {'content_types', 'schema', 'sensitive'} and
             set(e['latency_ms']) == {'p50', 'p90', 'p99'} and
             0 <= e['risk']['score'] <= 100 for e in inv['endpoints'])
    check(tag + ': request, response, percentiles and risk objects', ok)


def test_test_pcaps(apiwatch, pcaps, tmp):
    files = sorted(f for f in glob.glob(os.path.join(pcaps, '*.pcap'))
                   if not re.search(r'badhdr|badrec|truncated|corrupt|inventory-', f))
    ev1, inv1, oa1 = run(apiwatch, ['-r'] + files, tmp, 'a')
    ev2, inv2, oa2 = run(apiwatch, ['-r'] + files, tmp, 'b')
    check('test pcaps: inventory identical across runs', inv1 == inv2)
    check('test pcaps: OpenAPI identical across runs', oa1 == oa2)
    inv, oa = json.loads(inv1), json.loads(oa1)
    check_layout('test pcaps', inv)
    eps = endpoints_by_key(inv)
    want = {('127.0.0.1', 'POST', '/api/users'), ('127.0.0.1', 'DELETE', '/api/users/{userId}'),
            ('127.0.0.1', 'GET', '/api/users.json'), ('127.0.0.1', 'POST', '/api/events')}
    check('test pcaps: expected endpoints', want <= set(eps), sorted(want - set(eps)))
    post = eps.get(('127.0.0.1', 'POST', '/api/users'), {})
    check('test pcaps: POST /api/users facts',
          post.get('status', {}).get('codes') == {'201': 1} and
          post['request']['content_types'] == {'application/json': 1} and
          any(s['path'] == 'email' for s in post['request']['schema']) and
          'email' in post['request']['sensitive']['types'] and
          'write-method' in post['risk']['reasons'], post)
    users = eps.get(('127.0.0.1', 'GET', '/api/users.json'), {})
    check('test pcaps: GET /api/users.json counted over captures', users.get('hits', 0) >= 5 and
          users['latency_ms']['p50'] > 0 and users['response_bytes']['p50'] > 1000, users)
    news = [e for e in ev1 if e['event_type'] == 'api_endpoint']
    check('test pcaps: one api_endpoint event per endpoint',
          sorted((e['api_endpoint']['host'], e['api_endpoint']['method'],
                  e['api_endpoint']['template']) for e in news) == sorted(eps), len(news))
    check('test pcaps: api_endpoint has the common header',
          all(e.get('flow_id') and e.get('src_ip') and e.get('community_id') and
              e['api_endpoint']['event'] == 'new' for e in news))
    errs = openapi_check(oa)
    check('test pcaps: OpenAPI 3.0 valid', not errs, errs[:5])
    check('test pcaps: servers list the hosts',
          [s['url'] for s in oa['servers']] == ['http://127.0.0.1', 'http://[::1]'], oa['servers'])
    op = oa['paths'].get('/api/users/2.json', {}).get('get', {})
    check('test pcaps: x-apiwatch-hosts with several hosts',
          op.get('x-apiwatch-hosts') == ['127.0.0.1', '[::1]'], op.get('x-apiwatch-hosts'))


def test_auth(apiwatch, tmp):
    pcap = os.path.join(tmp, 'auth.pcap')
    auth_capture(pcap)
    ev, raw_inv, raw_oa = run(apiwatch, ['-r', pcap], tmp, 'auth')
    inv, oa = json.loads(raw_inv), json.loads(raw_oa)
    check_layout('auth', inv)
    eps = endpoints_by_key(inv)
    host = 'api.example.com'
    acc = eps.get((host, 'GET', '/v2/accounts/{accountId}'), {})
    check('auth: bearer JWT with alg and claims',
          acc.get('auth', {}).get('seen') == ['bearer-jwt'] and
          acc['auth'].get('jwt_algs') == ['HS256'] and
          set(acc['auth'].get('jwt_claims', [])) == {'sub', 'iss', 'scope'}, acc.get('auth'))
    check('auth: personal data in responses', acc.get('response', {}).get('sensitive', {})
          .get('types', {}).get('email', 0) > 0 and
          'sensitive-data-in-response' in acc['risk']['reasons'], acc.get('risk'))
    check('auth: path parameter classes', acc.get('path_params') ==
          [{'name': 'accountId', 'classes': ['integer']}], acc.get('path_params'))
    check('auth: callers estimated', acc.get('callers') == 1, acc.get('callers'))
    prof = [e for k, e in eps.items() if k[2].startswith('/v2/users/{')]
    check('auth: literal user names collapsed into one template', len(prof) == 1 and
          prof[0]['hits'] == USER_CALLS and prof[0]['auth']['apikey_header'] == 'x-api-key',
          sorted(k[2] for k in eps))
    collapsed = [e for e in ev if e['event_type'] == 'api_endpoint' and
                 e['api_endpoint'].get('origin') == 'collapse']
    check('auth: the collapsed template announced with what it replaced',
          len(collapsed) == 1 and collapsed[0]['api_endpoint']['replaced'] > 1,
          [e['api_endpoint'] for e in collapsed])
    login = eps.get((host, 'POST', '/v2/login'), {})
    check('auth: basic', login.get('auth', {}).get('seen') == ['basic'] and
          'basic-auth' in login['risk']['reasons'] and
          'auth-failures' in login['risk']['reasons'], login.get('risk'))
    exp = eps.get((host, 'GET', '/v2/export'), {})
    check('auth: API key in the query, external client',
          exp.get('auth', {}).get('apikey_query') == 'api_key' and
          'credential-in-query' in exp['risk']['reasons'] and
          'external-exposure' in exp['risk']['reasons'] and
          any(q['path'] == 'limit' for q in exp['request']['query']), exp)
    pub = eps.get((host, 'GET', '/v2/public/status'), {})
    check('auth: unauthenticated', pub.get('risk', {}).get('reasons') == ['unauthenticated'],
          pub.get('risk'))
    errs = openapi_check(oa)
    check('auth: OpenAPI 3.0 valid', not errs, errs[:5])
    schemes = oa['components']['securitySchemes']
    want = {'bearerJwt': {'type': 'http', 'scheme': 'bearer', 'bearerFormat': 'JWT'},
            'basic': {'type': 'http', 'scheme': 'basic'},
            'apiKeyHeader_x-api-key': {'type': 'apiKey', 'in': 'header', 'name': 'x-api-key'},
            'apiKeyQuery_api_key': {'type': 'apiKey', 'in': 'query', 'name': 'api_key'},
            'cookie_sessionid': {'type': 'apiKey', 'in': 'cookie', 'name': 'sessionid'}}
    check('auth: security schemes', schemes == want, schemes)
    op = oa['paths'].get('/v2/accounts/{accountId}', {}).get('get', {})
    check('auth: operation security and typed path parameter',
          op.get('security') == [{'bearerJwt': []}] and
          op['parameters'][0] == {'name': 'accountId', 'in': 'path', 'required': True,
                                  'schema': {'type': 'integer'}}, op)
    pub_op = oa['paths'].get('/v2/public/status', {}).get('get', {})
    check('auth: no security on unauthenticated operations', 'security' not in pub_op, pub_op)
    # The http event's url is Suricata's field, the request target as sent: not checked here.
    events = b''.join(json.dumps(e).encode() for e in ev
                      if e['event_type'] in ('api_endpoint', 'stats'))
    leaked = [s for s in SECRETS if s.encode() in raw_inv + raw_oa + events]
    check('auth: no credential value in the inventory, OpenAPI or api_endpoint output',
          not leaked, leaked)
    return pcap


def test_limits(apiwatch, pcap, tmp):
    ev, raw_inv, _ = run(apiwatch, ['-r', pcap, '--set', 'inventory.event-budget=2'], tmp, 'bud')
    st = [e for e in ev if e['event_type'] == 'stats'][-1]['api']['stats']['inventory']
    news = [e for e in ev if e['event_type'] == 'api_endpoint']
    n = len(json.loads(raw_inv)['endpoints'])
    check('limits: event budget per minute', len(news) == 2 and
          st['endpoints']['events_budget_dropped'] >= n - 2, (len(news), st['endpoints']))
    ev, raw_inv, _ = run(apiwatch, ['-r', pcap, '--set', 'inventory.max-endpoints=2'], tmp, 'cap')
    st = [e for e in ev if e['event_type'] == 'stats'][-1]['api']['stats']['inventory']
    check('limits: endpoint cap counted', len(json.loads(raw_inv)['endpoints']) == 2 and
          st['endpoints']['cap_hits'] > 0, st['endpoints'])
    check('limits: files counted', st['endpoints']['files_written'] == 2, st['endpoints'])
    ev, _, _ = run(apiwatch, ['-r', pcap, '--set', 'inventory.interval=1s'], tmp, 'ivl')
    st = [e for e in ev if e['event_type'] == 'stats'][-1]['api']['stats']['inventory']
    # The capture spans about 2.8 s: files at 1 s and 2 s of packet time, then at exit.
    check('limits: inventory file every interval of packet time',
          st['endpoints']['files_written'] == 4, st['endpoints'])
    ev, _, _ = run(apiwatch, ['-r', pcap, '--set', 'inventory.sample-first=1', '--set',
                              'inventory.sample-rate=1000'], tmp, 'smp')
    st = [e for e in ev if e['event_type'] == 'stats'][-1]['api']['stats']['inventory']
    check('limits: sampling skips calls', st['endpoints']['calls_skipped'] > 0 and
          st['endpoints']['calls_scanned'] + st['endpoints']['calls_skipped'] == st['calls'],
          st['endpoints'])
    p = subprocess.run([apiwatch, '-q', '-r', pcap, '--eve', os.path.join(tmp, 'x.json'),
                        '--inventory', os.path.join(tmp, 'nodir', 'inv.json')],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode().strip()
    check('limits: unwritable inventory path', p.returncode == 1 and len(err.splitlines()) == 1
          and 'inventory' in err, (p.returncode, err))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--apiwatch', required=True)
    ap.add_argument('--pcaps', required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix='apiwatch-inventory-') as tmp:
        test_test_pcaps(a.apiwatch, a.pcaps, tmp)
        pcap = test_auth(a.apiwatch, tmp)
        test_limits(a.apiwatch, pcap, tmp)
    print('%d passed, %d failed' % (len(PASSES), len(FAILS)))
    return 1 if FAILS else 0


if __name__ == '__main__':
    sys.exit(main())
