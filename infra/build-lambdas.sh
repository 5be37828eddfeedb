#!/usr/bin/env bash
# Builds one Lambda zip (bootstrap.zip) per function in functions/ (every workspace package
# under functions/ except the local-only gateway) with cargo-lambda, checks each is under the
# size limit, and writes infra/SIZES.md.
#
#   infra/build-lambdas.sh                  # every function, for this machine's best target
#   infra/build-lambdas.sh auth migrate     # only these functions (directory names)
#   LAMBDA_ARCH=arm64 infra/build-lambdas.sh   # what a real deploy uses (Graviton)
#   infra/build-lambdas.sh --report-only    # rewrite SIZES.md from existing zips
#
# Environment:
#   LAMBDA_ARCH      x86_64 (default: runs on the build host, so CI can run the bootstrap under the
#                    Runtime API emulator) | arm64 (Graviton, what infra/template.yaml deploys by
#                    default; needs `rustup target add aarch64-unknown-linux-gnu` and zig).
#   LAMBDA_COMPILER  cargo-zigbuild (default; links against an old glibc, so the bootstrap runs on
#                    provided.al2023 whatever the build host's glibc) | cargo (no zig needed; the
#                    binary then needs the build host's glibc or older on Lambda).
#   MAX_ZIP_BYTES    size limit per zip (default 10 MB).
#
# Each function is built by its own cargo invocation so that features never unify across
# functions: auth must not link the S3 SDK because documents does.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MAX_ZIP_BYTES="${MAX_ZIP_BYTES:-10485760}"
COMPILER="${LAMBDA_COMPILER:-cargo-zigbuild}"
TARGET_DIR="$(cargo metadata --no-deps --format-version 1 | jq -r .target_directory)"
COLD_START_TSV="$TARGET_DIR/lambda/cold-start.tsv"

LAMBDA_ARCH="${LAMBDA_ARCH:-x86_64}"
case "$LAMBDA_ARCH" in
  # Graviton2 and later; set here because --disable-optimizations below drops cargo-lambda's own.
  arm64) ARCH_FLAG=--arm64
         export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-cpu=neoverse-n1" ;;
  x86_64) ARCH_FLAG=--x86-64 ;;
  *) echo "LAMBDA_ARCH must be arm64 or x86_64" >&2; exit 2 ;;
esac

# name<TAB>package<TAB>binary for each Lambda function package.
list_functions() {
  cargo metadata --no-deps --format-version 1 | jq -r --arg root "$ROOT/functions/" '
    .packages[]
    | select(.manifest_path | startswith($root))
    | (.manifest_path | ltrimstr($root) | split("/")[0]) as $dir
    | select($dir != "gateway")
    | [$dir, .name, ([.targets[] | select(.kind | index("bin"))][0].name)]
    | @tsv' | sort
}

report_only=false
wanted=()
for arg in "$@"; do
  case "$arg" in
    --report-only) report_only=true ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) wanted+=("$arg") ;;
  esac
done

