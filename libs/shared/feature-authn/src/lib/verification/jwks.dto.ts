import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { PublicJwk } from './key-source';

/** A public signing key as a JWKS publishes it (RFC 7517), for API documents. */
export class JwkDto implements PublicJwk {
  @ApiProperty({ example: 'EC' })
  readonly kty!: string;

  @ApiProperty({ description: 'RFC 7638 thumbprint of the key' })
  readonly kid!: string;

  @ApiProperty({ example: 'ES256' })
  readonly alg!: string;

  @ApiProperty({ enum: ['sig'] })
  readonly use!: string;

  @ApiPropertyOptional({ example: 'P-256' })
  readonly crv?: string;

  @ApiPropertyOptional({ description: 'base64url' })
  readonly x?: string;

  @ApiPropertyOptional({ description: 'base64url' })
  readonly y?: string;
}

/** RFC 7517 JWK Set: public keys only. */
export class JwksDto {
  @ApiProperty({ type: [JwkDto] })
  readonly keys!: JwkDto[];
}
