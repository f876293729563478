import type { ComposeService } from '../../../../../tools/deploy-check/compose-env.cjs';
import { describeComposeService } from '../../../../../tools/deploy-check/describe-compose-service';
import { cartConfigSchema } from './cart.config';

/** The named volume mounted at DATA_DIR. */
function dataVolume(definition: ComposeService, dataDir: string): string | undefined {
  const mounts = (definition.volumes ?? []).map((volume) => String(volume).split(':'));
  return mounts.find(([, target]) => target === dataDir)?.[0];
}

/**
 * docker-compose.yml gives the cart container, and its second replica, an
 * environment its schema accepts in production (the checks every service
 * shares, driven by topology.json). The compose file is read by
 * tools/deploy-check/compose-env.cjs (anchors, `<<:` merges,
 * `${VAR:-default}` → default, `${VAR:?msg}` → a valid dummy).
 */
describeComposeService(
  {
    name: 'cart',
    schema: cartConfigSchema,
    secrets: { DATABASE_URL: ['POSTGRES_PASSWORD'], SSO_COOKIE_SECRET: ['SSO_COOKIE_SECRET'] },
    dependsOn: ['auth', 'postgres', 'redis'],
    replicaDependsOn: ['lb', 'postgres', 'redis'],
    balancerPort: '9082',
  },
  {
    replica: ({ service, environment, replica, replicaEnvironment }) => {
      it('authenticates to AUTH with the same client key: the same named volume at DATA_DIR', () => {
        const volume = dataVolume(replica, replicaEnvironment.env['DATA_DIR']);
        expect(volume).toBeDefined();
        expect(volume).toBe(dataVolume(service, environment.env['DATA_DIR']));
      });
    },
  },
);
