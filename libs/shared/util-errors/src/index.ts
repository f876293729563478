export { AppError } from './lib/app-error';
export type { AppErrorOptions, FieldError, ProblemExtension } from './lib/app-error';
export { ERROR_CATALOG } from './lib/error-catalog';
export type { ErrorCode } from './lib/error-catalog';
