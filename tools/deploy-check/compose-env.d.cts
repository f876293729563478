/**
 * Types of compose-env.cjs, for the `compose-env.spec.ts` of each service: only the parts of a compose service
 * that those specs read are typed.
 */

/** The environment a service's container gets, and the secrets each value demanded with `${VAR:?...}`. */
export interface ServiceEnvironment {
  env: Record<string, string>;
  raw: Record<string, unknown>;
  required: Record<string, string[]>;
}

export interface ComposeService {
  image?: string;
  build?: { args?: Record<string, string> };
  pull_policy?: string;
  depends_on?: Record<string, { condition?: string }>;
  ports?: string[];
  expose?: string[];
  networks?: Record<string, { ipv4_address?: string } | null> | string[];
  profiles?: string[];
  volumes?: string[];
}

export interface Compose {
  services: Record<string, ComposeService>;
}

/** The workspace root. */
export const ROOT: string;
export const REPLICAS_PROFILE: string;
export const REQUIRED_DUMMIES: Readonly<Record<string, string>>;

export function loadCompose(file?: string): Compose;
export function interpolate(
  value: string,
  vars?: Record<string, string>,
): { value: string; required: string[] };
export function serviceEnvironment(service: string, compose?: Compose): ServiceEnvironment;
export function envExample(file?: string): Record<string, string>;
export function initDatabases(file?: string): string[];
export function balancer(
  file?: string,
): Record<string, { upstream: string[]; realIpFrom: string[] }>;
export function balancerPortOf(service: string, compose?: Compose): string | undefined;
export function addresses(service: string, compose?: Compose): string[];
export function metricsReach(
  service: string,
  compose?: Compose,
): { port: string | undefined; exposed: boolean; published: string[] };
export function differences(a: Record<string, string>, b: Record<string, string>): string[];
