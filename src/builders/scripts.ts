/**
 * The shell scripts the Jobs run. They are constants: every value a user controls reaches them
 * through environment variables, always double-quoted, never spliced into the script text.
 * POSIX sh as busybox and alpine ship it.
 */

/** Step 1 of a backup (postgres image): pg_dump in custom format, gzip-compressed. libpq reads
 * PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE from the environment. */
export const DUMP_SCRIPT = `set -eu
set -o pipefail
umask 077
stamp=$(date -u +%Y%m%dT%H%M%S)
printf '%s\\n' "$stamp" > /work/stamp
mkdir -p /work/stage
echo "dumping database $PGDATABASE from $PGHOST:$PGPORT"
pg_dump --format=custom --compress=0 --no-password --no-owner | gzip -c > "/work/stage/backup-$stamp.dump.gz"
echo "database dump done: backup-$stamp.dump.gz"
`;

/** Step 2 (postgres image, busybox tar): the tenant's filestore directory, mounted read-only. */
export const ARCHIVE_SCRIPT = `set -eu
set -o pipefail
umask 077
stamp=$(cat /work/stamp)
dir="$FILESTORE_ROOT/$DATABASE"
if [ ! -d "$dir" ]; then
  echo "filestore directory $dir does not exist" >&2
  exit 1
fi
tar -C "$dir" -cf - . | gzip -c > "/work/stage/filestore-$stamp.tar.gz"
echo "filestore archive done: filestore-$stamp.tar.gz"
`;

/** Step 3, only when recipients are configured (age image): encrypt both objects. The names
 * stay as PLANA's restore runbook lists them. */
export const ENCRYPT_SCRIPT = `set -eu
umask 077
mkdir -p /work/out
printf '%s\\n' "$AGE_RECIPIENTS" > /work/recipients
for f in /work/stage/*; do
  age --encrypt --recipients-file /work/recipients --output "/work/out/\${f##*/}" "$f"
done
echo "encrypted for $(grep -c . /work/recipients) recipient(s)"
`;

/** Step 4 (rclone image): upload under {subdomain}/ without ever replacing an object. The
 * remote "sos" is configured entirely through RCLONE_CONFIG_SOS_* variables. */
export const UPLOAD_SCRIPT = `set -eu
stamp=$(cat /work/stamp)
for f in "backup-$stamp.dump.gz" "filestore-$stamp.tar.gz"; do
  rclone copyto --immutable --s3-no-check-bucket "$UPLOAD_DIR/$f" "sos:$BUCKET/$PREFIX$f"
  echo "uploaded s3://$BUCKET/$PREFIX$f"
done
`;

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
