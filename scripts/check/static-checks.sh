#!/bin/bash
# The repo's own checks that need no kernel: lint and tests/test-*.sh.
. "$(dirname "$0")/../lib.sh"
exec "$TOP/scripts/check/run-tests.sh" static "$TOP"/tests/test-*.sh
