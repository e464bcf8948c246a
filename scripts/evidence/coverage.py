#!/usr/bin/env python3
"""Coverage of the series' own lines (make coverage; scripts/evidence/coverage.sh).

For each leg, gcov (JSON) reads the counters the guest wrote out
(COV/LEG/gcda/...) with the notes of the build (BUILD/.../*.gcno); counts of
one source line are summed over the objects that include it. The lines the
series adds or changes are those of `git diff -U0 BASE HEAD` over
arch/x86/kvm and virt/kvm in the kernel tree, BASE being the rig's "base:"
commit; the executable ones are those gcov lists. Per file: added executable
lines, executed in each leg and in either. Every added line that ran in no
leg must match an entry of the reasons file:

    FILE<TAB>FUNCTION<TAB>TEXT<TAB>REASON

(TEXT: a substring of the source line, or * for any line of FUNCTION);
else it is listed as unexplained and the exit status is 1. An entry that
matches no unexecuted line is stale: also status 1.
"""
import argparse
import collections
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def git(linux, *args):
    return subprocess.run(['git', '-C', linux, *args], check=True,
                          capture_output=True, text=True).stdout


def added_lines(linux):
    base = git(linux, 'log', '--format=%H', '--grep=^base:').split()[-1]
    diff = git(linux, 'diff', '-U0', base, 'HEAD', '--', 'arch/x86/kvm', 'virt/kvm')
    added = collections.defaultdict(set)
    path = None
    for l in diff.splitlines():
        if l.startswith('+++ '):
            path = l[6:] if l.startswith('+++ b/') else None
        m = re.match(r'^@@ -\S+ \+(\d+)(?:,(\d+))? @@', l)
        if m and path:
            start, n = int(m.group(1)), int(m.group(2) or 1)
            added[path].update(range(start, start + n))
    return added


def gcov_leg(build, gcda_dir, linux):
    """{file: {line: count}}, {file: {line: function}} for one leg."""
    counts = collections.defaultdict(lambda: collections.defaultdict(int))
    funcs = collections.defaultdict(dict)
    tmp = tempfile.mkdtemp()
    try:
        for gcda in glob.glob(os.path.join(gcda_dir, '**', '*.gcda'), recursive=True):
            rel = os.path.relpath(gcda, gcda_dir)
            # debugfs mirrors the build directory's absolute path
            i = max(rel.find('arch/x86/kvm/'), rel.find('virt/kvm/'))
            if i < 0:
                continue
            obj = rel[i:-len('.gcda')]
            gcno = os.path.join(build, obj + '.gcno')
            if not os.path.exists(gcno):
                sys.exit(f'no {gcno} for {rel}')
            d = os.path.join(tmp, os.path.dirname(obj))
            os.makedirs(d, exist_ok=True)
            shutil.copy(gcda, os.path.join(tmp, obj + '.gcda'))
            shutil.copy(gcno, os.path.join(tmp, obj + '.gcno'))
            out = subprocess.run(['gcov', '--json-format', '--stdout', '-o', d,
                                  os.path.join(tmp, obj + '.gcda')],
                                 capture_output=True, text=True, cwd=tmp)
            if out.returncode:
                sys.exit(f'gcov failed on {obj}: {out.stderr}')
            for doc in out.stdout.splitlines():
                if not doc.strip():
                    continue
                for f in json.loads(doc)['files']:
                    path = os.path.normpath(f['file'])
                    if os.path.isabs(path):
                        path = os.path.relpath(path, linux)
                    while path.startswith('../'):
                        path = path[3:]
                    for ln in f['lines']:
                        counts[path][ln['line_number']] += ln['count']
                    for fn in f.get('functions', []):
                        for n in range(fn['start_line'], fn['end_line'] + 1):
                            funcs[path].setdefault(n, fn.get('demangled_name', fn['name']))
    finally:
        shutil.rmtree(tmp)
    return counts, funcs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--linux', required=True)
    ap.add_argument('--build', required=True)
    ap.add_argument('--cov', required=True)
    ap.add_argument('--reasons', required=True)
    ap.add_argument('--legs', required=True)
    a = ap.parse_args()
    legs = a.legs.split()
    added = added_lines(a.linux)
    per_leg, funcs = {}, collections.defaultdict(dict)
    for leg in legs:
        per_leg[leg], f = gcov_leg(a.build, os.path.join(a.cov, leg, 'gcda'), a.linux)
        for path, m in f.items():
            funcs[path].update(m)
    reasons = []
    for l in open(a.reasons):
        if l.strip() and not l.startswith('#'):
            parts = l.rstrip('\n').split('\t')
            if len(parts) != 4:
                sys.exit(f'{a.reasons}: want FILE<TAB>FUNCTION<TAB>TEXT<TAB>REASON: {l!r}')
            reasons.append(parts + [0])

    status = 0
    tot = collections.Counter()
    unexec, one_leg, no_data = [], [], []
    print(f'{"file":34} {"added":>6} ' + ' '.join(f'{l:>6}' for l in legs) + f' {"either":>6}')
    for path in sorted(added):
        src = open(os.path.join(a.linux, path)).read().splitlines()
        execl = sorted(n for n in added[path] if any(n in per_leg[l].get(path, {}) for l in legs))
        if not execl:
            if not any(path in per_leg[l] for l in legs):
                no_data.append(f'{path} ({len(added[path])} added lines)')
            continue
        ran = {l: {n for n in execl if per_leg[l].get(path, {}).get(n, 0) > 0} for l in legs}
        either = set().union(*ran.values())
        print(f'{path:34} {len(execl):6} ' + ' '.join(f'{len(ran[l]):6}' for l in legs) + f' {len(either):6}')
        tot['added'] += len(execl)
        tot['either'] += len(either)
        for l in legs:
            tot[l] += len(ran[l])
        for n in execl:
            if n not in either:
                unexec.append((path, n, funcs[path].get(n, '?'), src[n - 1].strip()))
            elif len(legs) > 1 and any(n not in ran[l] for l in legs):
                one_leg.append((path, n, [l for l in legs if n in ran[l]][0], funcs[path].get(n, '?'),
                                src[n - 1].strip()))
    print(f'{"total":34} {tot["added"]:6} ' + ' '.join(f'{tot[l]:6}' for l in legs) + f' {tot["either"]:6}')
    # Headers with only declarations, or files not built: said, not counted.
    for f in no_data:
        print(f'# no gcov data (no executable line, or not built): {f}')
    if not tot['added']:
        print('not ok - no added executable line has gcov data: were the counters read?')
        status = 1
    pct = 100.0 * tot['either'] / max(tot['added'], 1)
    print(f'# coverage: {tot["either"]} of {tot["added"]} added executable lines ran ({pct:.1f} %)' +
          ''.join(f'; {l} {tot[l]}' for l in legs))
    for path, n, leg, fn, text in one_leg:
        print(f'# ran in {leg} only: {path}:{n} {fn}: {text}')
    print('# not run, and why:')
    for path, n, fn, text in unexec:
        why = None
        for r in reasons:
            if r[0] == path and r[1] == fn and (r[2] == '*' or r[2] in text):
                why = r[3]
                r[4] += 1
                break
        if why:
            print(f'#   {path}:{n} {fn}: {text}  -- {why}')
        else:
            print(f'not ok - {path}:{n} {fn}: "{text}" never ran and tests/coverage/unexecuted.txt has no reason')
            status = 1
    for r in reasons:
        if not r[4]:
            print(f'not ok - stale reason (no unexecuted line matches): {r[0]} {r[1]} {r[2]!r}')
            status = 1
    return status


if __name__ == '__main__':
    sys.exit(main())
