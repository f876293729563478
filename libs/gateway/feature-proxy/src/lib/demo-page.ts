import { readdir, readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { credentialsEchoController, Public, sessionCookieName } from '@svt/shared/feature-authn';
import { isSecureContextOrigin } from '@svt/shared/util-config';
import { AppError } from '@svt/shared/util-errors';
import { ApiProblems } from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import { apiOrigin } from './gateway.config';
import { DEMO_PAGE, GATEWAY_CONFIG } from './gateway.tokens';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
};

/** The built demo page, read once at start: file name → type and bytes. */
export type DemoPage = ReadonlyMap<string, { readonly type: string; readonly body: Buffer }>;

/** Loads the files of `dir` (not recursive); `null` when the page is not built. */
export async function loadDemoPage(dir: string): Promise<DemoPage | null> {
  let names: string[];
  try {
    names = await readdir(resolve(dir));
  } catch {
    return null;
  }
  const page = new Map<string, { type: string; body: Buffer }>();
  for (const name of names) {
    const type = CONTENT_TYPES[extname(name)];
    if (type) page.set(name, { type, body: await readFile(join(resolve(dir), name)) });
  }
  return page.has('index.html') ? page : null;
}

/** The origins the demo page calls, from the gateway's configuration. */
export class DemoConfigDto {
  @ApiProperty({ format: 'uri', example: 'http://shop.localhost:8080' })
  readonly shopOrigin!: string;

  @ApiProperty({ format: 'uri', example: 'http://api.shop.localhost:8080' })
  readonly apiOrigin!: string;

  @ApiProperty({ format: 'uri', example: 'http://cart.localhost:8082' })
  readonly cartOrigin!: string;

  @ApiProperty({ format: 'uri', example: 'http://auth.localhost:8081' })
  readonly authOrigin!: string;

  @ApiProperty({ example: '__Host-Http-sid' })
  readonly sessionCookieName!: string;

  @ApiPropertyOptional({
    format: 'uri',
    example: 'http://mail.localhost:1080',
    description:
      'The development mail catcher that shows what AUTH mailed (MAIL_CATCHER_ORIGIN); absent when there is none.',
  })
  readonly mailCatcherOrigin?: string;
}

/**
 * The lab's page on SHOP: `/`, its files under `/demo/`, and the origins it
 * calls. A strict CSP: only this origin's scripts and styles, and calls only
 * to SHOP, its same-site sibling and CART.
 */
@ApiTags('demo')
@Controller()
export class DemoPageController {
  private readonly csp: string;

  constructor(
    @Inject(DEMO_PAGE) private readonly page: DemoPage | null,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.csp = [
      "default-src 'self'",
      `connect-src 'self' ${apiOrigin(config)} ${config.CART_ORIGIN}`,
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ].join('; ');
  }

  @Public()
  @Get()
  @ApiOperation({ summary: "The lab's page", description: 'Served with a strict CSP.' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page.', schema: { type: 'string' } })
  @ApiProblems('not_found')
  index(@Res() reply: FastifyReply): Promise<void> {
    return this.send('index.html', reply);
  }

  @Public()
  @Get('demo/config.json')
  @ApiOperation({ summary: 'The origins the page calls' })
  @ApiOkResponse({ type: DemoConfigDto })
  origins(): Record<string, string> {
    return {
      shopOrigin: this.config.SHOP_ORIGIN,
      apiOrigin: apiOrigin(this.config),
      cartOrigin: this.config.CART_ORIGIN,
      authOrigin: this.config.AUTH_ORIGIN,
      sessionCookieName: sessionCookieName(
        isSecureContextOrigin(this.config.SHOP_ORIGIN),
        this.config.SESSION_COOKIE_DOMAIN,
      ),
      ...(this.config.MAIL_CATCHER_ORIGIN === undefined
        ? {}
        : { mailCatcherOrigin: this.config.MAIL_CATCHER_ORIGIN }),
    };
  }

  @Public()
  @Get('demo/:file')
  @ApiOperation({ summary: "One of the page's files (scripts, styles)" })
  @ApiProduces('text/javascript', 'text/css', 'image/svg+xml', 'application/json')
  @ApiOkResponse({ description: 'The file.', schema: { type: 'string' } })
  @ApiProblems('not_found')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): Promise<void> {
    return this.send(file, reply);
  }

  private async send(name: string, reply: FastifyReply): Promise<void> {
    if (!this.page) {
      throw new AppError('not_found', 'The demo page is not built; `npm run build` builds it.');
    }
    const file = this.page.get(name);
    if (!file) throw new AppError('not_found', `No such file: ${name}.`);
    await reply
      .header('content-type', file.type)
      .header('content-security-policy', this.csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(file.body);
  }
}

/** What credentials reached the gateway (names and sizes, no values), for the lab. */
export const CredentialsEchoController = credentialsEchoController({
  path: 'api/credentials',
  tag: 'demo',
  summary: 'Which credential headers reached the gateway (no values)',
  cookieExample: { names: ['__Host-Http-sid'], headerBytes: 63 },
});
