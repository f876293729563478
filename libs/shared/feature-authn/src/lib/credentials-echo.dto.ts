import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { ArrivedCredentials } from './credentials-echo';

/** The Cookie header an API document shows arriving at a service. */
export interface ArrivedCookieExample {
  readonly names: readonly string[];
  readonly headerBytes: number;
}

/**
 * The response schema of a credentials echo. Its cookie example is the service's own: the shop's cookie reaches
 * the gateway, never the cart.
 */
export function arrivedCredentialsDto(
  cookieExample: ArrivedCookieExample,
): Type<ArrivedCredentials> {
  class ArrivedCookieDto {
    @ApiProperty({ type: [String], example: [...cookieExample.names] })
    readonly names!: string[];

    @ApiProperty({ example: cookieExample.headerBytes })
    readonly headerBytes!: number;
  }

  class ArrivedAuthorizationDto {
    @ApiProperty({ example: 'Bearer' })
    readonly scheme!: string;

    @ApiProperty({ example: 690 })
    readonly headerBytes!: number;
  }

  /** Which credential headers arrived: names and sizes, never values. */
  class ArrivedCredentialsDto {
    @ApiProperty({ type: ArrivedCookieDto, nullable: true })
    readonly cookie!: ArrivedCookieDto | null;

    @ApiProperty({ type: ArrivedAuthorizationDto, nullable: true })
    readonly authorization!: ArrivedAuthorizationDto | null;
  }

  return ArrivedCredentialsDto;
}
