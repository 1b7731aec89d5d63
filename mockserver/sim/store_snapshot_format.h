/* store_snapshot_format: the names shared by the snapshot's writer
 * (store_snapshot.c) and reader (store_restore.c); nothing else. */
#ifndef DESCOVO_STORE_SNAPSHOT_FORMAT_H
#define DESCOVO_STORE_SNAPSHOT_FORMAT_H

/* The key of each line's one member: what the line holds. */
#define SNAP_STORE "store"
#define SNAP_ACCOUNT "account"
#define SNAP_AUDIENCE "audience"
#define SNAP_PENDING "pending"
#define SNAP_EXPORT "export"
#define SNAP_OUTBOX "outbox"

/* Latest time a snapshot may hold: the end of year 9999, as the log
 * (persist.c) and --start-ms allow. */
#define SNAP_MAX_MS 253402300799999LL
/* Credits and counts: far inside int64_t, so that sums cannot overflow. */
#define SNAP_MAX_AMOUNT (1LL << 60)

#endif
