#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the warnings of a build log that its base log does not have.

  new-warnings.py [--strip PREFIX]... BASE.log NEW.log

Compiler, sparse and Sphinx diagnostics ("file:line[:col]: warning: msg",
"file:line: WARNING: msg", "error:", "ERROR:", "CRITICAL:") are compared
without their line and column numbers (a patch moves code), as counts per
file and message: one more of the same message in the same file is new.
PREFIX (the source tree, the build directory) is removed from file names.
Exit status 1 if NEW has a warning BASE has not.
"""
import argparse
import collections
import re
import sys

# file[:line[:col]] or file:docstring of X:line, then the kind: gcc, sparse,
# objtool ("x.o: warning: objtool: ..."), "cc1: warning:", Sphinx.
DIAG = re.compile(r'^(?P<file>\S+?)(?::(?:\d+|docstring of [^:]+))*: '
                  r'(?P<kind>warning|error|WARNING|ERROR|CRITICAL|SEVERE):\s*(?P<msg>.*)$')
# docutils: "file.rst:12: (ERROR/3) Unexpected indentation."
DOCUTILS = re.compile(r'^(?P<file>\S+?)(?::\d+)*: \((?P<kind>[A-Z]+)/\d\) (?P<msg>.*)$')
BARE = re.compile(r'^(?P<kind>WARNING|ERROR|CRITICAL): (?P<msg>.*)$')


def diagnostics(path, strip):
    found = collections.Counter()
    for line in open(path, errors='replace'):
        line = line.rstrip('\n')
        for p in strip:
            line = line.replace(p.rstrip('/') + '/', '')
        m = DIAG.match(line) or DOCUTILS.match(line) or BARE.match(line)
        if m:
            where = m.groupdict().get('file') or '-'
            found[f'{where}: {m.group("kind").lower()}: {m.group("msg")}'] += 1
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--strip', action='append', default=[])
    ap.add_argument('base')
    ap.add_argument('new')
    a = ap.parse_args()
    base, new = diagnostics(a.base, a.strip), diagnostics(a.new, a.strip)
    added = new - base
    for key, n in sorted(added.items()):
        print(f'{key}' + (f' (x{n})' if n > 1 else ''))
    return 1 if added else 0


if __name__ == '__main__':
    sys.exit(main())
