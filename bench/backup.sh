#!/bin/sh
# Backup and restore of a 2,000-connector simulated tenant, into a directory,
# into an S3-compatible server (gofakes3, in memory, over loopback HTTP) and
# into the same encrypted with age: RUNS backups each (default 3), and a
# restore into an empty simulated tenant after the first RESTORES of them
# (default 1: a restore of 2,000 connectors takes minutes). Prints one line
# per measurement: target, phase, run, wall seconds, peak RSS in KiB (GNU time).
# Usage: sh bench/backup.sh [RUNS [RESTORES]]   (from the repository root)
set -eu
RUNS=${1:-3}
RESTORES=${2:-1}
W=$(mktemp -d)
trap 'kill $(cat "$W"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$W"' EXIT INT TERM
go build -o "$W/connvault" .
GOBIN="$W" go install github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0
"$W/gofakes3" -backend memory -host 127.0.0.1:19000 -initialbucket bench -quiet & echo $! > "$W/s3.pid"
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
S3='endpoint=http://127.0.0.1:19000&use_path_style=true&region=us-east-1&disable_https=true'
"$W/connvault" sim --connectors 2000 --seed 7 --rate-limit 0 > "$W/src.env" 2>/dev/null & echo $! > "$W/src.pid"
sleep 2
KEY=$(go run ./bench/agekey "$W/key.txt")
measure() { # label phase run command...
  label=$1 phase=$2 run=$3; shift 3
  /usr/bin/time -f '%e %M' -o "$W/time" "$@" > "$W/out" 2> "$W/err" || { cat "$W/err"; exit 1; }
  echo "$label $phase $run $(cat "$W/time")"
}
for run in $(seq "$RUNS"); do
  for target in dir s3 s3-age; do
    case $target in
      dir) repo="$W/repo-$run" ;;
      *) repo="s3://bench/$target-$run?$S3" ;;
    esac
    enc=""; [ "$target" = s3-age ] && enc="--recipient $KEY"
    (set -a; . "$W/src.env"; set +a
     measure "$target" backup "$run" "$W/connvault" backup --repo "$repo" --tenant big --rate 0 --concurrency 16 $enc --json)
    [ "$run" -le "$RESTORES" ] || continue
    "$W/connvault" sim --connectors 0 --seed 8 --rate-limit 0 > "$W/dst.env" 2>/dev/null & echo $! > "$W/dst.pid"
    sleep 1
    (set -a; . "$W/dst.env"; set +a
     measure "$target" restore "$run" "$W/connvault" --identity "$W/key.txt" restore --repo "$repo" --tenant big --rate 0 --concurrency 16 --yes --json --state-dir "$W/state-$target-$run" latest)
    kill "$(cat "$W/dst.pid")"; rm "$W/dst.pid"
  done
done
