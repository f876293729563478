import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SESSION_STORE, SHARED_STATE } from '@svt/shared/data-access-sessions';
import type { SqlClient } from '@svt/shared/data-access-sql';
import { AUTH_JWKS, RemoteJwks } from '@svt/shared/feature-authn';
import type { ReadinessCheck } from '@svt/shared/util-http';
import { READINESS_CHECKS } from '@svt/shared/util-http';
import { CLOCK, systemClock } from '@svt/shared/util-security';
import type { ServiceCoreOptions } from './service-core.module';
import { ServiceCoreModule } from './service-core.module';

const CONFIG = Symbol('config');
const SQL = Symbol('sql');
const KEYS = Symbol('keys');
const OTHER_JWKS = Symbol('otherJwks');

/** A service's own keys come from its own global module, as auth's do. */
@Global()
@Module({ providers: [{ provide: KEYS, useValue: { isReady: () => true } }], exports: [KEYS] })
class SigningKeysModule {}

const JWKS = { JWKS_REFRESH_INTERVAL: 30, JWKS_MAX_STALENESS: 600 };

/** Nothing listens there: the key sets stay unloaded, which readiness must say. */
const NOWHERE = 'http://127.0.0.1:9';

describe(ServiceCoreModule.name, () => {
  let dataDir: string;
  let app: INestApplication | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'svt-service-core-'));
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  const config = () => ({
    DATA_DIR: dataDir,
    REDIS_CLUSTER: false,
    REDIS_COMMAND_TIMEOUT_MS: 1000,
    REDIS_KEY_PREFIX: 'svt:',
    ...JWKS,
  });

  async function start(options: Omit<ServiceCoreOptions, 'config' | 'configToken'>) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ServiceCoreModule.forRoot({ config: config(), configToken: CONFIG, ...options }),
        SigningKeysModule,
      ],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    return app;
  }

  const database = { token: SQL, sqliteFile: 'service.sqlite', migrations: [] };

  it('provides the config under the service’s token, the clock and the shared state', async () => {
    const started = await start({});
    expect(started.get(CONFIG)).toEqual(config());
    expect(started.get(CLOCK)).toBe(systemClock);
    expect(started.get(SESSION_STORE)).toBe(started.get(SHARED_STATE).sessions);
  });

  describe('readiness', () => {
    it.each<[string, string[], Omit<ServiceCoreOptions, 'config' | 'configToken'>]>([
      ['with shared state only', ['sessions'], {}],
      [
        'with a database and signing keys',
        ['database', 'sessions', 'signing-keys'],
        { database, signingKeys: KEYS },
      ],
      [
        'verifying AUTH’s tokens',
        ['sessions', 'auth-jwks'],
        { jwks: { config: JWKS, authUrl: NOWHERE } },
      ],
      [
        'with a database, AUTH’s and another key set',
        ['database', 'sessions', 'auth-jwks'],
        {
          database,
          jwks: { config: JWKS, authUrl: NOWHERE, more: [{ token: OTHER_JWKS, url: NOWHERE }] },
        },
      ],
    ])('%s: checks %j', async (_, names, options) => {
      const started = await start(options);
      const checks = started.get<ReadinessCheck[]>(READINESS_CHECKS);
      expect(checks.map(({ name }) => name)).toEqual(names);
    });

    it('says which dependency is down', async () => {
      const started = await start({ database, jwks: { config: JWKS, authUrl: NOWHERE } });
      const checks = started.get<ReadinessCheck[]>(READINESS_CHECKS);
      const up = await Promise.all(checks.map(async ({ check }) => check()));
      expect(up).toEqual([true, true, false]);
    });
  });

  it('keeps each key set with the JWKS_* settings', async () => {
    const started = await start({
      jwks: { config: JWKS, authUrl: NOWHERE, more: [{ token: OTHER_JWKS, url: NOWHERE }] },
    });
    expect(started.get(AUTH_JWKS)).toBeInstanceOf(RemoteJwks);
    expect(started.get(OTHER_JWKS)).toBeInstanceOf(RemoteJwks);
    expect(started.get(OTHER_JWKS)).not.toBe(started.get(AUTH_JWKS));
  });

  it('closes what it opened when the app shuts down', async () => {
    const started = await start({ database, jwks: { config: JWKS, authUrl: NOWHERE } });
    const closed = [
      jest.spyOn(started.get<SqlClient>(SQL), 'close'),
      jest.spyOn(started.get<RemoteJwks>(AUTH_JWKS), 'close'),
    ];
    await started.close();
    app = undefined;
    for (const close of closed) expect(close).toHaveBeenCalled();
  });
});
