import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the login and refresh lookups are AUTH's own repositories, seeded and timed as they are
import {
  authMigrations,
  SqlRefreshTokenRepository,
  SqlUserRepository,
} from '@svt/auth/data-access';
import {
  connectRedis,
  newSession,
  RedisSessionStore,
  SqliteSessionStore,
} from '@svt/shared/data-access-sessions';
import { PostgresClient, SqliteClient } from '@svt/shared/data-access-sql';
import type { SqlClient, SqlValue } from '@svt/shared/data-access-sql';
import { readTestEnvironment } from '@svt/shared/testing';
import argon2 from 'argon2';
import { Client } from 'pg';
import { RESP_TYPES } from 'redis';
import { percentile } from '../load';
import type {
  ScaleColumn,
  ScalePoint,
  ScaleProgress,
  ScaleSeries,
  ScaleSettings,
} from './scale-types';

/** A current desktop Chrome's User-Agent (111 characters), as most sessions carry one like it. */
const CHROME_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** Sessions written at once: node-redis sends a tick's commands as one pipeline. */
const SEED_BATCH = 1_000;
/** Users per seeding transaction: as for sessions, fewer larger commits write each random index page less often. */
const USERS_PER_TRANSACTION = 25_000;
/** Rows per multi-row INSERT: 1 000 × 6 parameters stays under both databases' limits. */
const ROWS_PER_INSERT = 1_000;
/**
 * SQLite sessions per seeding transaction: each transaction writes every index page it
 * touched into the WAL once, and the id hash, handle and user id indexes take keys at random.
 */
const SQLITE_SESSIONS_PER_TRANSACTION = 25_000;
/**
 * A lookup that grows by less than this has not bent, whatever the ratio: an index that
 * gains a level costs microseconds, a scan of a million rows tens of milliseconds.
 */
const LOOKUP_SLACK_MS = 0.05;
/** Ids kept to read back, drawn evenly from everything seeded. */
const SAMPLE_SIZE = 10_000;

interface Sizes {
  /** Sequential reads whose latencies give p50 and p99. */
  readonly latencySamples: number;
  /** How long reads run 32 at a time for reads per second. */
  readonly throughputMs: number;
}

const FULL_SIZES: Sizes = { latencySamples: 5_000, throughputMs: 2_000 };
const SMOKE_SIZES: Sizes = { latencySamples: 200, throughputMs: 300 };

const SESSION_COLUMNS: readonly ScaleColumn[] = [
  { key: 'bytesPerSession', label: 'memory per session', unit: 'B' },
  { key: 'sampledBytesPerSession', label: 'per session, by MEMORY USAGE / file pages', unit: 'B' },
  { key: 'readP50Ms', label: 'find p50', unit: 'ms' },
  { key: 'readP99Ms', label: 'find p99', unit: 'ms' },
  { key: 'readsPerSecond', label: 'finds/s (32 in flight)', unit: 'ops/s' },
];

const USER_COLUMNS: readonly ScaleColumn[] = [
  { key: 'emailP50Ms', label: 'user by email p50', unit: 'ms' },
  { key: 'emailP99Ms', label: 'user by email p99', unit: 'ms' },
  { key: 'emailsPerSecond', label: 'users by email/s', unit: 'ops/s' },
  { key: 'tokenP50Ms', label: 'family by token hash p50', unit: 'ms' },
  { key: 'tokenP99Ms', label: 'family by token hash p99', unit: 'ms' },
  { key: 'tokensPerSecond', label: 'families by token hash/s', unit: 'ops/s' },
];

/**
 * The storage series of `--scale`: what a live session costs in Redis and in
 * the embedded default's SQLite file, and how fast one is found, at each of
 * `settings.sessions`; and the lookups of a login (a user by email) and a
 * refresh (a token family by the token's hash) at each of `settings.users`,
 * on PostgreSQL and on SQLite. Everything is seeded through the adapters'
 * own tables, in batches, never through argon2 logins; Redis keys go under a
 * prefix of their own and are deleted after, the PostgreSQL rows go into a
 * database created and dropped here. Without REDIS_URL or DATABASE_URL the
 * embedded series only.
 */
