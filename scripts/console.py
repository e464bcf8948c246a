#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run an emulator whose serial console is its stdout; log the console with
host timestamps and stop it when the guest misbehaves.

  console.py --log FILE --status FILE [--init-timeout S] [--silence S]
             [--total S] -- COMMAND...

Deadlines: the guest must print "RIG: init reached" within --init-timeout
seconds, must never stay silent for --silence seconds, and the whole run ends
after --total seconds. Each log line is "[host SSSS.SS] <console line>".
The status file gets a JSON object: emulator exit code, whether a deadline
killed it (and which), elapsed seconds. Progress lines (RIG:, TAP results,
kernel problems) are echoed to stderr.
"""
import argparse
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time

ECHO = re.compile(r'^(RIG: |ok \d|not ok \d|\[\s*\d+\.\d+\] .*(WARNING:|BUG:|Oops|panic|KASAN|UBSAN|RIP:))')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--log', required=True)
    ap.add_argument('--status', required=True)
    ap.add_argument('--init-timeout', type=float, default=300)
    ap.add_argument('--silence', type=float, default=300)
    ap.add_argument('--total', type=float, default=3600)
    ap.add_argument('--prefix', default='')
    ap.add_argument('cmd', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ['--'] else a.cmd
    if not cmd:
        ap.error('no command')

    start = time.monotonic()
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as e:
        print(f'console.py: cannot start {cmd[0]}: {e}', file=sys.stderr)
        json.dump({'rc': None, 'killed': f'cannot start {cmd[0]}: {e}', 'elapsed': 0},
                  open(a.status, 'w'))
        return 1

    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    log = open(a.log, 'w', buffering=1, errors='replace')
    buf = b''
    last = start
    init_seen = False
    killed = None

    def emit(line):
        nonlocal init_seen
        now = time.monotonic() - start
        text = line.decode('utf-8', 'replace').rstrip('\r\n').replace('\r', '')
        log.write(f'[host {now:8.2f}] {text}\n')
        if text.startswith('RIG: init reached'):
            init_seen = True
        if ECHO.search(text):
            print(f'{a.prefix}[{now:7.1f}s] {text}', file=sys.stderr, flush=True)

    while True:
        now = time.monotonic()
        if not init_seen and now - start > a.init_timeout:
            killed = f'the guest never reached init within {a.init_timeout:.0f} s'
        elif now - last > a.silence:
            killed = f'no console output for {a.silence:.0f} s'
        elif now - start > a.total:
            killed = f'run exceeded its total limit of {a.total:.0f} s'
        if killed:
            break
        events = sel.select(timeout=1.0)
        if not events:
            if p.poll() is not None:
                break
            continue
        chunk = os.read(p.stdout.fileno(), 65536)
        if not chunk:
            break
        last = time.monotonic()
        buf += chunk
        *lines, buf = buf.split(b'\n')
        for line in lines:
            emit(line)
    if buf:
        emit(buf)

    if killed:
        print(f'{a.prefix}console.py: {killed}; stopping {cmd[0]}', file=sys.stderr)
        log.write(f'[host] RIG-HOST: killed: {killed}\n')
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                break
            try:
                p.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                pass
    rc = p.wait()
    elapsed = time.monotonic() - start
    log.close()
    json.dump({'rc': rc, 'killed': killed, 'elapsed': round(elapsed, 2)}, open(a.status, 'w'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
