import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { SqliteClient } from '@svt/shared/data-access-sql';
import { SqliteDenylist } from './sqlite-denylist';
import { SqliteSessionStore } from './sqlite-session-store';
import { DenialRecorder } from './testing/denial-recorder';

describe(SqliteDenylist.name, () => {
  let dir: string;
  let file: string;
  let raw: SqliteClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-sqlite-denylist-'));
    file = join(dir, 'sessions.sqlite');
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await raw?.close();
    raw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('sweeps ended denials when denying once the sweep interval has passed', async () => {
    let now = 1_000;
    const denylist = await SqliteDenylist.open(file, { now: () => now, sweepIntervalMs: 60_000 });
    raw = new SqliteClient(file);
    const storedSids = async (): Promise<string[]> =>
      (
        await (raw as SqliteClient).query<{ sid: string }>(
          'SELECT sid FROM denied_sids ORDER BY sid',
        )
      ).map((row) => row.sid);
    try {
      await denylist.deny('a-ends', 2_000);
      await denylist.deny('b-lasts', 500_000);
      now = 30_000;
      await denylist.deny('c-new', 500_000);
      expect(await storedSids()).toEqual(['a-ends', 'b-lasts', 'c-new']);

      now = 61_000;
      await denylist.deny('d-new', 500_000);

      expect(await storedSids()).toEqual(['b-lasts', 'c-new', 'd-new']);
    } finally {
      await denylist.close();
    }
  });

  it('sweeps the events of ended denials along with them', async () => {
    let now = 1_000;
    const denylist = await SqliteDenylist.open(file, { now: () => now, sweepIntervalMs: 60_000 });
    raw = new SqliteClient(file);
    try {
      await denylist.deny('a-ends', 2_000);
      await denylist.deny('b-lasts', 500_000);

      now = 61_000;
      await denylist.deny('c-new', 500_000);

      const events = await raw.query<{ sid: string }>(
        'SELECT sid FROM denylist_events ORDER BY id',
      );
      expect(events.map((row) => row.sid)).toEqual(['b-lasts', 'c-new']);
    } finally {
      await denylist.close();
    }
  });

  it('delivers a new event after the latest ones were swept: event ids never go back', async () => {
    const writer = await SqliteDenylist.open(file);
    const reader = await SqliteDenylist.open(file, { pollIntervalMs: 20 });
    raw = new SqliteClient(file);
    const recorder = new DenialRecorder();
    try {
      await writer.deny('sid-swept', Date.now() + 60_000);
      await writer.deny('sid-swept-too', Date.now() + 60_000);
      await reader.follow(recorder);
      await raw.execute('DELETE FROM denylist_events');

      await writer.deny('sid-new', Date.now() + 60_000);

      await recorder.deliveryOf('sid-new');
      expect(recorder.sids).toEqual(['sid-new']);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  it('reports a failed poll as lost once, then delivers what it missed and is resumed', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const denylist = await SqliteDenylist.open(file, { pollIntervalMs: 20 });
    raw = new SqliteClient(file);
    const recorder = new DenialRecorder();
    const following = await denylist.follow(recorder);
    const until = Date.now() + 60_000;
    try {
      await raw.execute('ALTER TABLE denylist_events RENAME TO denylist_events_away');
      await recorder.signalsToBe(['lost']);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(recorder.signals).toEqual(['lost']);
      await raw.execute('INSERT INTO denylist_events_away (sid, until) VALUES (?, ?)', [
        'sid-gap',
        until,
      ]);

      await raw.execute('ALTER TABLE denylist_events_away RENAME TO denylist_events');

      await recorder.signalsToBe(['lost', 'resumed']);
      expect(recorder.denials).toEqual([{ sid: 'sid-gap', until }]);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[0]).toMatch(/^Polling the denylist events failed: /);
    } finally {
      await following.stop();
      await denylist.close();
    }
  });

  it('stops its followings when closed', async () => {
    const denylist = await SqliteDenylist.open(file, { pollIntervalMs: 20 });
    const other = await SqliteDenylist.open(file, { pollIntervalMs: 20 });
    const closed = new DenialRecorder();
    const running = new DenialRecorder();
    await denylist.follow(closed);
    const following = await other.follow(running);
    try {
      await denylist.close();
      await other.deny('sid-1', Date.now() + 60_000);

      await running.deliveryOf('sid-1');
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(closed.denials).toEqual([]);
      expect(closed.signals).toEqual([]);
    } finally {
      await following.stop();
      await other.close();
    }
  });

  it('shares the file with the session store, each table under its own migrations', async () => {
    raw = new SqliteClient(file);
    const sessions = await SqliteSessionStore.on(raw);
    const denylist = await SqliteDenylist.on(raw);
    await denylist.close();
    await sessions.close();

    const migrations = await raw.query<{ id: string }>(
      'SELECT id FROM schema_migrations ORDER BY id',
    );
    expect(migrations.map((row) => row.id)).toEqual([
      'denylist-001-create',
      'denylist-002-events',
      'sessions-001-create',
      'sessions-002-idle-timeout',
      'sessions-003-credential-version',
      'sessions-004-sso-sid',
      'sessions-005-device-binding',
      'sessions-006-authentication',
    ]);
  });

  it('rejects with an Error naming the file when it cannot be opened', async () => {
    const blocked = join(dir, 'sessions.sqlite', 'nested.sqlite');
    raw = new SqliteClient(join(dir, 'sessions.sqlite'));

    await expect(SqliteDenylist.open(blocked)).rejects.toThrow(
      `Cannot open SQLite database ${blocked}`,
    );
  });
});