export async function measureStorageScale(
  settings: ScaleSettings,
  progress: ScaleProgress,
): Promise<ScaleSeries[]> {
  const environment = readTestEnvironment();
  const sizes = settings.smoke ? SMOKE_SIZES : FULL_SIZES;
  const series: ScaleSeries[] = [];
  series.push(await sqliteSessions(settings.sessions, sizes, progress));
  if (environment.redisUrl) {
    series.push(await redisSessions(environment.redisUrl, settings.sessions, sizes, progress));
  } else {
    progress('SKIPPED Redis sessions: REDIS_URL is not set');
  }
  series.push(await sqliteUsers(settings.users, sizes, progress));
  if (environment.databaseUrl) {
    series.push(await postgresUsers(environment.databaseUrl, settings.users, sizes, progress));
  } else {
    progress('SKIPPED PostgreSQL users: DATABASE_URL is not set');
  }
  return series;
}

/** Sessions of one user after another, 1, 2, then 3 each: 2 per user on average. */
class SessionSeeder {
  readonly sample: string[] = [];
  #user = randomUUID();
  #leftForUser = 1;
  #seeded = 0;
  #nextPerUser = 2;

  /** The next `count` sessions, as of `now`, keeping an even sample of their id hashes. */
  next(count: number, now: number, total: number): ReturnType<typeof newSession>['record'][] {
    const every = Math.max(1, Math.floor(total / SAMPLE_SIZE));
    return Array.from({ length: count }, () => {
      if (this.#leftForUser === 0) {
        this.#user = randomUUID();
        this.#leftForUser = this.#nextPerUser;
        this.#nextPerUser = (this.#nextPerUser % 3) + 1;
      }
      this.#leftForUser--;
      const { record } = newSession(
        {
          userId: this.#user,
          ttlSeconds: 24 * 3600,
          idleTtlSeconds: 2 * 3600,
          client: {
            userAgent: CHROME_USER_AGENT,
            ip: `203.0.${this.#seeded % 250}.${(this.#seeded >> 8) % 250}`,
          },
          credentialVersion: 0,
          ssoSid: null,
        },
        now,
      );
      if (this.#seeded % every === 0 && this.sample.length < SAMPLE_SIZE)
        this.sample.push(record.idHash);
      this.#seeded++;
      return record;
    });
  }
}

async function redisSessions(
  redisUrl: string,
  targets: readonly number[],
  sizes: Sizes,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const prefix = `svt-scale-${randomBytes(6).toString('hex')}:`;
  const client = await connectRedis(redisUrl);
  const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  const store = new RedisSessionStore(client, prefix);
  const notes: string[] = [
    `Sessions written through RedisSessionStore.create, ${SEED_BATCH} at a time (one pipeline), each with a ${CHROME_USER_AGENT.length}-character Chrome User-Agent and an IPv4 address, 1–3 per user (2 on average); keys under a prefix of their own, deleted after.`,
    "Memory per session: the growth of INFO memory used_memory since before seeding, over the live sessions (records, the users' indexes and the keyspace's tables); other clients of the same server add noise. The MEMORY USAGE column: the mean of the record keys of 1 000 sampled sessions plus their users' indexes shared out per session (without the keyspace's hash tables and expiry entries).",
  ];
  const points: ScalePoint[] = [];
  try {
    const usedMemory = async (): Promise<number> => {
      const info = await client.info('memory');
      return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
    };
    const before = await usedMemory();
    const seeder = new SessionSeeder();
    const max = Math.max(...targets);
    let seeded = 0;
    for (const target of [...targets].sort((a, b) => a - b)) {
      const started = performance.now();
      while (seeded < target) {
        const records = seeder.next(Math.min(SEED_BATCH, target - seeded), Date.now(), max);
        await Promise.all(records.map((record) => store.create(record)));
        seeded += records.length;
      }
      const seedSeconds = (performance.now() - started) / 1000;
      notes.push(
        `Seeding Redis up to ${target.toLocaleString('en-US')} sessions took ${seedSeconds.toFixed(1)} s.`,
      );
      progress(`storage: Redis seeded to ${target} sessions in ${seedSeconds.toFixed(1)} s`);
      const bytes = ((await usedMemory()) - before) / target;
      const sampled = await sampledRedisBytes(binary, prefix, seeder.sample.slice(0, 1_000), store);
      const reads = await measureReads((idHash) => store.find(idHash), seeder.sample, sizes);
      points.push({
        x: target,
        values: { bytesPerSession: bytes, sampledBytesPerSession: sampled, ...reads },
      });
      progress(
        `storage: Redis ${target} sessions: ${bytes.toFixed(0)} B/session (MEMORY USAGE ${sampled.toFixed(0)}), find p50 ${reads.readP50Ms.toFixed(3)} ms p99 ${reads.readP99Ms.toFixed(3)} ms, ${reads.readsPerSecond.toFixed(0)}/s`,
      );
    }
  } finally {
    await store.close();
    const started = performance.now();
    await deleteKeys(binary, prefix);
    progress(
      `storage: Redis keys under ${prefix} deleted in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await client.close();
  }
  return {
    id: 'storage-redis-sessions',
    title: 'Live cookie sessions in Redis: memory per session and find latency',
    backend: 'postgres+redis',
    xLabel: 'live sessions',
    columns: SESSION_COLUMNS,
    points,
    bend: judge(points, [
      { key: 'bytesPerSession', label: 'memory per session', unit: 'B', tolerance: 0.15, slack: 0 },
      { key: 'readP50Ms', label: 'find p50', unit: 'ms', tolerance: 0.5, slack: LOOKUP_SLACK_MS },
    ]),
    notes,
  };
}

type BinaryRedis = ReturnType<Awaited<ReturnType<typeof connectRedis>>['withTypeMapping']>;

/** MEMORY USAGE of sampled sessions' record keys, plus their users' indexes shared out per session. */
async function sampledRedisBytes(
  binary: BinaryRedis,
  prefix: string,
  idHashes: readonly string[],
  store: RedisSessionStore,
): Promise<number> {
  let total = 0;
  let counted = 0;
  for (const idHash of idHashes) {
    const record = await store.find(idHash);
    if (record === null) continue;
    const key = Buffer.concat([Buffer.from(`${prefix}session:`), Buffer.from(idHash, 'hex')]);
    const index = `${prefix}user-sessions:${record.userId}`;
    const [recordBytes, indexBytes, members] = await Promise.all([
      binary.memoryUsage(key),
      binary.memoryUsage(index),
      binary.zCard(index),
    ]);
    total += (recordBytes ?? NaN) + (indexBytes ?? NaN) / Math.max(1, members);
    counted++;
  }
  return counted === 0 ? NaN : total / counted;
}

/** Deletes exactly the keys under `prefix` (SCAN and UNLINK; keys read as bytes, some are binary). */
async function deleteKeys(binary: BinaryRedis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const reply = await binary.scan(cursor, { MATCH: `${prefix}*`, COUNT: 1_000 });
    cursor = reply.cursor.toString();
    if (reply.keys.length > 0) await binary.unlink(reply.keys);
  } while (cursor !== '0');
}

async function sqliteSessions(
  targets: readonly number[],
  sizes: Sizes,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const dir = await mkdtemp(join(tmpdir(), 'svt-scale-sessions-'));
  const file = new SessionFile(join(dir, 'sessions.sqlite'));
  // On the file's one connection, so that a batch's creates run inside the transaction opened on it.
  const store = await SqliteSessionStore.on(file.sql);
  const notes: string[] = [
    `Sessions written through SqliteSessionStore.create with the same Chrome User-Agent and IPv4 address as on Redis, 1–3 per user, ${SQLITE_SESSIONS_PER_TRANSACTION.toLocaleString('en-US')} creates to a transaction (BEGIN and COMMIT around the adapter's own INSERTs, on its connection): in service each create is its own commit, which syncs the WAL, and 1 M of those would take the bench many minutes; smaller transactions rewrite the same random index pages into the WAL again and again.`,
    'File bytes per session: the database file plus its WAL after a checkpoint (TRUNCATE), less the empty file, over the live sessions; the second column: the pages of the sessions table and its indexes (dbstat), over the live sessions.',
  ];
  const points: ScalePoint[] = [];
  try {
    const empty = await file.fileBytes();
    const seeder = new SessionSeeder();
    const max = Math.max(...targets);
    // What a create costs in service, one commit each, for the notes.
    const single = seeder.next(Math.min(SEED_BATCH, Math.min(...targets)), Date.now(), max);
    const singleStarted = performance.now();
    await Promise.all(single.map((record) => store.create(record)));
    const singleSeconds = (performance.now() - singleStarted) / 1000;
    notes.push(
      `One commit per create, as in service: ${(single.length / singleSeconds).toFixed(0)} creates/s (${single.length} timed).`,
    );
    let seeded = single.length;
    for (const target of [...targets].sort((a, b) => a - b)) {
      const started = performance.now();
      while (seeded < target) {
        const end = Math.min(target, seeded + SQLITE_SESSIONS_PER_TRANSACTION);
        await file.sql.execute('BEGIN IMMEDIATE');
        while (seeded < end) {
          const records = seeder.next(Math.min(SEED_BATCH, end - seeded), Date.now(), max);
          await Promise.all(records.map((record) => store.create(record)));
          seeded += records.length;
        }
        await file.sql.execute('COMMIT');
      }
      const seedSeconds = (performance.now() - started) / 1000;
      notes.push(
        `Seeding SQLite up to ${target.toLocaleString('en-US')} sessions took ${seedSeconds.toFixed(1)} s.`,
      );
      progress(`storage: SQLite seeded to ${target} sessions in ${seedSeconds.toFixed(1)} s`);
      const bytes = ((await file.fileBytes()) - empty) / target;
      const pages = (await file.tableBytes('sessions')) / target;
      const reads = await measureReads((idHash) => store.find(idHash), seeder.sample, sizes);
      points.push({
        x: target,
        values: { bytesPerSession: bytes, sampledBytesPerSession: pages, ...reads },
      });
      progress(
        `storage: SQLite ${target} sessions: ${bytes.toFixed(0)} B/session in the file (${pages.toFixed(0)} in its pages), find p50 ${reads.readP50Ms.toFixed(3)} ms p99 ${reads.readP99Ms.toFixed(3)} ms, ${reads.readsPerSecond.toFixed(0)}/s`,
      );
    }
  } finally {
    await store.close();
    await file.close();
    await rm(dir, { recursive: true, force: true });
  }
  return {
    id: 'storage-sqlite-sessions',
    title:
      "Live cookie sessions in the embedded default's SQLite file: bytes per session and find latency",
    backend: 'embedded',
    xLabel: 'live sessions',
    columns: SESSION_COLUMNS,
    points,
    bend: judge(points, [
      {
        key: 'bytesPerSession',
        label: 'file bytes per session',
        unit: 'B',
        tolerance: 0.15,
        slack: 0,
      },
      { key: 'readP50Ms', label: 'find p50', unit: 'ms', tolerance: 0.5, slack: LOOKUP_SLACK_MS },
    ]),
    notes,
  };
}

/** The session store's file: its connection, and what the adapter does not expose (checkpoints, sizes). */
class SessionFile {
  readonly sql: SqliteClient;

  constructor(private readonly file: string) {
    this.sql = new SqliteClient(file);
  }

  /** The file and its WAL, after writing the WAL back into the file. */
  async fileBytes(): Promise<number> {
    await this.sql.query('PRAGMA wal_checkpoint(TRUNCATE)');
    const sizes = await Promise.all(
      [this.file, `${this.file}-wal`].map((path) =>
        stat(path).then(
          (s) => s.size,
          () => 0,
        ),
      ),
    );
    return sizes[0] + sizes[1];
  }

  /** The bytes of the pages that `table` and its indexes fill. */
  async tableBytes(table: string): Promise<number> {
    const rows = await this.sql.query<{ bytes: number | null }>(
      `SELECT SUM(pgsize) AS bytes FROM dbstat
       WHERE name = ? OR name IN (SELECT name FROM sqlite_master WHERE tbl_name = ? AND type = 'index')`,
      [table, table],
    );
    return rows[0]?.bytes ?? NaN;
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}

/** Users with one refresh-token family each, seeded into the tables AUTH's repositories use. */
async function seedUsers(
  sql: SqlClient,
  from: number,
  to: number,
  passwordHash: string,
  now: number,
): Promise<void> {
  const rows = (count: number, columns: number): string =>
    Array.from({ length: count }, () => `(${Array(columns).fill('?').join(', ')})`).join(', ');
  for (let first = from; first < to; first += USERS_PER_TRANSACTION) {
    const last = Math.min(to, first + USERS_PER_TRANSACTION);
    await sql.transaction(async (tx) => {
      for (let start = first; start < last; start += ROWS_PER_INSERT) {
        const end = Math.min(last, start + ROWS_PER_INSERT);
        const users: SqlValue[] = [];
        const families: SqlValue[] = [];
        const tokens: SqlValue[] = [];
        for (let i = start; i < end; i++) {
          const userId = randomUUID();
          const familyId = randomUUID();
          users.push(userId, seededEmail(i), passwordHash, now, 0, 0);
          families.push(familyId, userId, now, now + 30 * 86_400_000, null, now, 0);
          tokens.push(seededTokenHash(i), familyId, now, now + 14 * 86_400_000);
        }
        await tx.execute(
          `INSERT INTO users (id, email, password_hash, created_at, credential_version, revoked_version)
           VALUES ${rows(end - start, 6)}`,
          users,
        );
        await tx.execute(
          `INSERT INTO token_families (id, user_id, created_at, expires_at, revoked_at, last_seen_at, credential_version)
           VALUES ${rows(end - start, 7)}`,
          families,
        );
        await tx.execute(
          `INSERT INTO refresh_tokens (token_hash, family_id, created_at, expires_at)
           VALUES ${rows(end - start, 4)}`,
          tokens,
        );
      }
    });
  }
}

// Spread over the key space as real ones are (a SHA-256, an address), not in insertion order.
const seededEmail = (i: number): string =>
  `${createHash('sha256').update(`email:${i}`).digest('hex').slice(0, 20)}@example.test`;
const seededTokenHash = (i: number): string =>
  createHash('sha256').update(`refresh-token:${i}`).digest('hex');

async function measureUsers(
  backend: 'embedded' | 'postgres+redis',
  name: string,
  sql: SqlClient,
  targets: readonly number[],
  sizes: Sizes,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const users = new SqlUserRepository(sql);
  const families = new SqlRefreshTokenRepository(sql);
  const started = performance.now();
  // One real argon2id hash, the service's parameters' kind, shared by every seeded user:
  // the lookups are measured, not the hash, which costs the same whatever the table holds.
  const passwordHash = await argon2.hash(randomBytes(16).toString('hex'), {
    type: argon2.argon2id,
  });
  const hashMs = performance.now() - started;
  const notes: string[] = [
    `Users seeded into AUTH's users table (its migrations, ${ROWS_PER_INSERT}-row INSERTs, ${USERS_PER_TRANSACTION.toLocaleString('en-US')} users to a transaction), each with one refresh-token family and token; all share one argon2id hash (made in ${hashMs.toFixed(0)} ms).`,
    'Timed: SqlUserRepository.findByEmail (the unique email index; what a login looks up before argon2) and SqlRefreshTokenRepository.familyOfToken (the token hash primary key joined to its family; what a refresh looks up), for random seeded users. argon2 itself is left out: it costs the same per login whatever the table holds.',
  ];
  const points: ScalePoint[] = [];
  let seeded = 0;
  const now = Date.now();
  for (const target of [...targets].sort((a, b) => a - b)) {
    const seedStarted = performance.now();
    await seedUsers(sql, seeded, target, passwordHash, now);
    seeded = target;
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    notes.push(
      `Seeding ${name} up to ${target.toLocaleString('en-US')} users took ${seedSeconds.toFixed(1)} s.`,
    );
    progress(`storage: ${name} seeded to ${target} users in ${seedSeconds.toFixed(1)} s`);
    const pick = (): number => Math.floor(Math.random() * target);
    const emails = await measureOps(async () => {
      if ((await users.findByEmail(seededEmail(pick()))) === null)
        throw new Error('a seeded user was not found');
    }, sizes);
    const tokens = await measureOps(async () => {
      if ((await families.familyOfToken(seededTokenHash(pick()))) === null) {
        throw new Error('a seeded token family was not found');
      }
    }, sizes);
    points.push({
      x: target,
      values: {
        emailP50Ms: emails.p50Ms,
        emailP99Ms: emails.p99Ms,
        emailsPerSecond: emails.perSecond,
        tokenP50Ms: tokens.p50Ms,
        tokenP99Ms: tokens.p99Ms,
        tokensPerSecond: tokens.perSecond,
      },
    });
    progress(
      `storage: ${name} ${target} users: by email p50 ${emails.p50Ms.toFixed(3)} ms p99 ${emails.p99Ms.toFixed(3)} ms ${emails.perSecond.toFixed(0)}/s; family by token p50 ${tokens.p50Ms.toFixed(3)} ms p99 ${tokens.p99Ms.toFixed(3)} ms ${tokens.perSecond.toFixed(0)}/s`,
    );
  }
  return {
    id: backend === 'embedded' ? 'storage-sqlite-users' : 'storage-postgres-users',
    title: `Login and refresh lookups against ${name}, by users in the database`,
    backend,
    xLabel: 'users',
    columns: USER_COLUMNS,
    points,
    bend: judge(points, [
      {
        key: 'emailP50Ms',
        label: 'user by email p50',
        unit: 'ms',
        tolerance: 0.5,
        slack: LOOKUP_SLACK_MS,
      },
      {
        key: 'tokenP50Ms',
        label: 'family by token p50',
        unit: 'ms',
        tolerance: 0.5,
        slack: LOOKUP_SLACK_MS,
      },
    ]),
    notes,
  };
}

async function sqliteUsers(
  targets: readonly number[],
  sizes: Sizes,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const dir = await mkdtemp(join(tmpdir(), 'svt-scale-users-'));
  const sql = new SqliteClient(join(dir, 'auth.sqlite'));
  try {
    await sql.migrate(authMigrations);
    return await measureUsers('embedded', 'SQLite', sql, targets, sizes, progress);
  } finally {
    await sql.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgresUsers(
  adminUrl: string,
  targets: readonly number[],
  sizes: Sizes,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const name = `svt_scale_${randomBytes(6).toString('hex')}`;
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  try {
    const sql = await PostgresClient.connect(url.toString());
    try {
      await sql.migrate(authMigrations);
      return await measureUsers('postgres+redis', 'PostgreSQL', sql, targets, sizes, progress);
    } finally {
      await sql.close();
    }
  } finally {
    await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Latency of sequential reads of sampled sessions, then reads per second with 32 in flight. */
async function measureReads(
  find: (idHash: string) => Promise<unknown>,
  sample: readonly string[],
  sizes: Sizes,
): Promise<{ readP50Ms: number; readP99Ms: number; readsPerSecond: number }> {
  let i = 0;
  const ops = await measureOps(async () => {
    const idHash = sample[i++ % sample.length];
    if ((await find(idHash)) === null) throw new Error('a seeded session was not found');
  }, sizes);
  return { readP50Ms: ops.p50Ms, readP99Ms: ops.p99Ms, readsPerSecond: ops.perSecond };
}

/** p50 and p99 of `op` one at a time, then how many complete per second 32 at a time. */
async function measureOps(
  op: () => Promise<void>,
  sizes: Sizes,
): Promise<{ p50Ms: number; p99Ms: number; perSecond: number }> {
  for (let i = 0; i < Math.min(100, sizes.latencySamples); i++) await op();
  const latencies: number[] = [];
  for (let i = 0; i < sizes.latencySamples; i++) {
    const started = performance.now();
    await op();
    latencies.push(performance.now() - started);
  }
  let done = 0;
  const until = performance.now() + sizes.throughputMs;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < until) {
        await op();
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    perSecond: done / seconds,
  };
}

/** One column judged: flat while within `tolerance` (a fraction) of the smallest size's value, or within `slack` of it. */
interface BendCheck {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
  readonly tolerance: number;
  /** A difference too small to matter whatever the ratio, e.g. 0.05 ms on a lookup of 0.01 ms. */
  readonly slack: number;
}

/**
 * Where the series bends, in words: for each check, flat when every point
 * stays within its tolerance or slack of the smallest size's value, else the
 * first size that leaves both.
 */
function judge(points: readonly ScalePoint[], checks: readonly BendCheck[]): string {
  const first = points[0];
  if (first === undefined) return 'no points';
  return checks
    .map(({ key, label, unit, tolerance, slack }) => {
      const base = first.values[key];
      if (base === undefined || !Number.isFinite(base) || base === 0) return `${label}: no data`;
      const values = points.map((point) => ({ x: point.x, value: point.values[key] ?? NaN }));
      const digits = base < 1 ? 3 : 0;
      const path = values.map((v) => `${v.value.toFixed(digits)}`).join(' → ');
      const leaving = values.find(
        (v) => !(Math.abs(v.value - base) <= Math.max(tolerance * base, slack)),
      );
      const rule = `±${(tolerance * 100).toFixed(0)} %${slack > 0 ? ` or ${slack} ${unit}` : ''}`;
      return leaving === undefined
        ? `${label} flat: ${path} ${unit} (within ${rule})`
        : `${label} bends at ${leaving.x.toLocaleString('en-US')}: ${path} ${unit} (past ${rule})`;
    })
    .join('; ');
}
