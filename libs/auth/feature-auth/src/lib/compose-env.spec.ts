import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as composeEnv from '../../../../../tools/deploy-check/compose-env.cjs';
import { describeComposeService } from '../../../../../tools/deploy-check/describe-compose-service';
import { SERVICES } from '../../../../../tools/topology.cjs';
import { authConfigSchema } from './auth.config';

/**
 * docker-compose.yml gives the auth container, and its second replica, an
 * environment its schema accepts in production (the checks every service
 * shares, driven by topology.json), with the key encryption secret left to
 * the environment, and trusting X-Forwarded-For from the gateways' side only.
 * The compose file is read by tools/deploy-check/compose-env.cjs (anchors,
 * `<<:` merges, `${VAR:-default}` → default, `${VAR:?msg}` → a valid dummy).
 */
const compose = composeEnv.loadCompose();
const gatewayAddresses = [
  ...composeEnv.addresses('gateway', compose),
  ...composeEnv.addresses('gateway-2', compose),
];
const balancerAddresses = composeEnv.addresses('lb', compose);

describeComposeService(
  {
    name: 'auth',
    schema: authConfigSchema,
    secrets: {
      KEY_ENCRYPTION_SECRET: ['KEY_ENCRYPTION_SECRET'],
      DATABASE_URL: ['POSTGRES_PASSWORD'],
    },
    containerSpecific: ['TRUSTED_PROXIES'],
    dependsOn: ['postgres', 'redis'],
    replicaDependsOn: ['postgres', 'redis'],
    balancerPort: '9081',
  },
  {
    service: ({ service, environment: { env, raw } }) => {
      it.each(['127.0.0.1:9181:9181', '9181', '19181:9181/tcp'])(
        'would notice the metrics port published as %s',
        (entry) => {
          const published = structuredClone(compose);
          published.services['auth'].ports = [...(service.ports ?? []), entry];
          expect(composeEnv.metricsReach('auth', published).published).toEqual([entry]);
        },
      );

      it('refuses to start without KEY_ENCRYPTION_SECRET, which the file leaves to the environment', () => {
        const bare = authConfigSchema.safeParse({ NODE_ENV: 'production' });
        const needed = bare.success ? [] : bare.error.issues.map((issue) => String(issue.path[0]));
        expect(needed).toContain('KEY_ENCRYPTION_SECRET');
        expect(String(raw['KEY_ENCRYPTION_SECRET'])).toMatch(
          /^\$\{KEY_ENCRYPTION_SECRET:\?[^}]+\}$/,
        );
        const withoutSecret = Object.fromEntries(
          Object.entries(env).filter(([key]) => key !== 'KEY_ENCRYPTION_SECRET'),
        );
        expect(authConfigSchema.safeParse(withoutSecret).success).toBe(false);
      });

      it('trusts X-Forwarded-For from the gateway and the replicas balancer only', () => {
        const result = authConfigSchema.safeParse(env);
        const trusted = result.success ? result.data.TRUSTED_PROXIES : [];
        expect(composeEnv.addresses('gateway', compose)).toHaveLength(1);
        expect(trusted).toContain(composeEnv.addresses('gateway', compose)[0]);
        for (const proxy of trusted)
          expect([...gatewayAddresses, ...balancerAddresses]).toContain(proxy);
      });

      it('sends its mail to the mail catcher, which publishes its page on loopback and SMTP nowhere', () => {
        const result = authConfigSchema.safeParse(env);
        expect(result.success && result.data.SMTP_URL).toBe('smtp://mail:1025');
        const mail = compose.services['mail'];
        const mailEnv = composeEnv.serviceEnvironment('mail', compose).env;
        expect(mailEnv['SMTP_PORT']).toBe('1025');
        expect(mail.expose).toEqual(['1025']);
        expect(mail.ports).toEqual([`127.0.0.1:${mailEnv['PORT']}:${mailEnv['PORT']}`]);
        expect(mail.build?.args?.['APP']).toBe('mail-catcher');
      });

      it('does not bake the secret into the image', () => {
        const dockerfile = readFileSync(join(composeEnv.ROOT, 'Dockerfile'), 'utf8');
        expect(dockerfile).not.toMatch(/KEY_ENCRYPTION_SECRET\s*=|POSTGRES_PASSWORD\s*=/);
      });
    },
    replica: ({ replicaEnvironment }) => {
      it('hears of the client from the balancer, which believes the gateways only', () => {
        expect(balancerAddresses).toHaveLength(1);
        const result = authConfigSchema.safeParse(replicaEnvironment.env);
        expect(result.success && result.data.TRUSTED_PROXIES).toContain(balancerAddresses[0]);
        const pool = composeEnv.balancer()[String(composeEnv.balancerPortOf('auth', compose))];
        expect([...pool.realIpFrom].sort()).toEqual([...gatewayAddresses].sort());
      });
    },
  },
);

describe('docker-compose.yml → the replicas profile', () => {
  const names = SERVICES.map(({ name }) => name);

  it('leaves the default stack as it was: no profile on the services, mail, postgres, redis', () => {
    const unprofiled = Object.entries(compose.services)
      .filter(([, definition]) => definition.profiles === undefined)
      .map(([name]) => name)
      .sort();
    expect(unprofiled).toEqual([...names, 'mail', 'postgres', 'redis'].sort());
  });

  it('adds a second replica of each service and the balancer, nothing else', () => {
    const profiled = Object.entries(compose.services)
      .filter(([, definition]) => definition.profiles?.includes(composeEnv.REPLICAS_PROFILE))
      .map(([name]) => name)
      .sort();
    expect(profiled).toEqual([...names.map((name) => `${name}-2`), 'lb'].sort());
  });
});
