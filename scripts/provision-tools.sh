#!/usr/bin/env bash
# Provision the real servers the tests and the demo run against:
#   - the Temporal CLI (dev server + Web UI), v1.5.1
#   - versitygw, an S3-compatible server, v1.7.0
#   - the Java SDK's Temporal test server (time skipping, for workflow tests), 1.38.0
#   - Chromium, for the test that opens the Temporal Web UI: Debian's package, installed with
#     apt-get when the script runs as root (or can sudo) and none is on PATH; nothing downloads
#     a browser of its own
# A binary named by TEMPORAL_CLI_PATH / GPHOTOS_S3_SERVER_PATH / TEMPORAL_TEST_SERVER_PATH /
# CHROMIUM_PATH, or
# found on PATH, is used as is. Otherwise the Go tools are built once with `go install`, and the
# test server's jars are fetched once from Maven Central with `mvn`, into a cache outside the
# repository (GPHOTOS_TOOLS_DIR, default ${XDG_CACHE_HOME:-~/.cache}/gphotos-backup/tools).
# Prints one line per tool: NAME=PATH (and writes them to $TOOLS_DIR/tools.env).
set -euo pipefail

TEMPORAL_VERSION=v1.5.1
VERSITYGW_VERSION=v1.7.0
TEST_SERVER_VERSION=1.38.0
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

# existing NAME VERSION BINARY ENVVAR: prints the binary to use when there is one already (named by
# the variable, cached, or on PATH); returns 1 when it has to be built or fetched.
existing() {
  local name=$1 version=$2 binary=$3 envvar=$4
  local given="${!envvar:-}"
  if [ -n "$given" ]; then
    [ -x "$given" ] || { log "$envvar=$given is not an executable file"; exit 2; }
    echo "$given"; return 0
  fi
  local cached="$TOOLS_DIR/$name-$version/bin/$binary"
  if [ -x "$cached" ]; then
    log "$name $version: cached at $cached"
    echo "$cached"; return 0
  fi
  if [ "${GPHOTOS_PROVISION_IGNORE_PATH:-}" != 1 ] && command -v "$binary" >/dev/null 2>&1; then
    log "$name: using $(command -v "$binary") from PATH"
    command -v "$binary"; return 0
  fi
  return 1
}

# build NAME MODULE VERSION BINARY ENVVAR
build() {
  local name=$1 module=$2 version=$3 binary=$4 envvar=$5
  existing "$name" "$version" "$binary" "$envvar" && return
  local dir="$TOOLS_DIR/$name-$version"
  need_go "$name" "$envvar"
  log "$name $version: building with go install (once; cached in $dir)"
  local start=$SECONDS tmp="$dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/bin"
  GOBIN="$tmp/bin" GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 go install "$module@$version" >&2
  rm -rf "$dir"; mv "$tmp" "$dir"
  log "$name $version: built in $((SECONDS - start)) s"
  echo "$dir/bin/$binary"
}

# The launcher takes what the TypeScript SDK gives an 'existing-path' test server: <port> (and any
# extra args). Without --enable-time-skipping the server starts with time skipping locked, as the
# SDK expects: its client unlocks it while a test awaits a workflow result. JVM flags favour a fast
# start: the SDK gives the server 5 s to answer. The SDK stops the server when a test tears its
# environment down; a watchdog stops it too when the process that started it dies without that.
write_test_server_launcher() {
  cat >"$1/bin/temporal-test-server" <<LAUNCHER
#!/bin/sh
# Temporal test server $TEST_SERVER_VERSION (io.temporal:temporal-test-server): temporal-test-server PORT [--enable-time-skipping]
[ -n "\$1" ] || { echo "usage: \$0 PORT [--enable-time-skipping]" >&2; exit 2; }
parent=\$PPID server=\$\$
(while kill -0 "\$parent" 2>/dev/null && kill -0 "\$server" 2>/dev/null; do sleep 1; done; kill "\$server" 2>/dev/null) </dev/null >/dev/null 2>&1 &
exec java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -cp '$2/lib/*' io.temporal.testserver.TestServer "\$@"
LAUNCHER
  chmod 755 "$1/bin/temporal-test-server"
}

# test_server: the cached launcher, else the jars and their dependencies from Maven Central.
test_server() {
  local name=temporal-test-server
  existing "$name" "$TEST_SERVER_VERSION" "$name" TEMPORAL_TEST_SERVER_PATH && return
  local dir="$TOOLS_DIR/$name-$TEST_SERVER_VERSION"
  if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
    log "Java (11 or newer) and Maven are required to fetch $name (or point TEMPORAL_TEST_SERVER_PATH at one)."
    exit 2
  fi
  log "$name $TEST_SERVER_VERSION: fetching from Maven Central (once; cached in $dir)"
  local start=$SECONDS tmp="$dir.tmp.$$"
  rm -rf "$tmp"; mkdir -p "$tmp/bin"
  cat >"$tmp/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.gphotos-backup</groupId>
  <artifactId>temporal-test-server-tool</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
    <dependency><!-- a silent logger binding: no SLF4J warning on every start -->
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
POM
  if ! mvn -q -B -f "$tmp/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib" >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    log "$name $TEST_SERVER_VERSION: mvn failed (output above)"
    exit 1
  fi
  write_test_server_launcher "$tmp" "$dir"
  rm -rf "$dir"; mv "$tmp" "$dir"
  log "$name $TEST_SERVER_VERSION: fetched in $((SECONDS - start)) s"
  echo "$dir/bin/$name"
}

# chromium: the one on PATH (or CHROMIUM_PATH), else Debian's package through apt-get. Prints
# nothing when neither works: only the browser test needs it, and it says how to get it.
find_chromium() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then echo "$CHROMIUM_PATH"; return; fi
  local found
  found=$(command -v chromium || command -v chromium-browser || true)
  if [ -n "$found" ]; then log "chromium: using $found"; echo "$found"; return; fi
  local sudo=""
  [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && sudo="sudo -n"; } || true
  if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" != 0 ] && [ -z "$sudo" ]; }; then
    log "chromium: not found, and apt-get cannot install it here; the Web UI browser test needs it (apt-get install chromium, or set CHROMIUM_PATH)"
    return
  fi
  log "chromium: installing Debian's package with apt-get (once)"
  local start=$SECONDS
  if ! $sudo apt-get install -y -q --no-install-recommends chromium >&2; then
    $sudo apt-get update -q >&2 && $sudo apt-get install -y -q --no-install-recommends chromium >&2 || { log "chromium: apt-get failed"; return; }
  fi
  log "chromium: installed in $((SECONDS - start)) s"
  command -v chromium
}

mkdir -p "$TOOLS_DIR"
temporal=$(build temporal-cli github.com/temporalio/cli/cmd/temporal "$TEMPORAL_VERSION" temporal TEMPORAL_CLI_PATH)
s3=$(build versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" versitygw GPHOTOS_S3_SERVER_PATH)
testserver=$(test_server)
browser=$(find_chromium)
{
  echo "TEMPORAL_CLI_PATH=$temporal"
  echo "GPHOTOS_S3_SERVER_PATH=$s3"
  echo "TEMPORAL_TEST_SERVER_PATH=$testserver"
  [ -z "$browser" ] || echo "CHROMIUM_PATH=$browser"
} | tee "$TOOLS_DIR/tools.env"
