import { http, startSystem } from '@svt/shared/testing';
import type {
  HttpClient,
  ServiceName,
  StartSystemOptions,
  SystemUnderTest,
} from '@svt/shared/testing';
import { startHttpsFront } from './https-front';
import type { HttpsFront } from './https-front';

/** SHOP's made-up name; `launchChromiumWithDbsc` maps `*.test` to 127.0.0.1. */
const SHOP_NAME = 'shop.test';

/** The real system with SHOP served over https, as a deployment behind a TLS terminator. */
export interface HttpsSystem {
  readonly sut: SystemUnderTest;
  readonly front: HttpsFront;
  /** `https://shop.test:<port>`: SHOP's public origin, the one the services were told. */
  readonly shopOrigin: string;
  /**
   * SHOP for Node: straight to the gateway's plain-HTTP port with
   * `Host: shop.test:<port>`, as the TLS front would deliver it.
   */
  readonly shop: HttpClient;
  stop(): Promise<void>;
}

/**
 * Starts the services with SHOP's origin at `https://shop.test:<port>` and the
 * TLS front on that port piping to the gateway. Every service is told the
 * origin (AUTH sets SHOP's cookies and checks its Origin, CART answers its
 * CORS); `env` adds per-service settings on top.
 */
export async function startHttpsSystem(env: StartSystemOptions['env'] = {}): Promise<HttpsSystem> {
  // The gateway also answers as `api.<SHOP's host>` (API_ORIGIN's default), which the page may call.
  const front = await startHttpsFront([SHOP_NAME, `api.${SHOP_NAME}`]);
  const shopOrigin = front.origin(SHOP_NAME);
  const services: ServiceName[] = ['auth', 'gateway', 'cart'];
  let sut: SystemUnderTest;
  try {
    sut = await startSystem({
      env: Object.fromEntries(
        services.map((name) => [name, { SHOP_ORIGIN: shopOrigin, ...env[name] }]),
      ),
    });
  } catch (error) {
    await front.close();
    throw error;
  }
  front.forwardTo(sut.shop.port);
  return {
    sut,
    front,
    shopOrigin,
    shop: http({ name: 'shop', port: sut.shop.port, origin: shopOrigin }),
    stop: async () => {
      await front.close();
      await sut.stop();
    },
  };
}
