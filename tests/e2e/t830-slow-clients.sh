#!/bin/sh
. "$top_srcdir/tests/e2e/lib.sh"
skip_all "todo"
