import { AppError as TransportNeutralAppError } from '@svt/shared/util-errors';
import type { AppErrorOptions, ErrorCode } from '@svt/shared/util-errors';

/** The options util-http's AppError took when it set response headers itself. */
interface HeaderHintOptions extends AppErrorOptions {
  /**
   * @deprecated Ignored: the ProblemFilter derives `WWW-Authenticate` and
   * `Retry-After` from the code and `retryAfterSeconds` (see
   * `problemHeaders`), the same values the callers of this option passed.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * util-errors' AppError, the very same class (so `instanceof` holds whichever
 * import a module uses), re-exported for code that still imports it from
 * here; its constructor type also accepts the old `headers` option so that
 * such code keeps compiling. New code imports `@svt/shared/util-errors`.
 */
export const AppError: new (
  code: ErrorCode,
  detail?: string,
  options?: HeaderHintOptions,
) => TransportNeutralAppError = TransportNeutralAppError;
export type AppError = TransportNeutralAppError;
