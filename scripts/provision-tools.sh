#!/usr/bin/env bash
# Provision the real servers the tests and the demo run against:
#   - the Temporal CLI (dev server + Web UI), v1.5.1
#   - versitygw, an S3-compatible server, v1.7.0
# A binary named by TEMPORAL_CLI_PATH / GPHOTOS_S3_SERVER_PATH, or found on PATH, is used as is.
# Otherwise each tool is built once with `go install` into a cache outside the repository
# (GPHOTOS_TOOLS_DIR, default ${XDG_CACHE_HOME:-~/.cache}/gphotos-backup/tools) and reused.
# Prints one line per tool: NAME=PATH (and writes them to $TOOLS_DIR/tools.env).
set -euo pipefail

TEMPORAL_VERSION=v1.5.1
VERSITYGW_VERSION=v1.7.0
TOOLS_DIR="${GPHOTOS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gphotos-backup/tools}"

log() { printf '[provision] %s\n' "$*" >&2; }

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    cat >&2 <<MSG
[provision] Go is required to build $1 (no prebuilt binary was found).
  Install Go 1.23 or newer (https://go.dev/doc/install, or 'apt-get install golang' on Debian 13),
  or point $2 at an existing binary, then run this again.
MSG
    exit 2
  fi
}

# build NAME MODULE VERSION BINARY ENVVAR
build() {
  local name=$1 module=$2 version=$3 binary=$4 envvar=$5
  local given="${!envvar:-}"
  if [ -n "$given" ]; then
    [ -x "$given" ] || { log "$envvar=$given is not an executable file"; exit 2; }
    echo "$given"; return
  fi
  local dir="$TOOLS_DIR/$name-$version"
  if [ -x "$dir/bin/$binary" ]; then
    log "$name $version: cached at $dir/bin/$binary"
    echo "$dir/bin/$binary"; return
  fi
  if [ "${GPHOTOS_PROVISION_IGNORE_PATH:-}" != 1 ] && command -v "$binary" >/dev/null 2>&1; then
    log "$name: using $(command -v "$binary") from PATH"
    command -v "$binary"; return
  fi
  need_go "$name" "$envvar"
  log "$name $version: building with go install (once; cached in $dir)"
  local start=$SECONDS tmp="$dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/bin"
  GOBIN="$tmp/bin" GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 go install "$module@$version" >&2
  rm -rf "$dir"; mv "$tmp" "$dir"
  log "$name $version: built in $((SECONDS - start)) s"
  echo "$dir/bin/$binary"
}

mkdir -p "$TOOLS_DIR"
temporal=$(build temporal-cli github.com/temporalio/cli/cmd/temporal "$TEMPORAL_VERSION" temporal TEMPORAL_CLI_PATH)
s3=$(build versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" versitygw GPHOTOS_S3_SERVER_PATH)
{
  echo "TEMPORAL_CLI_PATH=$temporal"
  echo "GPHOTOS_S3_SERVER_PATH=$s3"
} | tee "$TOOLS_DIR/tools.env"
