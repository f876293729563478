/** Types of topology.cjs: the service names come from topology.json. */
import type topology = require('../topology.json');

export type ServiceName = keyof (typeof topology)['services'];

export interface ServiceTopology {
  readonly name: ServiceName;
  /** The public site it answers as, `http://<site>.localhost:<port>`. */
  readonly site: string;
  readonly port: number;
  readonly metricsPort: number;
  /** Whether it has a database of its own (DATABASE_URL). */
  readonly database: boolean;
  /** The services it sends requests to, at their `urlVariable`. */
  readonly calls: readonly ServiceName[];
  /** `AUTH` for auth: `<variable>_PORT`, `<variable>_METRICS_PORT`, `<variable>_DATABASE_URL`. */
  readonly variable: string;
  /** `SHOP_ORIGIN` for the gateway. */
  readonly originVariable: string;
  /** `AUTH_URL` for auth. */
  readonly urlVariable: string;
}

/** Every service, in the order the tools list them. */
export const SERVICES: readonly ServiceTopology[];
/** Every service, in the order they start. */
export const START_ORDER: readonly ServiceTopology[];
export function service(name: ServiceName): ServiceTopology;
export function origin(name: ServiceName, port?: number | string): string;
export function wiringEnv(
  ports: Readonly<Record<ServiceName, number | string>>,
  origins?: Partial<Record<ServiceName, string>>,
): Record<string, string>;
