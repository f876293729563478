import { measureStorageScale } from './storage';
import type { ScaleSettings } from './scale-types';

const TINY: ScaleSettings = {
  smoke: true,
  connections: [],
  sessions: [100, 1_000],
  denials: [],
  distinctTokens: [],
  users: [100, 1_000],
  loadSeconds: 1,
};

describe(measureStorageScale.name, () => {
  it('measures every storage series at every size, with finite figures, seeding times and a bend', async () => {
    const lines: string[] = [];

    const series = await measureStorageScale(TINY, (line) => lines.push(line));

    // The embedded series always; Redis and PostgreSQL when their URLs are set, else a SKIPPED line each.
    const ids = series.map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining(['storage-sqlite-sessions', 'storage-sqlite-users']),
    );
    expect(ids.length + lines.filter((line) => line.startsWith('SKIPPED')).length).toBe(4);
    for (const s of series) {
      const sizes = s.xLabel === 'users' ? TINY.users : TINY.sessions;
      expect(s.points.map((point) => point.x)).toEqual(sizes);
      for (const point of s.points) {
        for (const column of s.columns) {
          expect([s.id, point.x, column.key, Number.isFinite(point.values[column.key])]).toEqual([
            s.id,
            point.x,
            column.key,
            true,
          ]);
        }
      }
      expect(s.notes.some((note) => /took \d+(\.\d+)? s/.test(note))).toBe(true);
      expect(s.bend).toMatch(/flat|bends/);
    }
  });
});
