import { join } from 'node:path';
import type { DynamicModule, InjectionToken, Provider } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { SHARED_STATE, provideSharedState } from '@svt/shared/data-access-sessions';
import type { Migration, SqlClient } from '@svt/shared/data-access-sql';
import { openSqlClient } from '@svt/shared/data-access-sql';
import type { RemoteJwksOptions } from '@svt/shared/feature-authn';
import { AUTH_JWKS, RemoteJwks } from '@svt/shared/feature-authn';
import type { JwksConfig, SharedStateConfig } from '@svt/shared/util-config';
import type { ReadinessCheck } from '@svt/shared/util-http';
import {
  closeOnShutdown,
  HealthChecksModule,
  HealthController,
  READINESS_CHECKS,
} from '@svt/shared/util-http';
import { CLOCK, systemClock } from '@svt/shared/util-security';

/** The part of a service's config the core reads: `sharedStateFields`, and the rest where it has them. */
export type ServiceCoreConfig = SharedStateConfig & {
  readonly DATABASE_URL?: string;
  /** `memory`: sessions in this process only, for the lab's "in-memory sessions don't scale". */
  readonly SESSION_STORE?: 'shared' | 'memory';
};

/** A service's own database: PostgreSQL with DATABASE_URL, else a SQLite file under DATA_DIR. */
export interface ServiceDatabase {
  readonly token: InjectionToken;
  /** The SQLite file's name in DATA_DIR. */
  readonly sqliteFile: string;
  readonly migrations: readonly Migration[];
}

/** Another service's public keys, kept from `<url>/.well-known/jwks.json`. */
export interface RemoteKeySet {
  readonly token: InjectionToken;
  readonly url: string;
}

export interface ServiceCoreOptions {
  readonly config: ServiceCoreConfig;
  /** The token the service's own code injects the config by. */
  readonly configToken: InjectionToken;
  readonly database?: ServiceDatabase;
  /**
   * The service's own signing keys (anything with `isReady()`), provided by
   * the service in a global module: readiness waits for them as `signing-keys`.
   */
  readonly signingKeys?: InjectionToken;
  /** Key sets of other services, kept as `jwksFields` say. */
  readonly jwks?: {
    readonly config: JwksConfig;
    /** AUTH, for its access tokens: provided as AUTH_JWKS; readiness waits for it as `auth-jwks`. */
    readonly authUrl: string;
    /**
     * More key sets the service verifies with (the cart: the gateway's, for its
     * identity tokens). Readiness does not wait for them: AUTH's Bearer path
     * works without them.
     */
    readonly more?: readonly RemoteKeySet[];
  };
}

/**
 * What every service sets up the same way, global so that its features and
 * the authenticator pipeline inject it: the config under `configToken`, the
 * clock, its database, the shared state (`provideSharedState` from
 * `sharedStateFields`), other services' JWKS, `/health/*` with readiness for
 * each of these, and the closing of all it opened on shutdown.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(options: ServiceCoreOptions): DynamicModule {
    const { config, database, jwks } = options;
    const keySetsKept = keySets(jwks);
    const providers: Provider[] = [
      { provide: options.configToken, useValue: config },
      { provide: CLOCK, useValue: systemClock },
      ...(database
        ? [
            {
              provide: database.token,
              useFactory: (): Promise<SqlClient> =>
                openSqlClient({
                  databaseUrl: config.DATABASE_URL,
                  sqliteFile: join(config.DATA_DIR, database.sqliteFile),
                  migrations: database.migrations,
                }),
            },
          ]
        : []),
      ...provideSharedState({
        redisUrl: config.REDIS_URL,
        redisCluster: config.REDIS_CLUSTER,
        redisCommandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS,
        redisKeyPrefix: config.REDIS_KEY_PREFIX,
        dataDir: config.DATA_DIR,
        sessions: config.SESSION_STORE,
      }),
      ...keySetsKept.map(({ token, url, settings }) => ({
        provide: token,
        useFactory: () => RemoteJwks.start(url, settings),
      })),
    ];
    const opened = [
      ...(database ? [database.token] : []),
      SHARED_STATE,
      ...keySetsKept.map(({ token }) => token),
    ];
    const dependencies = [
      ...(database ? [dependency('database', database.token, pinged)] : []),
      dependency('sessions', SHARED_STATE, pinged),
      ...(options.signingKeys ? [dependency('signing-keys', options.signingKeys, loaded)] : []),
      ...(jwks ? [dependency('auth-jwks', AUTH_JWKS, loaded)] : []),
    ];
    return {
      module: ServiceCoreModule,
      global: true,
      imports: [HealthChecksModule],
      controllers: [HealthController],
      providers: [
        ...providers,
        closeOnShutdown(...opened),
        {
          provide: READINESS_CHECKS,
          inject: dependencies.map(({ token }) => token),
          useFactory: (...resolved: unknown[]): ReadinessCheck[] =>
            dependencies.map(({ name, isUp }, i) => ({ name, check: () => isUp(resolved[i]) })),
        },
      ],
      exports: providers.map((provider) => ('provide' in provider ? provider.provide : provider)),
    };
  }
}

/** AUTH's key set first, then the others, each with the settings of `jwksFields`. */
function keySets(
  jwks: ServiceCoreOptions['jwks'],
): (RemoteKeySet & { readonly settings: RemoteJwksOptions })[] {
  if (!jwks) return [];
  const settings: RemoteJwksOptions = {
    algorithm: 'ES256',
    refreshIntervalMs: jwks.config.JWKS_REFRESH_INTERVAL * 1000,
    maxStaleMs: jwks.config.JWKS_MAX_STALENESS * 1000,
  };
  return [{ token: AUTH_JWKS, url: jwks.authUrl }, ...(jwks.more ?? [])].map((set) => ({
    ...set,
    settings,
  }));
}

/** One line of `/health/ready`: `name` is up when `isUp` says so of what `token` resolves to. */
interface Dependency {
  readonly name: string;
  readonly token: InjectionToken;
  readonly isUp: (resolved: unknown) => Promise<boolean> | boolean;
}

function dependency<T>(
  name: string,
  token: InjectionToken,
  isUp: (resolved: T) => Promise<boolean> | boolean,
): Dependency {
  return { name, token, isUp: (resolved) => isUp(resolved as T) };
}

const pinged = async (server: { ping(): Promise<void> }): Promise<boolean> => (
  await server.ping(),
  true
);

const loaded = (keys: { isReady(): boolean }): boolean => keys.isReady();
