#!/usr/bin/env bash
# Fault runs (each under a minute), with their counts printed:
#   SigkillTests        the built service SIGKILLed under load and restarted on the same SQLite file
#   HandlerFailureTests a fraction of handler fetches failing: retries, dead letters, replay
#   GraphRetryTests     the service down for FAULTS_DOWNTIME_SECONDS (here 30; the test alone uses 10), then up: the
#                       emulator's retried deliveries land and are handled once
# Usage: tests/ChangeNotifications.Benchmarks/faults.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FAULTS_DOWNTIME_SECONDS="${FAULTS_DOWNTIME_SECONDS:-30}" dotnet test "$ROOT/tests/ChangeNotifications.Tests" --filter "FullyQualifiedName~ChangeNotifications.Tests.Faults." \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "Passed |Failed |Error Message|Assert|answered 202|inbox rows|before replay|after replay|down [0-9]+ s|Total tests|Passed:|Failed:"
