#!/usr/bin/env bash
# Fault runs (each under a minute), with their counts printed:
#   SigkillTests        the built service SIGKILLed under load and restarted on the same SQLite file
#   HandlerFailureTests a fraction of handler fetches failing: retries, dead letters, replay
# Usage: tests/ChangeNotifications.Benchmarks/faults.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dotnet test "$ROOT/tests/ChangeNotifications.Tests" --filter "FullyQualifiedName~ChangeNotifications.Tests.Faults." \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "Passed |Failed |Error Message|Assert|answered 202|inbox rows|before replay|after replay|retries|Total tests|Passed:|Failed:"
