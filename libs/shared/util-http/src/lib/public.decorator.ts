import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'svt:isPublic';

/** Opts a route out of the global authentication guard. Everything else is denied by default. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
