#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_endpoint_spec (test/fuzz/corpus/endpoint_spec/).

The hand-written specs of test/specs/ (YAML and JSON, good and broken), plus small documents
for what a fuzzer finds slowly: anchors and aliases, 3.1 type lists and boolean schemas,
server variables, patterns with parameters inside segments, recursive schemas through allOf,
and a JSON spec with escapes.

Usage: make_endpoint_spec_seeds.py [OUTDIR]
"""
import os
import shutil
import sys

HEAD = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n"

SEEDS = {
    "aliases.yaml": HEAD + "x-p: &p [{name: q, in: query, schema: {type: integer}}]\n"
    "paths:\n  /a: {get: {parameters: *p}}\n  /b: {get: {parameters: *p}}\n",
    "types31.yaml": HEAD + "paths:\n  /t:\n    post:\n      requestBody:\n        content:\n"
    "          application/vnd.x+json:\n            schema:\n              type: [object, 'null']\n"
    "              properties: {a: true, b: {const: 3}, c: {type: [integer, string]}}\n",
    "servers.yaml": HEAD + "servers:\n  - url: '{s}://h:{port}/{base}/v1'\n    variables:\n"
    "      s: {default: https}\n      port: {default: '443', enum: ['443', '8443']}\n"
    "      base: {default: api, enum: [api, beta]}\n  - url: ./rel\npaths: {/x: {get: {}}}\n",
    "patterns.yaml": HEAD + "paths:\n  /f/{name}.{ext}: {get: {}}\n  /f/v{n}: {get: {}}\n"
    "  /f/{id}: {get: {}}\n  /f/latest: {get: {}}\n",
    "recursive.yaml": HEAD + "paths:\n  /n:\n    post:\n      requestBody:\n        content:\n"
    "          application/json: {schema: {$ref: '#/components/schemas/N'}}\n"
    "components:\n  schemas:\n    N:\n      allOf:\n        - {$ref: '#/components/schemas/B'}\n"
    "        - {type: object, properties: {kids: {type: array, items: {$ref: '#/components/schemas/N'}}}}\n"
    "    B: {type: object, required: [id], additionalProperties: false, properties: {id: {type: integer}}}\n",
    "escapes.json": '{"openapi": "3.0.1", "info": {"title": "\\u00e9\\ud83d\\ude00", "version": "1"},'
    ' "paths": {"/a\\/b/{id}": {"get": {"parameters": [{"name": "id", "in": "path",'
    ' "required": true, "schema": {"type": "integer", "maximum": 1e3}}]}}}}\n',
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "endpoint_spec")
    os.makedirs(out, exist_ok=True)
    specs = os.path.join(here, "..", "specs")
    n = 0
    for name in sorted(os.listdir(specs)):
        shutil.copyfile(os.path.join(specs, name), os.path.join(out, name))
        n += 1
    for name, text in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "w") as f:
            f.write(text)
        n += 1
    print("wrote %d seeds to %s" % (n, out))


if __name__ == "__main__":
    main()
