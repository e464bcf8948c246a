#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one rig run (the two logs and the status from console.py) into results.

  report.py --leg NAME --log FILE --console FILE --status FILE --list TESTLIST
            [--vendor svm|vmx] [--known FILE] [--baseline] [--allow-dropped]
            [--tsv OUT] [--counts OUT]

--log is the guest's report channel (its ttyS1: the rig's init and the
tests, never the kernel); --console the kernel console (ttyS0). Reads the
"RIG:" markers and the KTAP lines that run_kselftest.sh printed from the
report channel, times each test from the host timestamps, and checks the
kernel's own lines on the console: a WARN, BUG, oops, panic, KASAN/UBSAN,
lockdep or kmemleak report or RCU stall anywhere fails the run, and so does a console that
dropped messages (the check would be blind to them) or a kernel line on the
report channel (the kernel must never write there).

Every test of TESTLIST is expected to pass, except those in the known-failures
file (expected to fail because of the emulator, with a reason): those are
still run and reported, as "known failure", never counted as passed. A test
expected to pass that skips counts as failed. With --baseline nothing is
expected: outcomes are recorded as they are.

Tests named in the --nested file (the series' own, kselftest_harness tests)
count case by case: each nested KTAP result ("# ok 3 global.case", "# not
ok", "# ok ... # SKIP") is one pass, failure or skip, a case the plan
("# 1..N") announced but the output lacks is a failure, and so is a binary
that fails with no failing case to show for it (a crash). A skipped case is
counted as skipped, never as passed.

Prints a line per test (and per nested case), then "<leg>: N passed, N
failed, N skipped". Exit status 1 if anything failed.
"""
import argparse
import json
import os
import re
import sys

HOST = re.compile(r'^\[host\s+([\d.]+)\] ?(.*)$')
START = re.compile(r'^# selftests: kvm: (\S+)$')
# A test whose last output line had no newline leaves it in front of the result.
RESULT = re.compile(r'^(?:# .*?)?(not ok|ok) \d+ selftests: kvm: (\S+)(?: # (.*))?$')
KERNEL_BAD = re.compile(
    # a WARN: "WARNING: CPU: N" before 6.x, "WARNING: FILE:LINE at" in 7.3
    r'\[\s*\d+\.\d{6}\] (?:.*---\[ end trace|.*\b(?:WARNING: CPU: \d+|WARNING: at|WARNING: \S+:\d+ at |'
    r'BUG: |kernel BUG at|Oops: |list_(?:add|del) corruption|INFO: task \S+ blocked|'
    r'general protection fault|Kernel panic|KASAN: |UBSAN: |rcu_sched self-detected stall|'
    r'rcu: INFO: rcu_\w+ (?:self-)?detected stall|watchdog: BUG: soft lockup|'
    r'unchecked MSR access error|Unable to handle kernel|'
    # lockdep and PROVE_RCU (make check-debug), kmemleak's own report
    r'WARNING: (?:possible|inconsistent|suspicious|bad unlock|held lock|lock held|Nested lock|'
    r'HARDIRQ|SOFTIRQ)|new suspected memory leaks))')


# A printk record (printk.time=1), anywhere in a line: on the report channel
# it means the kernel wrote there.
KERNEL_LINE = re.compile(r'\[\s*\d+\.\d{6}\] ')
# The console lost kernel messages (printk could not keep up).
DROPPED = re.compile(r'\*\* (\d+) printk messages dropped \*\*')


def log_lines(path):
    """The lines of a console.py log, without the host timestamps."""
    if not os.path.exists(path):
        return
    for raw in open(path, errors='replace'):
        m = HOST.match(raw.rstrip('\n'))
        if m:
            yield m.group(2)


# A nested (one level down) KTAP plan and result, as run_kselftest.sh
# prints them: prefixed with "# ".
NESTED_PLAN = re.compile(r'^# 1\.\.(\d+)$')
NESTED_RESULT = re.compile(r'^# (not ok|ok) (\d+) (?:- )?(\S+)(?: # (.*))?$')


def read_list(path):
    tests = []
    for line in open(path):
        line = line.split('#', 1)[0].split()
        if line:
            tests.append(line[0])
    return tests


def read_known(path):
    known = {}
    if path and os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            name, _, reason = line.partition(' ')
            known[name] = reason.strip() or 'no reason given'
    return known


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--leg', required=True)
    ap.add_argument('--log', required=True, help='log of the report channel')
    ap.add_argument('--console', required=True, help='log of the kernel console')
    ap.add_argument('--status', required=True)
    ap.add_argument('--list', required=True)
    ap.add_argument('--known')
    ap.add_argument('--baseline', action='store_true')
    ap.add_argument('--tsv')
    ap.add_argument('--counts')
    ap.add_argument('--allow-dropped', action='store_true',
                    help='a console that dropped messages is not a failure (printk flood test)')
    ap.add_argument('--vendor', help='the KVM vendor the guest must report (svm, vmx)')
    ap.add_argument('--nested', help='list of tests whose nested KTAP cases count one by one')
    a = ap.parse_args()
    nested_tests = set(os.path.basename(t) for t in read_list(a.nested)) if a.nested else set()

    tests = read_list(a.list)
    known = read_known(a.known)
    by_base = {}
    for t in tests:
        b = os.path.basename(t)
        if b in by_base:
            sys.exit(f'report.py: two tests share the name {b}: {by_base[b]} and {t}')
        by_base[b] = t

    status = json.load(open(a.status)) if os.path.exists(a.status) else {'rc': None, 'killed': 'no status file'}
    started, results, kernel_bad = {}, {}, []
    cases, plans, current = {}, {}, None	# nested cases and plans, by test
    done = init = False
    kvm_line = None
    console_rig, dropped = [], 0
    for line in log_lines(a.console):
        if KERNEL_BAD.search(line):
            kernel_bad.append(line)
        m = DROPPED.search(line)
        if m:
            dropped += int(m.group(1))
        if line.startswith('RIG: '):
            console_rig.append(line)
    on_report, tainted, bad_taint_line = [], 0, None
    for raw in (open(a.log, errors='replace') if os.path.exists(a.log) else []):
        m = HOST.match(raw.rstrip('\n'))
        if not m:
            continue
        t, line = float(m.group(1)), m.group(2)
        if KERNEL_LINE.search(line):
            on_report.append(line)
        if line.startswith('RIG: init reached'):
            init = True
        elif line.startswith('RIG: kvm '):
            kvm_line = line
        elif line.startswith('RIG: tests done'):
            done = True
        elif line.startswith('RIG: tainted'):
            m = re.fullmatch(r'RIG: tainted (\d+)', line)
            if m:
                tainted = int(m.group(1))
            else:
                bad_taint_line = line
        m = START.match(line)
        if m:
            started[m.group(1)] = t
            current = m.group(1)
            continue
        m = current in nested_tests and (NESTED_PLAN.match(line) or NESTED_RESULT.match(line))
        if m:
            if m.re is NESTED_PLAN:
                plans.setdefault(current, int(m.group(1)))
            else:
                d = m.group(4) or ''
                o = ('skip' if d.upper().startswith('SKIP') else 'pass') if m.group(1) == 'ok' else 'fail'
                cases.setdefault(current, []).append((m.group(3).lstrip('/'), o, d))
            continue
        m = RESULT.match(line)
        if m:
            current = None
            base, directive = m.group(2), (m.group(3) or '')
            if m.group(1) == 'ok':
                outcome = 'skip' if directive.upper().startswith('SKIP') else \
                          'xfail' if directive.upper().startswith('XFAIL') else 'pass'
            else:
                outcome = 'timeout' if directive.startswith('TIMEOUT') else 'fail'
            secs = t - started.get(base, t)
            results[base] = (outcome, secs, directive)

    rows, npass, nfail, nskip, nknown = [], 0, 0, 0, 0
    for t in tests:
        b = os.path.basename(t)
        outcome, secs, directive = results.get(b, ('missing', 0.0, 'no result: the run ended before it'))
        if a.baseline:
            verdict = outcome
            if outcome == 'pass':
                npass += 1
            elif outcome == 'skip':
                nskip += 1
            else:
                nfail += 1
        elif t in known:
            if outcome == 'pass':
                verdict, npass = 'PASS (on the known-failures list)', npass + 1
            elif outcome == 'skip':
                verdict, nskip = 'SKIP', nskip + 1
            else:
                verdict, nknown = f'KNOWN FAILURE ({outcome}): {known[t]}', nknown + 1
        elif b in nested_tests and outcome != 'missing':
            got = cases.get(b, [])
            for name, o, d in got:
                verdict = {'pass': 'PASS', 'skip': 'SKIP (counted as skipped)', 'fail': 'FAIL'}[o]
                npass, nskip, nfail = npass + (o == 'pass'), nskip + (o == 'skip'), nfail + (o == 'fail')
                rows.append((f'{t}/{name}', o, 0.0, d))
                print(f'{a.leg}: {t + "/" + name:45s} {verdict:10s} {"":8s} {d}'.rstrip())
            lost = plans.get(b, 0) - len(got)
            if not got:
                verdict, nfail = f'FAIL ({outcome}): no case reported a result', nfail + 1
            elif all(o == 'skip' for _, o, _ in got):
                verdict, nfail = f'FAIL ({outcome}): every case skipped', nfail + 1
            elif lost > 0:
                verdict, nfail = f'FAIL ({outcome}): {lost} case(s) of its plan have no result', nfail + 1
            elif outcome not in ('pass', 'skip') and not any(o == 'fail' for _, o, _ in got):
                verdict, nfail = f'FAIL ({outcome}) with no failing case', nfail + 1
            else:
                verdict = f'{len(got)} cases, counted above'
        elif outcome == 'pass':
            verdict, npass = 'PASS', npass + 1
        elif outcome == 'skip':
            verdict, nfail = 'FAIL (skipped, expected to pass)', nfail + 1
        else:
            verdict, nfail = f'FAIL ({outcome})', nfail + 1
        rows.append((t, outcome, secs, directive))
        print(f'{a.leg}: {t:45s} {verdict:10s} {secs:7.1f}s {directive}'.rstrip())

    extra = set(results) - set(by_base)
    problems = []
    if status.get('killed'):
        problems.append(f'run stopped: {status["killed"]}')
    if not init and console_rig:
        problems.append('the guest never reached init on the report channel; on the console it said: '
                        + console_rig[-1][5:])
    elif not init:
        problems.append('the guest never reached init (see the console log)')
    elif not kvm_line or 'missing' in kvm_line:
        problems.append(kvm_line[5:] if kvm_line else 'the guest did not report KVM')
    elif a.vendor and not kvm_line.startswith(f'RIG: kvm ready: {a.vendor}'):
        problems.append(f'expected KVM on {a.vendor}, the guest says: {kvm_line[5:]}')
    elif not done:
        problems.append('the guest did not finish the tests (kernel died or run was cut)')
    if status.get('rc') not in (1, 0, None) and not status.get('killed'):
        problems.append(f'emulator exited with status {status.get("rc")}')
    for line in kernel_bad:
        problems.append(f'kernel log: {line}')
    # Taints a kernel problem sets, whatever the console showed: bad page,
    # oops, WARN, soft lockup (Documentation/admin-guide/tainted-kernels.rst).
    bad_taint = {5: 'B', 7: 'D', 9: 'W', 14: 'L'}
    flags = ''.join(f for b, f in bad_taint.items() if tainted & (1 << b))
    if flags:
        problems.append(f'kernel tainted {tainted} ({flags}) at the end of the tests')
    if bad_taint_line:
        problems.append(f'unreadable taint report: {bad_taint_line!r}')
    if on_report:
        problems.append(f'{len(on_report)} kernel line(s) on the report channel, the first: {on_report[0]}')
    if dropped and not a.allow_dropped:
        problems.append(f'kernel log incomplete: the console dropped {dropped} message(s)')
    if extra:
        problems.append(f'results for tests that were not selected: {sorted(extra)}')
    for p in problems:
        print(f'{a.leg}: FAIL {p}')
    nfail += len(problems)

    if a.tsv:
        with open(a.tsv, 'w') as f:
            f.write('# test\tresult\tseconds\tdetail\n')
            for t, outcome, secs, directive in rows:
                f.write(f'{t}\t{outcome}\t{secs:.1f}\t{directive}\n')
    if nknown:
        print(f'{a.leg}: {nknown} known failure(s) caused by the emulator, run and not counted as passed')
    print(f'{a.leg}: elapsed {status.get("elapsed", 0):.0f} s (emulator wall time)')
    summary = f'{npass} passed, {nfail} failed, {nskip} skipped'
    print(f'{a.leg}: {summary}')
    if a.counts:
        with open(a.counts, 'w') as f:
            f.write(f'{npass} {nfail} {nskip} {nknown}\n')
    return 1 if nfail else 0


if __name__ == '__main__':
    sys.exit(main())
