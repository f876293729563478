import type { FactoryProvider, InjectionToken } from '@nestjs/common';

/** Anything holding connections, files or timers. */
export interface Closeable {
  close(): unknown;
}

/**
 * A provider that closes the resources behind `tokens` when the app shuts
 * down (Nest calls `onApplicationShutdown` on factory-made instances too), so
 * adapters stay free of framework hooks.
 */
export function closeOnShutdown(...tokens: InjectionToken[]): FactoryProvider {
  return {
    provide: Symbol('closeOnShutdown'),
    inject: tokens,
    useFactory: (...resources: Closeable[]) => ({
      onApplicationShutdown: async (): Promise<void> => {
        await Promise.allSettled(resources.map(async (resource) => resource.close()));
      },
    }),
  };
}
