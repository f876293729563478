import { breakDown, breakdownTable, NODE_ITSELF, ownerOf } from './breakdown';
import type { Frame } from './flame-graph';

/** A frame named as `frameName` names it: `functionName where`. */
function frame(name: string, samples: number, children: Frame[] = []): Frame {
  const where = name.split(' ').slice(1).join(' ');
  return { name, where, samples, children: new Map(children.map((child) => [child.name, child])) };
}

const owner = (name: string, where = ''): string | undefined => ownerOf({ name, where });

describe('where a profiled process spends its CPU', () => {
  it('names the owner of a frame by its package, its app, or not at all for Node itself', () => {
    expect(owner('LOG pino', 'pino')).toBe('log lines (pino)');
    expect(owner('write sonic-boom', 'sonic-boom')).toBe('log lines (pino)');
    expect(owner('observe prom-client', 'prom-client')).toBe('metrics (prom-client)');
    expect(owner('request undici', 'undici')).toBe('upstream requests (undici)');
    expect(owner('send fastify', 'fastify')).toBe('HTTP framework (fastify)');
    expect(owner('lookup find-my-way', 'find-my-way')).toBe('HTTP framework (fastify)');
    expect(owner('onRequest @fastify/cookie', '@fastify/cookie')).toBe('cookies (@fastify/cookie)');
    expect(owner('(anonymous) @nestjs/platform-fastify', '@nestjs/platform-fastify')).toBe('Nest');
    expect(owner('#query gateway', 'gateway')).toBe('SQLite (better-sqlite3)');
    expect(owner('forward gateway', 'gateway')).toBe("gateway's own code");
    expect(owner('(anonymous) bare-proxy', 'bare-proxy')).toBe("bare-proxy's own code");
    expect(owner('(garbage collector)')).toBe('garbage collection');
    expect(owner('parse some-package', 'some-package')).toBe('some-package');
    expect(owner('writev')).toBeUndefined();
    expect(owner('Socket._write node:net', 'node:net')).toBeUndefined();
    expect(owner('wasm-function[20] wasm', 'wasm')).toBeUndefined();
    // V8 names a regular expression's frame by its source, spaces included.
    expect(owner('^Bearer [A-Za-z0-9._~+/-]+=*$')).toBeUndefined();
  });

  it("gives Node's and native frames' own time to the nearest caller with an owner", () => {
    // forward → send (fastify) → writev; forward → request (undici) → write node:net;
    // a parser callback of Node's with no caller of ours; GC.
    const root = frame('all', 20, [
      frame('forward gateway', 14, [
        frame('send fastify', 6, [frame('writev', 5)]),
        frame('request undici', 6, [frame('Socket._write node:net', 4)]),
      ]),
      frame('parserOnHeadersComplete node:_http_common', 4),
      frame('(garbage collector)', 2),
    ]);
    expect(Object.fromEntries(breakDown(root))).toEqual({
      "gateway's own code": 2 / 20,
      'HTTP framework (fastify)': 6 / 20,
      'upstream requests (undici)': 6 / 20,
      [NODE_ITSELF]: 4 / 20,
      'garbage collection': 2 / 20,
    });
  });

  it('turns shares into µs per request, side by side, largest first, the smallest summed, with the total', () => {
    const table = breakdownTable([
      {
        title: 'a',
        shares: new Map([
          ['x', 0.5],
          ['y', 0.5],
        ]),
        cpuMicrosecondsPerRequest: 100,
      },
      {
        title: 'b',
        shares: new Map([
          ['y', 0.99],
          ['z', 0.001],
          ['w', 0.002],
        ]),
        cpuMicrosecondsPerRequest: 100,
      },
    ]);
    expect(table.split('\n')).toEqual([
      '| CPU µs per request, by who spent it | a | b |',
      '|---|--:|--:|',
      '| y | 50 | 99 |',
      '| x | 50 | – |',
      '| 2 more, each under 0.5 µs | – | – |',
      '| **all** | **100** | **100** |',
      '',
    ]);
  });
});
