import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@svt/shared/feature-authn';
import { ApiProblems } from '@svt/shared/util-http';
import { DBSC_CHALLENGE, NO_STORE, SET_COOKIE } from '../../shared/api-docs';
import { Client } from '../../shared/request-context';
import type { ClientInfo } from '../../shared/request-context';
import type { SessionInstructions } from './device-binding.service';
import { DeviceBindingService } from './device-binding.service';

const PROOF_HEADER = {
  name: 'Secure-Session-Response',
  description:
    'A DBSC proof: a `dbsc+jwt` signed with ES256, `jti` the challenge. At registration its `jwk` header holds the public key (a public P-256 key and nothing more); at a refresh it is signed by that registered key.',
} as const;

/** The bound cookie's declaration in the session configuration. */
class SessionCredentialDto {
  @ApiProperty({ enum: ['cookie'] })
  readonly type!: 'cookie';

  @ApiProperty({ example: '__Host-sid-bound' })
  readonly name!: string;

  @ApiProperty({ example: 'Path=/; Secure; HttpOnly; SameSite=Strict' })
  readonly attributes!: string;
}

/** The session configuration of the DBSC draft ("JSON session instructions"). */
class SessionInstructionsDto {
  @ApiProperty({ description: "The session's id: the `id` of `GET /auth/sessions`." })
  readonly session_identifier!: string;

  @ApiProperty({ example: 'refresh', description: 'Relative to the registration URL.' })
  readonly refresh_url!: string;

  @ApiProperty({ example: { include_site: false, scope_specification: [] } })
  readonly scope!: object;

  @ApiProperty({ type: [SessionCredentialDto] })
  readonly credentials!: SessionCredentialDto[];

  @ApiProperty({ type: [String], example: [] })
  readonly allowed_refresh_initiators!: string[];
}

/**
 * The two endpoints of Device Bound Session Credentials (W3C DBSC draft).
 * The browser calls them by itself, never the page: registration once after
 * a session login, refresh whenever the bound cookie is about to expire.
 * They authenticate with the long-lived session cookie and a proof, not
 * with the pipeline: the bound cookie is what they issue.
 */
@ApiTags('session')
@Controller('auth/session/dbsc')
export class DeviceBindingController {
  constructor(private readonly deviceBinding: DeviceBindingService) {}

  @Public()
  @Post('registration')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Bind the cookie session to a device key (DBSC registration)',
    description:
      "Called by the browser after a session login announced `Secure-Session-Registration`. Needs the session cookie and a proof over the login's challenge, signed by the key in its `jwk` header. Answers the session configuration and sets the short-lived bound cookie; the session is then accepted only with it.",
  })
  @ApiHeader({ ...PROOF_HEADER, required: true })
  @ApiOkResponse({
    type: SessionInstructionsDto,
    description: 'Bound.',
    headers: { ...SET_COOKIE, ...DBSC_CHALLENGE, ...NO_STORE },
  })
  @ApiProblems(
    'validation_failed',
    'unauthenticated',
    'invalid_session_proof',
    'not_found',
    'store_unavailable',
  )
  register(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<SessionInstructions> {
    return this.deviceBinding.register(request, reply, client);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: "Renew a device-bound session's bound cookie (DBSC refresh)",
    description:
      'Called by the browser when the bound cookie is missing or about to expire, with `Sec-Secure-Session-Id` and a proof over a challenge from `Secure-Session-Challenge`. Without a proof, or with one over a challenge no longer live, the answer is 403 with a challenge to sign. A proof by another key than the registered one ends the session: the cookies were copied elsewhere.',
  })
  @ApiHeader({ name: 'Sec-Secure-Session-Id', required: true, description: "The session's id." })
  @ApiHeader({ ...PROOF_HEADER, required: false })
  @ApiOkResponse({
    description: 'A new bound cookie; the body is empty (the configuration stays).',
    headers: { ...SET_COOKIE, ...DBSC_CHALLENGE, ...NO_STORE },
  })
  @ApiProblems(
    'validation_failed',
    'session_not_bound',
    'unauthenticated',
    'invalid_session_proof',
    'session_proof_required',
    'not_found',
    'store_unavailable',
  )
  refresh(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Client() client: ClientInfo,
  ): Promise<void> {
    return this.deviceBinding.refresh(request, reply, client);
  }
}
