import type { Type } from '@nestjs/common';
import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '@svt/shared/util-http';
import { describeCredentials } from './credentials-echo';
import type { ArrivedCredentials } from './credentials-echo';
import type { ArrivedCookieExample } from './credentials-echo.dto';
import { arrivedCredentialsDto } from './credentials-echo.dto';

/** Where a service's credentials echo answers and how its API document describes it. */
export interface CredentialsEchoOptions {
  readonly path: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly cookieExample: ArrivedCookieExample;
}

/**
 * A public `GET <path>` answering which credential headers reached the service (names and sizes, no values), for
 * the lab. A factory because each service documents it under its own path, tag and example; the class keeps one
 * name so that the operation id stays `CredentialsEcho_arrived`.
 */
export function credentialsEchoController(options: CredentialsEchoOptions): Type<unknown> {
  const ArrivedCredentialsDto = arrivedCredentialsDto(options.cookieExample);
  const operation =
    options.description === undefined
      ? { summary: options.summary }
      : { summary: options.summary, description: options.description };

  @ApiTags(options.tag)
  @Controller(options.path)
  class CredentialsEchoController {
    @Public()
    @Get()
    @ApiOperation(operation)
    @ApiOkResponse({ type: ArrivedCredentialsDto })
    arrived(@Req() request: FastifyRequest): ArrivedCredentials {
      return describeCredentials(request);
    }
  }

  return CredentialsEchoController;
}
