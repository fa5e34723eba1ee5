package main

// The scripts the Jobs run, the same text as src/builders/scripts.ts (this repository's own
// constants): every user value reaches them through env, never spliced into the script.

const encryptFilter = `case "$ENCRYPTION" in
  age)
    if ! printf '%s\n' "$AGE_RECIPIENTS" | grep -E '^age1' > /work/meta/recipients; then
      echo "encryption is age but no age recipient was given: refusing to write a plaintext backup" >&2
      exit 1
    fi
    ;;
  none) ;;
  *) echo "ENCRYPTION must be age or none, not $ENCRYPTION" >&2; exit 1 ;;
esac
encrypt() {
  if [ "$ENCRYPTION" = age ]; then age --encrypt --recipients-file /work/meta/recipients; else cat; fi
}
`

const stepPreamble = `set -eu
set -o pipefail
umask 077
stamp=$(cat /work/meta/stamp)
`

const startScript = `set -eu
set -o pipefail
umask 077
now=$((10#$(date -u +%S)))
if [ "$now" -lt "$START_SECOND" ]; then sleep "$((START_SECOND - now))"; fi
stamp=$(date -u +%Y%m%dT%H%M%S)
mkdir -p /work/meta /work/out
printf '%s\n' "$stamp" > /work/meta/stamp
echo "backup run $stamp"
`

const dumpScript = stepPreamble + encryptFilter + `out="/work/out/backup-$stamp.dump.gz"
version=$(pg_dump --version)
printf 'database %s\npg_dump %s\n' "$PGDATABASE" "$version" > /work/meta/dump
echo "dumping database $PGDATABASE from $PGHOST:$PGPORT with $version, encryption $ENCRYPTION"
pg_dump --format=custom --compress=0 --no-password | gzip -c | encrypt > "$out"
echo "database dump done: ${out##*/}, $(stat -c %s "$out") bytes"
`

const archiveScript = stepPreamble + encryptFilter + `dir="$FILESTORE_ROOT/$DATABASE"
if [ ! -d "$dir" ]; then
  echo "filestore directory $dir does not exist" >&2
  exit 1
fi
out="/work/out/filestore-$stamp.tar.gz"
set +e
tar --numeric-owner -C "$dir" -cf - . | gzip -c | encrypt > "$out"
status=("${PIPESTATUS[@]}")
set -e
if [ "${status[0]}" -eq 1 ]; then
  echo "warning: files changed while the filestore was archived (tar exit 1); the archive holds what was read" >&2
elif [ "${status[0]}" -ne 0 ]; then
  echo "tar failed with exit ${status[0]}" >&2
  exit 1
fi
if [ "${status[1]}" -ne 0 ] || [ "${status[2]}" -ne 0 ]; then
  echo "compressing or encrypting the filestore failed (gzip exit ${status[1]}, encrypt exit ${status[2]})" >&2
  exit 1
fi
echo "filestore archive done: ${out##*/}, $(stat -c %s "$out") bytes"
`

const uploadScript = stepPreamble + `cd /work/out
objects=("backup-$stamp.dump.gz" "filestore-$stamp.tar.gz")
manifest="manifest-$stamp.txt"
{
  echo "plana-tenant-backup 1"
  echo "stamp $stamp"
  cat /work/meta/dump
  echo "encryption $ENCRYPTION"
  for f in "${objects[@]}"; do
    echo "object $f $(stat -c %s "$f") $(sha256sum "$f" | cut -d ' ' -f 1)"
  done
} > "$manifest"
for f in "${objects[@]}" "$manifest"; do
  rclone copyto --immutable --s3-no-check-bucket "$f" "sos:$BUCKET/$PREFIX$f"
  echo "uploaded s3://$BUCKET/$PREFIX$f"
done
echo "backup set $stamp complete"
`

const filestoreScript = `set -eu
dir="$FILESTORE_ROOT/$DATABASE"
if [ ! -d "$FILESTORE_ROOT" ]; then
  echo "filestore root $FILESTORE_ROOT is not a directory: is the volume mounted?" >&2
  exit 1
fi
if [ -e "$dir" ] && [ ! -d "$dir" ]; then
  echo "$dir exists and is not a directory: leaving it alone" >&2
  exit 1
fi
mkdir -p -- "$dir"
owner=$(stat -c %u -- "$dir")
if [ "$owner" != "$ODOO_UID" ]; then
  echo "$dir belongs to uid $owner, not $ODOO_UID: leaving it alone" >&2
  exit 1
fi
chmod -- "$DIR_MODE" "$dir"
touch -- "$dir/.plana-tenant"
echo "filestore directory $dir ready (uid $owner, mode $DIR_MODE)"
`
