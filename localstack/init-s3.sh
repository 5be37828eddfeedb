#!/usr/bin/env bash
# Prepares the theatre bucket on any S3 endpoint (LocalStack, the gateway's embedded store,
# MinIO, AWS itself) with the AWS CLI: creates it if missing, applies the same CORS and lifecycle
# rules as infra/template.yaml where the endpoint implements them, then proves a signed
# put/head/get/delete round trip works. Safe to run again.
#
#   S3_ENDPOINT=http://127.0.0.1:4566 S3_BUCKET=theatre localstack/init-s3.sh
#
# Environment: S3_ENDPOINT (default http://127.0.0.1:4566; "aws" = the real AWS endpoint),
# S3_BUCKET (theatre), AWS_REGION (us-east-1), AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
# (default test/test, what LocalStack and the embedded store accept), CORS_ORIGINS (comma list,
# default http://localhost:5173).
set -euo pipefail

S3_ENDPOINT="${S3_ENDPOINT:-http://127.0.0.1:4566}"
S3_BUCKET="${S3_BUCKET:-theatre}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_PAGER=""
CORS_ORIGINS="${CORS_ORIGINS:-http://localhost:5173}"

command -v aws >/dev/null || { echo "init-s3: the AWS CLI is missing (pip install awscli)" >&2; exit 1; }

endpoint_args=()
if [[ "$S3_ENDPOINT" != "aws" ]]; then
  endpoint_args=(--endpoint-url "$S3_ENDPOINT")
fi
s3api() { aws "${endpoint_args[@]}" s3api "$@"; }

# Runs an optional configuration call: an endpoint that does not implement it (the embedded
# s3s-fs store has no CORS or lifecycle) is reported and skipped; any other error fails.
optional() {
  local what="$1"; shift
  local err
  if err=$(s3api "$@" 2>&1 >/dev/null); then
    echo "init-s3: $what applied"
  elif grep -qE 'NotImplemented|not implemented|501' <<<"$err"; then
    echo "init-s3: $what not supported by $S3_ENDPOINT, skipped"
  else
    echo "init-s3: $what failed: $err" >&2
    return 1
  fi
}

if s3api head-bucket --bucket "$S3_BUCKET" >/dev/null 2>&1; then
  echo "init-s3: bucket $S3_BUCKET exists at $S3_ENDPOINT"
else
  if [[ "$AWS_REGION" == "us-east-1" ]]; then
    s3api create-bucket --bucket "$S3_BUCKET" >/dev/null
  else
    s3api create-bucket --bucket "$S3_BUCKET" \
      --create-bucket-configuration "LocationConstraint=$AWS_REGION" >/dev/null
  fi
  echo "init-s3: bucket $S3_BUCKET created at $S3_ENDPOINT"
fi

origins_json=$(printf '%s' "$CORS_ORIGINS" | awk -F, '{for (i = 1; i <= NF; i++) printf "%s\"%s\"", (i > 1 ? "," : ""), $i}')
optional "CORS (presigned browser uploads)" put-bucket-cors --bucket "$S3_BUCKET" --cors-configuration "{
  \"CORSRules\": [{
    \"AllowedMethods\": [\"PUT\", \"GET\", \"HEAD\"],
    \"AllowedOrigins\": [$origins_json],
    \"AllowedHeaders\": [\"content-type\", \"content-length\", \"content-md5\", \"x-amz-*\"],
    \"ExposeHeaders\": [\"ETag\"],
    \"MaxAgeSeconds\": 3000
  }]
}"
optional "lifecycle (abort abandoned multipart uploads)" put-bucket-lifecycle-configuration \
  --bucket "$S3_BUCKET" --lifecycle-configuration '{
  "Rules": [{
    "ID": "abort-abandoned-multipart-uploads",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}
  }]
}'

# A signed round trip proves the endpoint, the credentials and the bucket work together.
probe_key="init-s3/probe-$$.txt"
probe_file="$(mktemp)"
trap 'rm -f "$probe_file" "$probe_file.out"' EXIT
printf 'theatre init-s3 probe %s\n' "$(date -u +%FT%TZ)" > "$probe_file"
s3api put-object --bucket "$S3_BUCKET" --key "$probe_key" --body "$probe_file" \
  --content-type text/plain >/dev/null
size=$(s3api head-object --bucket "$S3_BUCKET" --key "$probe_key" --query ContentLength --output text)
s3api get-object --bucket "$S3_BUCKET" --key "$probe_key" "$probe_file.out" >/dev/null
s3api delete-object --bucket "$S3_BUCKET" --key "$probe_key" >/dev/null
if [[ "$size" != "$(stat -c %s "$probe_file")" ]] || ! cmp -s "$probe_file" "$probe_file.out"; then
  echo "init-s3: the probe object did not round-trip" >&2
  exit 1
fi
echo "init-s3: put/head/get/delete round trip ok ($size bytes)"
