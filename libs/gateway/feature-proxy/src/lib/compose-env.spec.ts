import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as composeEnv from '../../../../../tools/deploy-check/compose-env.cjs';
import type { Compose, ComposeService } from '../../../../../tools/deploy-check/compose-env.cjs';
import { describeComposeService } from '../../../../../tools/deploy-check/describe-compose-service';
import { docsPublic, gatewayConfigSchema } from './gateway.config';

/**
 * docker-compose.yml gives the gateway container, and its second replica, an
 * environment its schema accepts in production (the checks every service
 * shares, driven by topology.json), as the edge: one identity key for both,
 * the demo page, no /docs, X-Forwarded-For from the replicas balancer only.
 * The compose file is read by tools/deploy-check/compose-env.cjs (anchors,
 * `<<:` merges, `${VAR:-default}` → default, `${VAR:?msg}` → a valid dummy).
 */

/** The named volume mounted at DATA_DIR. */
function dataVolume(definition: ComposeService, dataDir: string): string | undefined {
  const mounts = (definition.volumes ?? []).map((volume) => String(volume).split(':'));
  return mounts.find(([, target]) => target === dataDir)?.[0];
}

describeComposeService(
  {
    name: 'gateway',
    schema: gatewayConfigSchema,
    secrets: { SSO_COOKIE_SECRET: ['SSO_COOKIE_SECRET'] },
    containerSpecific: ['DEMO_DIR', 'TRUSTED_PROXIES'],
    dependsOn: ['auth', 'cart', 'redis'],
    replicaDependsOn: ['auth', 'cart', 'lb', 'redis'],
    balancerPort: '9080',
  },
  {
    service: ({ compose, service, environment: { env } }) => {
      it('keeps its identity key on a named volume mounted at DATA_DIR', () => {
        const mounts = (service.volumes ?? []).map((volume) => String(volume).split(':'));
        const dataMount = mounts.find(([, target]) => target === env['DATA_DIR']);
        expect(dataMount).toBeDefined();
        expect((compose as Compose & { volumes?: Record<string, unknown> }).volumes).toHaveProperty(
          String(dataMount?.[0]),
        );
      });

      it('serves the demo page the image carries', () => {
        const dockerfile = readFileSync(join(composeEnv.ROOT, 'Dockerfile'), 'utf8');
        expect(env['DEMO_DIR']).toBe('/app/demo');
        expect(dockerfile).toContain('DEMO_DIR=/app/demo');
        // The build puts the page into the gateway's tree, which lands in /app.
        expect(dockerfile).toContain('cp -r dist/apps/shop-web/. /out/gateway/demo/');
        expect(dockerfile).toMatch(/WORKDIR \/app\n[^]*COPY --from=build \/out\/\$\{APP\}\/ \.\//);
      });

      it('is the edge: believes X-Forwarded-For only from the balancer of the replicas profile', () => {
        // Either gateway then names the same client to auth, whichever nginx picked.
        expect(env['TRUSTED_PROXIES']).toBe(composeEnv.addresses('lb', compose)[0]);
      });

      it('links the demo page to the mail catcher, at the port compose publishes on loopback', () => {
        const mail = composeEnv.serviceEnvironment('mail', compose).env;
        expect(gatewayConfigSchema.parse(env).MAIL_CATCHER_ORIGIN).toBe(
          `http://mail.localhost:${mail['PORT']}`,
        );
        expect(compose.services['mail'].ports).toEqual([
          `127.0.0.1:${mail['PORT']}:${mail['PORT']}`,
        ]);
      });

      it('is the edge: serves no /docs', () => {
        expect(docsPublic(gatewayConfigSchema.parse(env))).toBe(false);
      });
    },
    replica: (context) => {
      const { compose, service, environment, replicaName, replica, replicaEnvironment } = context;

      it('signs identity tokens with the same key: the same named volume at DATA_DIR', () => {
        const volume = dataVolume(replica, replicaEnvironment.env['DATA_DIR']);
        expect(volume).toBeDefined();
        expect(volume).toBe(dataVolume(service, environment.env['DATA_DIR']));
      });

      it('has the balancer as its edge: trusts its address only, which sets X-Forwarded-For', () => {
        expect(composeEnv.addresses('lb', compose)).toHaveLength(1);
        expect(replicaEnvironment.env['TRUSTED_PROXIES']).toBe(
          composeEnv.addresses('lb', compose)[0],
        );
        const port = String(composeEnv.balancerPortOf('gateway', compose));
        expect(composeEnv.balancer()[port].realIpFrom).toEqual([]);
      });

      it('has a fixed address of its own, which the balancer believes on the ports of the services it calls', () => {
        const own = composeEnv.addresses(replicaName, compose);
        expect(own).toHaveLength(1);
        expect(own).not.toEqual(composeEnv.addresses('gateway', compose));
        for (const target of context.topology.calls) {
          const port = String(composeEnv.balancerPortOf(target, compose));
          expect(composeEnv.balancer()[port].realIpFrom).toEqual(
            expect.arrayContaining([...composeEnv.addresses('gateway', compose), ...own]),
          );
        }
      });
    },
  },
);
