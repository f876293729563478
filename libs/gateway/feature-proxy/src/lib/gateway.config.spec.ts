import { loadConfig } from '@svt/shared/util-config';
import { gatewayConfigSchema } from './gateway.config';

const load = (env: Record<string, string>) => loadConfig('gateway', gatewayConfigSchema, env);

describe('gateway config', () => {
  describe('METRICS_PORT', () => {
    it('is 9180 by default, apart from PORT', () => {
      expect(load({})).toMatchObject({ PORT: 8080, METRICS_PORT: 9180 });
    });

    it.each(['65536', '-1', 'metrics', '91.5'])('refuses %s', (value) => {
      expect(() => load({ METRICS_PORT: value })).toThrow(/METRICS_PORT/);
    });
  });
});
