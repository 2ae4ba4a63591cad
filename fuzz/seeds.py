#!/usr/bin/env python3
"""Seed inputs for the text harnesses, taken from the tests (fuzz/seeds.sh).

usage: seeds.py TARGET TOP_SRCDIR OUTDIR    (TARGET: proto, qsyntax, conf)

proto:   every request of tests/e2e/protocol_cases.py, alone (whole, real
         line limit) and all together (in 7-byte pieces; a 16-byte limit).
qsyntax: the queries of the qsyntax tests in tests/unit/check_proto.c and
         the "q" of the protocol cases.
conf:    the configuration texts of tests/unit/check_conf.c.
"""
import ast
import json
import os
import re
import sys

TARGET, TOP, OUT = sys.argv[1], sys.argv[2], sys.argv[3]

# A C string literal; adjacent ones (with only blanks between) are joined.
LIT = r'"(?:[^"\\\n]|\\.)*"'
RUN = re.compile(LIT + r'(?:\s*' + LIT + r')*')


def c_unescape(lit):
    """The bytes of a C literal's body (simple escapes, \\x, octal)."""
    out = bytearray()
    i = 0
    while i < len(lit):
        c = lit[i]
        if c != '\\':
            out += c.encode()
            i += 1
            continue
        e = lit[i + 1]
        if e == 'x':
            m = re.match(r'[0-9a-fA-F]+', lit[i + 2:])
            out.append(int(m.group(0), 16) & 0xff)
            i += 2 + len(m.group(0))
        elif e in '01234567':
            m = re.match(r'[0-7]{1,3}', lit[i + 1:])
            out.append(int(m.group(0), 8) & 0xff)
            i += 1 + len(m.group(0))
        else:
            out += {'n': b'\n', 't': b'\t', 'r': b'\r', '"': b'"',
                    '\\': b'\\', "'": b"'", '0': b'\0'}.get(e, e.encode())
            i += 2
    return bytes(out)


def c_strings(text):
    """Every run of adjacent literals in text, as bytes."""
    for m in RUN.finditer(text):
        parts = re.findall(LIT, m.group(0))
        yield b''.join(c_unescape(p[1:-1]) for p in parts)


def protocol_cases():
    src = open(os.path.join(TOP, 'tests/e2e/protocol_cases.py')).read()
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and \
                getattr(node.targets[0], 'id', '') == 'CASES':
            # Literals and b"a" * 5000: our own test data, evaluated
            # without builtins.
            expr = ast.Expression(node.value)
            cases = eval(compile(expr, 'protocol_cases.py', 'eval'),
                         {'__builtins__': {}})
            return [case[1] for case in cases]
    sys.exit('seeds.py: no CASES in protocol_cases.py')


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)


def main():
    seeds = []
    if TARGET == 'proto':
        cases = protocol_cases()
        # Byte 0: piece size (0 = whole); byte 1: line limit (0x80 = real).
        seeds = [b'\x00\x80' + c for c in cases]
        seeds.append(b'\x07\x80' + b''.join(cases))
        seeds.append(b'\x01\x10' + b''.join(cases[:8]))
    elif TARGET == 'qsyntax':
        src = open(os.path.join(TOP, 'tests/unit/check_proto.c')).read()
        for block in re.findall(r'START_TEST\(qsyntax.*?END_TEST', src,
                                re.S):
            seeds += [s for s in c_strings(block) if b'%' not in s]
        for case in protocol_cases():
            for line in case.split(b'\n'):
                try:
                    q = json.loads(line).get('q')
                except (ValueError, AttributeError):
                    continue
                if isinstance(q, str):
                    seeds.append(q.encode('utf-8', 'surrogatepass'))
    elif TARGET == 'conf':
        src = open(os.path.join(TOP, 'tests/unit/check_conf.c')).read()
        for s in c_strings(src):
            if (b'=' in s or b'[' in s) and b'\n' in s:
                seeds.append(s.replace(b'%s', b'/tmp').replace(b'%u', b'1'))
    else:
        sys.exit('seeds.py: unknown target ' + TARGET)
    seen = set()
    for s in seeds:
        if s not in seen:
            seen.add(s)
            write('%s-%03d' % (TARGET, len(seen)), s)
    print('%s: %d seeds' % (TARGET, len(seen)))


main()
