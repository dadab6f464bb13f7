#!/usr/bin/env python3
"""Lists Rust functions longer than N lines (default 80) under a directory (default src):
brace matching with strings, chars and comments blanked out. Usage: scripts/long-fns.py [N] [DIR]"""
import re, sys, os
LIMIT = int(sys.argv[1]) if len(sys.argv) > 1 else 80
root = sys.argv[2] if len(sys.argv) > 2 else "src"
fn_re = re.compile(r'\bfn\s+([A-Za-z_][A-Za-z0-9_]*)')
def strip(src):
    out = []; i = 0; n = len(src)
    while i < n:
        c = src[i]
        if src.startswith('//', i):
            j = src.find('\n', i); j = n if j < 0 else j
            out.append(' ' * (j - i)); i = j; continue
        if src.startswith('/*', i):
            j = src.find('*/', i) + 2
            out.append(re.sub(r'[^\n]', ' ', src[i:j])); i = j; continue
        m = re.match(r'b?r(#*)"', src[i:i+10])
        if m and (i == 0 or not (src[i-1].isalnum() or src[i-1] == '_')):
            end = '"' + m.group(1); j = src.find(end, i + len(m.group(0))) + len(end)
            out.append(re.sub(r'[^\n]', ' ', src[i:j])); i = j; continue
        if c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == '\\' else 1
            j += 1
            out.append(re.sub(r'[^\n]', ' ', src[i:j])); i = j; continue
        if c == "'":
            m = re.match(r"'(\\.[^']*|[^'\\])'", src[i:i+12])
            if m:
                out.append(' ' * len(m.group(0))); i += len(m.group(0)); continue
        out.append(c); i += 1
    return ''.join(out)
res = []
for dp, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith('.rs'): continue
        p = os.path.join(dp, f); s = strip(open(p).read())
        for m in fn_re.finditer(s):
            # find the body's opening brace (before any ';')
            j = m.end(); depth = 0
            while j < len(s):
                ch = s[j]
                if ch in '(<[': depth += 1
                elif ch in ')>]': depth -= 1
                elif ch == ';' and depth <= 0: j = -1; break
                elif ch == '{' and depth <= 0: break
                j += 1
            if j < 0 or j >= len(s): continue
            d = 0; k = j
            while k < len(s):
                if s[k] == '{': d += 1
                elif s[k] == '}':
                    d -= 1
                    if d == 0: break
                k += 1
            start = s.count('\n', 0, m.start()) + 1; end = s.count('\n', 0, k) + 1
            if end - start + 1 > LIMIT: res.append((end - start + 1, p, start, m.group(1)))
for r in sorted(res, reverse=True): print(f"{r[0]:4} {r[1]}:{r[2]} {r[3]}")
