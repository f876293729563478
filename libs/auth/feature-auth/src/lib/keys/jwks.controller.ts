import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { JwksDto, Public } from '@svt/shared/feature-authn';
import { SigningKeysService } from './signing-keys.service';

@ApiTags('keys')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Public()
  @Get('jwks.json')
  @ApiOperation({
    summary: 'The public keys that sign access tokens',
    description: 'Each with `kid`, `alg` and `use: "sig"`; a new key is published before it signs.',
  })
  @ApiOkResponse({ type: JwksDto })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): ReturnType<SigningKeysService['jwks']> {
    reply.header('cache-control', 'public, max-age=30');
    return this.keys.jwks();
  }
}
