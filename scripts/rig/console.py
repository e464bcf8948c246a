#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run an emulator, log the guest's two serial channels with host timestamps,
and stop the emulator when the guest misbehaves.

  console.py --log FILE --console-log FILE --status FILE --report-fifo PATH
             [--init-timeout S] [--silence S] [--total S] -- COMMAND...

Two channels, so that the kernel cannot break the guest's report:
- the kernel console (the guest's ttyS0): the emulator's stdout, logged to
  --console-log; scanned later for WARN/BUG/panic lines;
- the report channel (the guest's ttyS1, written only by the rig's init and
  the tests it runs): the emulator writes it into the FIFO --report-fifo,
  which this script creates before the emulator starts (its path is also
  in the emulator's environment as RIG_REPORT), logged to --log.

Deadlines: the report channel must say "RIG: init reached" within
--init-timeout seconds, must then never stay silent for --silence seconds
(kernel console chatter does not count: a flood of kernel messages must not
hide a stuck guest), and the whole run ends after --total seconds. Each log
line is "[host SSSS.SS] <line>". The status file gets a JSON object:
emulator exit code, whether a deadline killed it (and which), elapsed
seconds. Progress lines (RIG:, TAP results, kernel problems) are echoed to
stderr.
"""
import argparse
import errno
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time

ECHO = re.compile(r'^(RIG: |ok \d|not ok \d|\[\s*\d+\.\d+\] .*(WARNING:|BUG:|Oops|panic|KASAN|UBSAN|RIP:))')


class Channel:
    """One byte stream from the guest, split into timestamped log lines."""

    def __init__(self, name, fd, path, start, prefix):
        self.name, self.fd, self.start, self.prefix = name, fd, start, prefix
        self.log = open(path, 'w', buffering=1, errors='replace')
        self.buf = b''
        self.eof = False

    def feed(self, chunk, on_line):
        self.buf += chunk
        *lines, self.buf = self.buf.split(b'\n')
        for line in lines:
            self.emit(line, on_line)

    def emit(self, line, on_line):
        now = time.monotonic() - self.start
        text = line.decode('utf-8', 'replace').rstrip('\r\n').replace('\r', '')
        self.log.write(f'[host {now:8.2f}] {text}\n')
        on_line(self, text)
        if ECHO.search(text):
            print(f'{self.prefix}[{now:7.1f}s] {text}', file=sys.stderr, flush=True)

    def close(self, on_line):
        if self.buf:
            self.emit(self.buf, on_line)
            self.buf = b''
        self.log.close()


def drain(ch, on_line):
    """Read what is left in a non-blocking channel."""
    while True:
        try:
            chunk = os.read(ch.fd, 65536)
        except BlockingIOError:
            return
        if not chunk:
            return
        ch.feed(chunk, on_line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--log', required=True, help='log of the report channel')
    ap.add_argument('--console-log', required=True, help='log of the kernel console')
    ap.add_argument('--report-fifo', required=True)
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

    def status(rc, killed, elapsed):
        with open(a.status, 'w') as f:
            json.dump({'rc': rc, 'killed': killed, 'elapsed': round(elapsed, 2)}, f)

    # The report FIFO, opened read-write: opening never blocks, and no EOF
    # comes while the emulator opens and closes it (the run ends when the
    # emulator exits, not when a writer goes away).
    try:
        os.unlink(a.report_fifo)
    except FileNotFoundError:
        pass
    os.mkfifo(a.report_fifo, 0o600)
    rfd = os.open(a.report_fifo, os.O_RDWR | os.O_NONBLOCK)
    start = time.monotonic()
    report = Channel('report', rfd, a.log, start, a.prefix)
    console = Channel('console', None, a.console_log, start, a.prefix)
    state = {'init': False, 'last_report': start}

    def on_line(ch, text):
        if ch is report and text.startswith('RIG: init reached'):
            state['init'] = True

    def cleanup(rc, killed):
        drain(report, on_line)
        if console.fd is not None and not console.eof:
            drain(console, on_line)
        if killed:
            report.log.write(f'[host] RIG-HOST: killed: {killed}\n')
        status(rc, killed, time.monotonic() - start)
        console.close(on_line)
        report.close(on_line)
        os.close(rfd)
        try:
            os.unlink(a.report_fifo)
        except FileNotFoundError:
            pass

    try:
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, start_new_session=True,
                             env=dict(os.environ, RIG_REPORT=a.report_fifo))
    except OSError as e:
        print(f'console.py: cannot start {cmd[0]}: {e}', file=sys.stderr)
        cleanup(None, f'cannot start {cmd[0]}: {e}')
        return 1
    console.fd = p.stdout.fileno()
    os.set_blocking(console.fd, False)
    sel = selectors.DefaultSelector()
    sel.register(console.fd, selectors.EVENT_READ, console)
    sel.register(report.fd, selectors.EVENT_READ, report)

    def pump(timeout):
        """Read what the channels have within timeout; False if nothing came."""
        events = sel.select(timeout=timeout)
        for key, _ in events:
            ch = key.data
            try:
                chunk = os.read(ch.fd, 65536)
            except BlockingIOError:
                continue
            except OSError as e:
                if e.errno != errno.EIO:
                    raise
                chunk = b''
            if not chunk:
                if ch is console:	# the emulator closed its stdout
                    console.eof = True
                    sel.unregister(ch.fd)
                continue
            if ch is report:
                state['last_report'] = time.monotonic()
            ch.feed(chunk, on_line)
        return bool(events)

    def stop_group():
        """SIGTERM, then SIGKILL, the emulator's whole session; keep reading
        meanwhile, or an emulator blocked on a full pipe never sees it.
        After the emulator's own exit, what is left of it gets SIGKILL."""
        sigs = (signal.SIGKILL,) if p.poll() is not None else (signal.SIGTERM, signal.SIGKILL)
        for sig in sigs:
            try:
                os.killpg(p.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + 5
            while p.poll() is None and time.monotonic() < deadline:
                pump(0.1)
            if p.poll() is not None:
                return

    # A SIGTERM to this script (make interrupted, a timeout) must not leave
    # the emulator running in its own session.
    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)

    killed = None
    try:
        while True:
            now = time.monotonic()
            if not state['init'] and now - start > a.init_timeout:
                killed = f'the guest never reached init within {a.init_timeout:.0f} s'
            elif state['init'] and now - state['last_report'] > a.silence:
                killed = f'no output on the report channel for {a.silence:.0f} s'
            elif now - start > a.total:
                killed = f'run exceeded its total limit of {a.total:.0f} s'
            if killed:
                print(f'{a.prefix}console.py: {killed}; stopping {cmd[0]}', file=sys.stderr)
                break
            got = pump(1.0)
            if (console.eof or not got) and p.poll() is not None:
                break
    except SystemExit:
        killed = 'console.py stopped by SIGTERM'
        print(f'{a.prefix}console.py: {killed}; stopping {cmd[0]}', file=sys.stderr)
        raise
    except BaseException as e:
        killed = f'console.py stopped: {type(e).__name__} {e}'.strip()
        raise
    finally:
        # Whatever ended the run: nothing of the emulator's session survives
        # it (a guest's leftover writer, an emulator past its deadline).
        stop_group()
        rc = p.wait()
        cleanup(rc, killed)
    return 0


if __name__ == '__main__':
    sys.exit(main())
