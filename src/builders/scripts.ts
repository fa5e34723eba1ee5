/**
 * The shell scripts the Jobs run. They are constants: every value a user controls reaches them
 * through environment variables, always double-quoted, never spliced into the script text.
 * The filestore Job's is POSIX sh as busybox ships it; the backup's are bash (see below).
 */

/*
 * The backup pod's steps (src/builders/backup.ts), all in the backup image
 * (images/backup/Dockerfile) and run by bash: Debian's dash has no `pipefail`, and without it
 * a pg_dump that dies mid-stream leaves gzip's exit status 0 and a truncated dump that looks
 * fine. They share one scratch volume, /work, bounded by its sizeLimit:
 *   /work/meta/  stamp, what the dump recorded, the age recipients
 *   /work/out/   the objects of this run, compressed and (by default) encrypted as they are
 *                written: plaintext never touches the disk unless encryption is None
 * A set is complete only when its manifest exists: the upload writes it last, after both
 * objects, with their names, sizes and sha256 (README: Restoring a backup).
 */

/** Shared by the steps that write objects: `encrypt` is a filter, age or nothing. */
const ENCRYPT_FILTER = String.raw`case "$ENCRYPTION" in
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
`;

/** How every step after the first begins: strict bash, private files, the run's stamp. */
const STEP_PREAMBLE = String.raw`set -eu
set -o pipefail
umask 077
stamp=$(cat /work/meta/stamp)
`;

/** Step 1: wait for the tenant's second of the minute (cron only has minutes), then fix the
 * run's stamp. A pod that starts after that second (slow scheduling) starts at once. */
export const START_SCRIPT = String.raw`set -eu
set -o pipefail
umask 077
now=$((10#$(date -u +%S)))
if [ "$now" -lt "$START_SECOND" ]; then sleep "$((START_SECOND - now))"; fi
stamp=$(date -u +%Y%m%dT%H%M%S)
mkdir -p /work/meta /work/out
printf '%s\n' "$stamp" > /work/meta/stamp
echo "backup run $stamp"
`;

/** Step 2: pg_dump in custom format, gzip, encrypt, straight to /work/out. libpq reads PGHOST,
 * PGPORT, PGUSER, PGPASSWORD and PGDATABASE from the environment. */
export const DUMP_SCRIPT = String.raw`${STEP_PREAMBLE}${ENCRYPT_FILTER}out="/work/out/backup-$stamp.dump.gz"
version=$(pg_dump --version)
printf 'database %s\npg_dump %s\n' "$PGDATABASE" "$version" > /work/meta/dump
echo "dumping database $PGDATABASE from $PGHOST:$PGPORT with $version, encryption $ENCRYPTION"
pg_dump --format=custom --compress=0 --no-password | gzip -c | encrypt > "$out"
echo "database dump done: \${out##*/}, $(stat -c %s "$out") bytes"
`.replaceAll('\\${', '${');

/** Step 3: the tenant's filestore directory (mounted read-only), tar, gzip, encrypt. GNU tar
 * exits 1 when a file changed while it was read (Odoo keeps writing): that is a warning; any
 * other failure of any stage fails the run. */
export const ARCHIVE_SCRIPT = String.raw`${STEP_PREAMBLE}${ENCRYPT_FILTER}dir="$FILESTORE_ROOT/$DATABASE"
if [ ! -d "$dir" ]; then
  echo "filestore directory $dir does not exist" >&2
  exit 1
fi
out="/work/out/filestore-$stamp.tar.gz"
set +e
tar --numeric-owner -C "$dir" -cf - . | gzip -c | encrypt > "$out"
status=("\${PIPESTATUS[@]}")
set -e
if [ "\${status[0]}" -eq 1 ]; then
  echo "warning: files changed while the filestore was archived (tar exit 1); the archive holds what was read" >&2
elif [ "\${status[0]}" -ne 0 ]; then
  echo "tar failed with exit \${status[0]}" >&2
  exit 1
fi
if [ "\${status[1]}" -ne 0 ] || [ "\${status[2]}" -ne 0 ]; then
  echo "compressing or encrypting the filestore failed (gzip exit \${status[1]}, encrypt exit \${status[2]})" >&2
  exit 1
fi
echo "filestore archive done: \${out##*/}, $(stat -c %s "$out") bytes"
`.replaceAll('\\${', '${');

/** Step 4: the manifest, then the upload under {subdomain}/: both objects first, the manifest
 * last, each with `rclone copyto --immutable`, which from rclone v1.76.0 on refuses to replace
 * an existing object with other content (upstream issue 4921). The remote "sos" is configured
 * entirely through RCLONE_CONFIG_SOS_* variables (RCLONE_CONFIG=/dev/null: no config file). */
export const UPLOAD_SCRIPT = String.raw`${STEP_PREAMBLE}cd /work/out
objects=("backup-$stamp.dump.gz" "filestore-$stamp.tar.gz")
manifest="manifest-$stamp.txt"
{
  echo "plana-tenant-backup 1"
  echo "stamp $stamp"
  cat /work/meta/dump
  echo "encryption $ENCRYPTION"
  for f in "\${objects[@]}"; do
    echo "object $f $(stat -c %s "$f") $(sha256sum "$f" | cut -d ' ' -f 1)"
  done
} > "$manifest"
for f in "\${objects[@]}" "$manifest"; do
  rclone copyto --immutable --s3-no-check-bucket "$f" "sos:$BUCKET/$PREFIX$f"
  echo "uploaded s3://$BUCKET/$PREFIX$f"
done
echo "backup set $stamp complete"
`.replaceAll('\\${', '${');

/** The filestore Job (busybox image): create the tenant's directory as the Odoo user, set its
 * mode, prove it is writable. Idempotent; never removes anything; refuses a directory that
 * belongs to someone else. */
export const FILESTORE_SCRIPT = `set -eu
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
`;
