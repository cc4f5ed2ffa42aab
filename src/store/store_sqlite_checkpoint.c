/*
 * SQLite backend: checkpoints on a thread of their own during a bulk load.
 *
 * In WAL mode every committed page is written twice, once to the WAL and
 * once to the database file when the WAL is checkpointed. By default the
 * committing connection checkpoints right after each commit, on the thread
 * that commits. During a bulk load that thread is the bottleneck, so
 * store_bulk_begin turns the automatic checkpoint off on the handle and
 * starts a thread with its own connection that runs a passive checkpoint
 * after every CHECKPOINT_EVERY commits (store_bulk_committed). A passive
 * checkpoint copies committed frames while the writer goes on writing,
 * and waits for no lock, so it changes nothing about what a crash can
 * lose.
 *
 * A checkpoint starts with an fsync of the WAL, and the last one is on the
 * ingest's critical path. store_bulk_flush, which threads call while they
 * wait, starts the WAL's writeback early (sync_file_range), so that fsync
 * finds less to write.
 *
 * States: idle (no thread) and running (from store_bulk_begin to
 * store_bulk_end). store_bulk_end has the thread run a last checkpoint of
 * the commits it has not copied, then stops it and turns the automatic
 * checkpoint back on. A frame that a reader kept the checkpoint from
 * copying is checkpointed after the next commit or when the last
 * connection closes.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite_private.h"
#include "util/alloc.h"
#include "util/thread.h"

/* Each ingest batch rewrites most pages of the unique index, and a
 * checkpoint copies only the newest copy of each page, so checkpointing
 * after every second commit copies those pages half as often. The WAL
 * then holds up to two batches. */
#define CHECKPOINT_EVERY 2

struct store_checkpointer {
	sqlite3 *db; /* used by the thread only */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	unsigned long commits; /* commits announced, guarded by lock */
	bool quit;             /* guarded by lock */
	bool stopped;          /* the thread is done, guarded by lock */
	uint64_t wal_reserved; /* bytes reserved for the WAL, from offset 0 */
	int wal_fd;            /* for store_bulk_flush, or -1 */
};

static void *checkpoint_main(void *arg)
{
	struct store_checkpointer *cp = arg;
	unsigned long done = 0;

	pthread_mutex_lock(&cp->lock);
	for (;;) {
		while (!cp->quit && cp->commits - done < CHECKPOINT_EVERY)
			pthread_cond_wait(&cp->changed, &cp->lock);
		/* After quit, one more checkpoint copies the commits left, so
		 * that store_bulk_end can start their writeback meanwhile and
		 * the connection that closes last finds nothing to copy. */
		if (cp->commits == done)
			break;
		done = cp->commits;
		pthread_mutex_unlock(&cp->lock);
		/* A failed or partial checkpoint is not an error: the frames
		 * stay in the WAL for a later one. */
		sqlite3_wal_checkpoint_v2(cp->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&cp->lock);
	}
	cp->stopped = true;
	pthread_cond_broadcast(&cp->changed);
	pthread_mutex_unlock(&cp->lock);
	return NULL;
}

/* WAL bytes reserved per input byte, and at most. A list ingest writes
 * about nine WAL bytes per input byte, since each commit rewrites most of
 * the pages written so far. */
#define WAL_RESERVE_PER_INPUT_BYTE 8
#define WAL_RESERVE_MAX ((uint64_t)512 << 20)

/* Opens the WAL file of the database at db_path for writing. Returns the
 * descriptor, or -1 when the open fails. */
static int open_wal(const char *db_path)
{
	size_t len = strlen(db_path) + sizeof("-wal");
	char *wal = xmalloc(len);
	int fd;

	snprintf(wal, len, "%s-wal", db_path);
	fd = open(wal, O_RDWR | O_CLOEXEC);
	free(wal);
	return fd;
}

/* Reserves disk blocks for the WAL beyond its end without changing its
 * size, so that the writer's appends do not allocate blocks one page at a
 * time, and returns how many bytes. Best effort: without a reservation
 * the ingest only runs slower. */
static uint64_t reserve_wal(const char *db_path, uint64_t input_bytes)
{
	uint64_t bytes = input_bytes * WAL_RESERVE_PER_INPUT_BYTE;
	int fd;

	if (bytes > WAL_RESERVE_MAX)
		bytes = WAL_RESERVE_MAX;
	fd = bytes > 0 ? open_wal(db_path) : -1;
	if (fd < 0)
		return 0;
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)bytes) != 0)
		bytes = 0;
	close(fd);
	return bytes;
}

/* Frees what is left of the reservation past the WAL's end. When another
 * connection keeps the WAL open, as a running server does, the file
 * outlives the ingest and would otherwise hold the blocks. The write lock
 * keeps any other writer from appending while the file is truncated.
 * NOTE: truncating to the current size freed the blocks on ext4 here;
 * another file system may keep them until the WAL is deleted. */
