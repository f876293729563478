import { All, Controller, Next, Req, Res, UseGuards } from '@nestjs/common';
import { createProxyMiddleware, fixRequestBody } from 'http-proxy-middleware';
import { Agent, IncomingMessage, ServerResponse } from 'node:http';
import { config } from './config';
import { JwtAuthGuard } from './jwt-auth.guard';

@Controller('api')
@UseGuards(JwtAuthGuard)
export class ProxyController {
  private readonly proxy = createProxyMiddleware({
    target: config.upstreamUrl,
    changeOrigin: true,
    // Often left out: without it every request opens a new upstream connection
    // and closes the client's too. With it, this peer is measured at its best.
    agent: new Agent({ keepAlive: true, maxSockets: 64 }),
    // Nest's body parser has already read JSON and form bodies: write them back.
    on: { proxyReq: fixRequestBody },
  });

  @All('*path')
  forward(
    @Req() request: IncomingMessage,
    @Res() response: ServerResponse,
    @Next() next: (error?: unknown) => void,
  ): Promise<void> {
    return this.proxy(request, response, next);
  }
}
