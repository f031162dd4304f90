#!/bin/sh
# Fault-injection soak of `saturn run`: scripts/soak.sh [FAULTS] [--seed S]
# [--workloads quickstart,fused,ddp] [--keep]. See scripts/soak.py.
exec python3 "$(dirname "$0")/soak.py" "$@"