LAMBDA_DIR="$TARGET_DIR/lambda/$LAMBDA_ARCH"
mapfile -t FUNCTIONS < <(list_functions)
if [[ ${#FUNCTIONS[@]} -eq 0 ]]; then
  echo "no functions found under functions/" >&2
  exit 1
fi

selected() {
  [[ ${#wanted[@]} -eq 0 ]] && return 0
  local w
  for w in "${wanted[@]}"; do [[ "$w" == "$1" ]] && return 0; done
  return 1
}

failed=0
if ! $report_only; then
  command -v cargo-lambda >/dev/null || { echo "cargo-lambda is missing: pip install cargo-lambda ziglang" >&2; exit 1; }
  for row in "${FUNCTIONS[@]}"; do
    IFS=$'\t' read -r dir package bin <<<"$row"
    selected "$dir" || continue
    echo "==> $dir ($package, bin $bin) for $LAMBDA_ARCH with $COMPILER"
    start=$(date +%s)
    # --disable-optimizations keeps the workspace [profile.release] as it is: cargo-lambda would
    # otherwise force panic = "abort", which turns a handler panic into a crashed sandbox (502)
    # instead of the problem+json 500 that shared::http's CatchPanicLayer answers.
    cargo lambda build --release "$ARCH_FLAG" --compiler "$COMPILER" --disable-optimizations \
      --lambda-dir "$LAMBDA_DIR" --output-format zip -p "$package" --bin "$bin"
    echo "    built in $(( $(date +%s) - start ))s"
    if [[ "$package" == "theatre-auth" ]] && cargo tree -p "$package" -e normal | grep -q aws-sdk; then
      echo "    auth links the AWS SDK: shared's storage feature leaked in" >&2
      failed=1
    fi
  done
fi

# SIZES.md: one row per function with a zip.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
{
  echo "# Lambda artefact sizes and cold starts"
  echo
  echo "Written by \`infra/build-lambdas.sh\` (sizes) and \`.ci/cloud-checks\` (cold starts) on"
  echo "$(date -u +%Y-%m-%d), rustc $(rustc --version | cut -d' ' -f2), cargo-lambda"
  echo "$(cargo lambda --version 2>/dev/null | cut -d' ' -f2 || echo '?'). Limit per zip: $((MAX_ZIP_BYTES / 1048576)) MB."
  echo
  echo "| function | package | arch | bootstrap (bytes) | zip (bytes) | zip (MB) | links aws-sdk |"
  echo "|---|---|---|---:|---:|---:|---|"
  for row in "${FUNCTIONS[@]}"; do
   IFS=$'\t' read -r dir package bin <<<"$row"
   for arch_dir in x86_64 arm64; do
    zip="$TARGET_DIR/lambda/$arch_dir/$bin/bootstrap.zip"
    if [[ ! -f "$zip" ]]; then
      [[ "$arch_dir" == "$LAMBDA_ARCH" ]] && echo "| $dir | $package | $arch_dir | not built | | | |"
      continue
    fi
    zip_bytes=$(stat -c %s "$zip")
    boot_bytes=$(unzip -l "$zip" bootstrap | awk 'NR==4 {print $1}')
    unzip -o -q "$zip" bootstrap -d "$scratch"
    case "$(readelf -h "$scratch/bootstrap" | awk -F: '/Machine/ {print $2}')" in
      *AArch64*) arch=arm64 ;;
      *X86-64*) arch=x86_64 ;;
      *) arch="?" ;;
    esac
    sdk=no
    cargo tree -p "$package" -e normal 2>/dev/null | grep -q aws-sdk && sdk=yes
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$dir" "$package" "$arch" "$boot_bytes" \
      "$zip_bytes" "$(awk -v b="$zip_bytes" 'BEGIN {printf "%.2f", b / 1048576}')" "$sdk"
    if (( zip_bytes >= MAX_ZIP_BYTES )); then
      echo "$dir: zip is $zip_bytes bytes, over the limit" >&2
      failed=1
    fi
   done
  done
  echo
  echo "## Cold start under the local Runtime API"
  echo
  echo "Process start → first response of the release bootstrap under the Runtime API emulator"
  echo "(\`testkit::lambda_runtime\`), the first request being \`GET /health\` (opens the first"
  echo "PostgreSQL and Redis connections on localhost). Measured on a shared 2-core build machine;"
  echo "on Lambda add the sandbox start and the VPC network path."
  echo
  echo "| function | init (ms, start → first poll) | first response (ms) | warm request (ms) |"
  echo "|---|---:|---:|---:|"
  if [[ -f "$COLD_START_TSV" ]]; then
    sort -u "$COLD_START_TSV" | while IFS=$'\t' read -r name _binary init first warm; do
      echo "| $name | $init | $first | $warm |"
    done
  else
    echo "| (not measured yet: run .ci/cloud-checks) | | | |"
  fi
} > "$ROOT/infra/SIZES.md"

cat "$ROOT/infra/SIZES.md"
exit $failed
