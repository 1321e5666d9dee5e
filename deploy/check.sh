#!/usr/bin/env bash
# Checks the deployment files offline: builds the Bicep templates and parameter files with the Bicep CLI from NuGet
# (deploy/tools/Bicep.csproj; a build runs Bicep's linter too), and validates docker-compose.yml with Compose (no Docker
# engine needed). Any error or warning fails the check. CI runs it (.ci/run); run it yourself after editing deploy/ or the compose file.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# The Bicep CLI: the package's props name the binary (BicepPath) once it is restored.
dotnet restore deploy/tools/Bicep.csproj -nologo -verbosity:quiet >/dev/null
bicep=$(dotnet msbuild deploy/tools/Bicep.csproj -nologo -getProperty:BicepPath)

# Runs one bicep command; its diagnostics (warnings included) go to stderr, and any of them fails the check.
run_bicep() {
  local what=$1
  shift
  if ! "$bicep" "$@" 2>"$out/diagnostics" >/dev/null || [ -s "$out/diagnostics" ]; then
    echo "deploy check: bicep $what failed:" >&2
    cat "$out/diagnostics" >&2
    failed=1
  fi
}

for template in deploy/azure/*.bicep; do
  run_bicep "build $template" build "$template" --outfile "$out/$(basename "$template" .bicep).json"
done
for parameters in deploy/azure/*.bicepparam; do
  run_bicep "build-params $parameters" build-params "$parameters" --outfile "$out/$(basename "$parameters" .bicepparam).parameters.json"
done

# Compose: the docker client's plugin if it has one, else Debian's docker-compose (Compose v1, which accepts a subset
# of the Compose spec: write the file in that subset).
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null; then
  compose=(docker-compose)
else
  echo "deploy check: no Compose to validate docker-compose.yml (apt-get install --no-install-recommends docker-compose)" >&2
  exit 1
fi
if ! "${compose[@]}" -f docker-compose.yml config -q; then
  echo "deploy check: docker-compose.yml does not validate (${compose[*]} config)" >&2
  failed=1
fi

if [ "$failed" -ne 0 ]; then
  exit 1
fi
echo "deploy check: the Bicep templates build without a warning; docker-compose.yml validates"
