import { describeComposeService } from '../../../../../tools/deploy-check/describe-compose-service';
import { cartConfigSchema } from './cart.config';

/**
 * docker-compose.yml gives the cart container, and its second replica, an
 * environment its schema accepts in production (the checks every service
 * shares, driven by topology.json). The compose file is read by
 * tools/deploy-check/compose-env.cjs (anchors, `<<:` merges,
 * `${VAR:-default}` → default, `${VAR:?msg}` → a valid dummy).
 */
describeComposeService({
  name: 'cart',
  schema: cartConfigSchema,
  secrets: { DATABASE_URL: ['POSTGRES_PASSWORD'] },
  dependsOn: ['auth', 'postgres', 'redis'],
  replicaDependsOn: ['lb', 'postgres', 'redis'],
  balancerPort: '9082',
});
