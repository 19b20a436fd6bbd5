#!/bin/sh
# compose's minio-init one-shot (image minio/mc): wait until MinIO answers, then create the snapshot
# bucket. Idempotent: a second `up` finds the bucket and exits 0. The arcade services wait for this
# container to exit 0 (depends_on: service_completed_successfully).
set -eu

: "${S3_ENDPOINT:?S3_ENDPOINT is required}"
: "${S3_BUCKET:?S3_BUCKET is required}"
: "${MINIO_ROOT_USER:?MINIO_ROOT_USER is required}"
: "${MINIO_ROOT_PASSWORD:?MINIO_ROOT_PASSWORD is required}"

# `mc alias set` asks the server for its details, so it fails until MinIO is up.
tries=0
until mc alias set local "$S3_ENDPOINT" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "minio-init: no answer from $S3_ENDPOINT after 60 tries" >&2
    exit 1
  fi
  sleep 1
done

mc mb --ignore-existing "local/$S3_BUCKET"
echo "minio-init: bucket $S3_BUCKET ready at $S3_ENDPOINT"