static void release_wal(struct store *st, uint64_t reserved)
{
	int fd = open_wal(sqlite3_db_filename(st->db, "main"));
	struct stat info;

	if (fd < 0)
		return;
	if (sqlite3_get_autocommit(st->db) &&
	    sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
		if (fstat(fd, &info) == 0 && (uint64_t)info.st_size < reserved)
			(void)ftruncate(fd, info.st_size);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	}
	close(fd);
}

enum ch_code store_bulk_begin(struct store *st, uint64_t input_bytes, struct ch_error *err)
{
	struct store_checkpointer *cp;
	const char *path = sqlite3_db_filename(st->db, "main");
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	if (st->checkpointer || !path || !*path)
		return CH_OK;
	cp = xcalloc(1, sizeof(*cp));
	/* A connection checkpoints only once it has read the database and
	 * found it in WAL mode, hence the query. */
	if (sqlite3_open_v2(path, &cp->db, flags, NULL) != SQLITE_OK ||
	    sqlite3_exec(cp->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK) {
		enum ch_code rc = ch_fail(err, CH_DB, "cannot open a checkpoint connection to '%s': %s",
					  path, cp->db ? sqlite3_errmsg(cp->db) : "out of memory");

		sqlite3_close(cp->db);
		free(cp);
		return rc;
	}
	pthread_mutex_init(&cp->lock, NULL);
	pthread_cond_init(&cp->changed, NULL);
	if (pthread_create(&cp->thread, NULL, checkpoint_main, cp) != 0) {
		pthread_mutex_destroy(&cp->lock);
		pthread_cond_destroy(&cp->changed);
		sqlite3_close(cp->db);
		free(cp);
		return ch_fail(err, CH_INTERNAL, "cannot start the checkpoint thread");
	}
	sqlite3_wal_autocheckpoint(st->db, 0);
	cp->wal_reserved = reserve_wal(path, input_bytes);
	/* The WAL only: SQLite keeps POSIX locks on the database file, and
	 * closing any descriptor of that file would drop them. */
	cp->wal_fd = open_wal(path);
	st->checkpointer = cp;
	/* The ingest links only the report it created and the indicators it
	 * wrote or read back, so checking each link's two parent rows
	 * finds nothing and costs two index lookups per link. */
	if (sqlite3_get_autocommit(st->db) &&
	    sqlite3_exec(st->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL) == SQLITE_OK)
		st->foreign_keys_off = true;
	return CH_OK;
}

void store_bulk_committed(struct store *st)
{
	struct store_checkpointer *cp = st->checkpointer;

	if (!cp)
		return;
	pthread_mutex_lock(&cp->lock);
	cp->commits++;
	pthread_cond_signal(&cp->changed);
	pthread_mutex_unlock(&cp->lock);
}

void store_bulk_flush(struct store *st)
{
	struct store_checkpointer *cp = st->checkpointer;

	if (!cp)
		return;
	/* Only starts the writes: nothing here waits for the disk. */
	if (cp->wal_fd >= 0)
		(void)sync_file_range(cp->wal_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

void store_bulk_end(struct store *st)
{
	struct store_checkpointer *cp = st->checkpointer;

	store_sqlite_free_ingest_arrays(st);
	if (!cp)
		return;
	/* The last checkpoint may not have synced the WAL yet: starting the
	 * writeback meanwhile leaves less for its fsync. */
	pthread_mutex_lock(&cp->lock);
	cp->quit = true;
	pthread_cond_broadcast(&cp->changed);
	while (!cp->stopped) {
		struct timespec until;

		thread_deadline_after(&until, CLOCK_REALTIME, STORE_BULK_FLUSH_INTERVAL_NS);
		if (pthread_cond_timedwait(&cp->changed, &cp->lock, &until) != 0 && !cp->stopped) {
			pthread_mutex_unlock(&cp->lock);
			store_bulk_flush(st);
			pthread_mutex_lock(&cp->lock);
		}
	}
	pthread_mutex_unlock(&cp->lock);
	pthread_join(cp->thread, NULL);
	if (cp->wal_fd >= 0)
		close(cp->wal_fd);

	pthread_mutex_destroy(&cp->lock);
	pthread_cond_destroy(&cp->changed);
	sqlite3_close(cp->db);
	if (cp->wal_reserved > 0)
		release_wal(st, cp->wal_reserved);
	free(cp);
	st->checkpointer = NULL;
	/* SQLite's default: checkpoint once the WAL has 1000 pages. */
	sqlite3_wal_autocheckpoint(st->db, 1000);
	store_sqlite_restore_foreign_keys(st);
}
